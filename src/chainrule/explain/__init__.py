"""Walk-throughs of backpropagation: every number of a forward pass, a backward pass and an
update, for any small network, as in the seeds' worked examples."""

from .labels import LANGUAGES, say
from .networks import Example, seed_000
from .numbers import DEFAULT_DIGITS, fmt
from .records import Delta, FeedTerm, LossTerm, Neuron, Parameter, Trace
from .trace import ExplainError, trace

__all__ = [
    "DEFAULT_DIGITS",
    "LANGUAGES",
    "Delta",
    "Example",
    "ExplainError",
    "FeedTerm",
    "LossTerm",
    "Neuron",
    "Parameter",
    "Trace",
    "fmt",
    "say",
    "seed_000",
    "trace",
]
