"""One ``UserError`` base for every mistake a user can make, and the command that catches it.

Each user error keeps the built-in base it had, so ``except ValueError`` in a user's code
still catches what it caught; ``chainrule`` catches ``UserError`` alone and prints one line.
"""

import pytest

import chainrule as cr
from chainrule import _backend
from chainrule.app.commands import bench
from chainrule.app.main import _parser, main
from chainrule.app.run import TrainingError
from chainrule.app.sample_input import InputError
from chainrule.data import DatasetError
from chainrule.explain import ExplainError
from chainrule.serialization import SerializationError


@pytest.mark.parametrize(
    ("error", "old_base"),
    [
        (SerializationError, ValueError),
        (DatasetError, ValueError),
        (InputError, ValueError),
        (ExplainError, ValueError),
        (_backend.DeviceUnavailableError, cr.DeviceError),
        (_backend.DeviceUnavailableError, RuntimeError),
        (TrainingError, Exception),
    ],
)
def test_every_user_error_is_a_user_error_and_keeps_its_old_base(error, old_base):
    assert issubclass(error, cr.UserError) and issubclass(error, old_base)
    with pytest.raises(old_base):
        raise error("still caught as before")


def test_user_error_is_an_exception_and_no_value_error():
    # Not a ValueError: DeviceUnavailableError, a RuntimeError, would become one too.
    assert issubclass(cr.UserError, Exception) and not issubclass(cr.UserError, ValueError)


def test_a_failed_gradcheck_is_a_verdict_not_a_user_error():
    assert issubclass(cr.GradcheckError, AssertionError)
    assert not issubclass(cr.GradcheckError, cr.UserError)


def test_the_command_catches_any_user_error_as_one_line(monkeypatch, capsys):
    class Unforeseen(cr.UserError):
        """A user error that no list of exception types in the command names."""

    def measure(**kwargs):
        raise Unforeseen("the thing the user gave is wrong")

    monkeypatch.setattr(bench, "measure", measure)
    assert main(["bench", "numeric-vs-backprop"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "chainrule bench: error: the thing the user gave is wrong\n"
    assert captured.out == ""


def _raised(argv):
    """The UserError that the handler of ``chainrule ARGV`` raises."""
    args = _parser().parse_args(argv)
    with pytest.raises(cr.UserError) as raised:
        args.handler(args)
    return raised.value


@pytest.mark.parametrize(
    "argv",
    [
        ["gradcheck", "--layers", "1000,1000,10"],
        ["gradcheck", "--layers", "4,1"],
    ],
    ids=["gradcheck-size", "gradcheck-layers"],
)
def test_commands_that_train_nothing_raise_no_training_error(argv):
    assert not isinstance(_raised(argv), TrainingError)


def test_eval_of_a_file_that_is_no_training_checkpoint_raises_no_training_error(tmp_path):
    path = tmp_path / "plain.safetensors"
    cr.save_checkpoint(path, epoch=1)
    error = _raised(["eval", str(path)])
    assert "is not a training checkpoint" in str(error)
    assert not isinstance(error, TrainingError)


@pytest.mark.parametrize(
    ("argv", "path"),
    [
        (["train", "--epochs", "1", "--save", "{missing}/m.safetensors"], "m.safetensors"),
        (["explain", "--out", "{missing}/step.md", "--format", "markdown"], "step.md"),
        (["eval", "{missing}"], "missing"),
        (["predict", "{missing}", "row.csv"], "missing"),
    ],
    ids=["train-save", "explain-out", "eval", "predict"],
)
def test_a_file_the_system_refuses_is_a_user_error_naming_it(argv, path, tmp_path, capsys):
    """An OSError where the command opens or writes a file the user named is one line."""
    missing = tmp_path / "missing"
    argv = [arg.format(missing=missing) for arg in argv]
    error = _raised(argv)
    assert path in str(error)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chainrule {argv[0]}: error: ") and err.count("\n") == 1
