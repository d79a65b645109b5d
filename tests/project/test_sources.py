"""The material is credited by the works it comes from, never by its file: no label, help
text or command output says "seed 000", "seed 001" and so on, and the lessons that use a
work name it in a sources line."""

import argparse
import html
import re
from collections.abc import Iterator

import pytest

from chainrule.app.main import _parser, main
from chainrule.explain.labels import LABELS, WORKS, credit

A_SEED_FILE = re.compile(r"seed[\s_-]*0\d\d", re.IGNORECASE)
"""The material's file names: "seed 000", "Seed 001's", "seed-002". (A random seed printed
by a command, "seed 0", is the user's own number and not one of them.)"""


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every subcommand's parser below it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


HELP = {parser.prog: parser.format_help() for parser in _parsers(_parser())}


def _words(text: str) -> str:
    """``text`` as a reader sees it: HTML entities read, and every run of spaces and line
    breaks (a terminal wraps a long line) one space."""
    return " ".join(html.unescape(text).split())


def test_no_label_names_a_seed_file():
    named = {
        (lang, key): text
        for lang, table in (*LABELS.items(), *WORKS.items())
        for key, text in table.items()
        if A_SEED_FILE.search(text)
    }
    assert named == {}


@pytest.mark.parametrize("prog", list(HELP))
def test_no_help_names_a_seed_file(prog):
    assert {"chainrule gradcheck", "chainrule bench numeric-vs-backprop"} <= set(HELP)
    assert not A_SEED_FILE.search(HELP[prog]), HELP[prog]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(
    ("argv", "works"),
    [
        (["gradcheck", "--layers", "2,3,2"], ["saito"]),
        (
            ["bench", "numeric-vs-backprop", "--samples", "2", "--batch", "1"],
            ["python_notes", "saito"],
        ),
        (["explain", "xor"], ["boostcourse"]),
        (["explain"], ["mazur"]),
        (["explain", "split"], ["rashid"]),
        (["explain", "graph", "apple-orange"], ["saito"]),
    ],
)
def test_no_output_names_a_seed_file_and_the_lessons_credit_their_works(argv, works, lang, capsys):
    assert main([*argv, "--lang", lang]) in (0, 1)
    out = _words(capsys.readouterr().out)
    assert not A_SEED_FILE.search(out)
    for work in works:
        assert WORKS[lang][work] in out


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(
    ("argv", "works"),
    [
        (["explain"], ["mazur"]),
        (["explain", "step", "--loss", "ce", "--layers", "3,4,3"], ["mazur", "saito"]),
        (["explain", "split"], ["rashid"]),
        (["explain", "graph"], ["saito"]),
        (["explain", "graph", "x*y + z", "--values", "x=2,y=3,z=4"], ["saito"]),
    ],
)
def test_every_lesson_credits_its_works_in_one_line_in_every_format(argv, works, lang, fmt, capsys):
    """The line is ``labels.credit``'s, the same in the terminal, Markdown and the page (for
    the walk-through, the page with its controls), so a work's name is written in one place."""
    assert main([*argv, "--lang", lang, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert _words(credit(lang, *works)) in _words(out)
    assert (fmt == "html") == out.startswith("<!doctype html>")
