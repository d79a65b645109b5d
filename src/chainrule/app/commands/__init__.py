"""The subcommands of ``chainrule``, one module each; each module's ``register`` adds its
parser to the command line with a ``handler`` that returns the exit code."""

from . import bench, explain, export, gradcheck, model, train

COMMANDS = (train, model, export, explain, gradcheck, bench)
