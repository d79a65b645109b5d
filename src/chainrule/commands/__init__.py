"""The subcommands of ``chainrule``, one module each; each module's ``register`` adds its
parser to the command line with a ``handler`` that returns the exit code."""

from . import bench, gradcheck, model, train

COMMANDS = (train, model, gradcheck, bench)
