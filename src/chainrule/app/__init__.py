"""The ``chainrule`` command: everything that exists only for it.

``main`` parses the command line and hands each subcommand (``commands/``) its options;
``run`` trains and checkpoints, on the data sets that ``datasets`` knows by name, the MLP
that ``mlp`` builds from ``--layers``; ``sample_input`` reads the one input ``predict``
classifies; ``numeric_vs_backprop`` is seed 001's lesson, timed. All of it is built on the library's
public API; the library never imports this package (``tests/project/test_layout.py`` checks).
"""
