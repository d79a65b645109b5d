"""Facts written once: each is defined in one place, and every command and library function
that states it is built from that place, so two of them can never disagree."""

import argparse

import pytest

from chainrule.app.main import _parser, main
from chainrule.nn.activation import ACTIVATIONS


def _subcommand(name: str) -> argparse.ArgumentParser:
    (subparsers,) = (
        action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    return subparsers.choices[name]


def _option(command: str, flag: str) -> argparse.Action:
    (action,) = (a for a in _subcommand(command)._actions if flag in a.option_strings)
    return action


# ------------------------------------------------------------------------------ activations


@pytest.mark.parametrize("command", ["train", "gradcheck", "explain"])
def test_every_command_offers_the_activations_of_the_one_table(command):
    assert list(_option(command, "--activation").choices) == list(ACTIVATIONS)


def test_gradcheck_checks_a_leaky_relu_network(capsys):
    argv = ["gradcheck", "--layers", "3,5,2", "--activation", "leaky_relu", "--seed", "2"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("PASS")


def test_train_trains_a_leaky_relu_network(capsys):
    assert main(["train", "--activation", "leaky_relu", "--epochs", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("Final test accuracy: ")


@pytest.mark.parametrize("layers", ["2", "2,0,1"])
def test_explain_of_layer_sizes_that_make_no_network_is_one_line(layers, capsys):
    assert main(["explain", "--layers", layers]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule explain: error: --layers: an MLP needs at least two")
    assert err.count("\n") == 1
