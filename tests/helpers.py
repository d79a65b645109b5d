"""Helpers for tests in any folder, each written once: the ``chainrule`` command run in this
process or in its own, headless Chromium that runs a page's scripts, Functions whose
backward is known right or known wrong, for checks that must pass or catch them, and the
Latin words left in Korean text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule as cr
from chainrule.app.main import main

# The command line ---------------------------------------------------------------------------

SOURCES = str(Path(cr.__file__).resolve().parents[1])


def run_main(argv: list[str]) -> int | str | None:
    """main's exit code, argparse's SystemExit included."""
    try:
        return main(argv)
    except SystemExit as exited:
        return exited.code


def one_line_error(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    """Run ``chainrule *args`` in this process; it must fail as a user error: exit code 2 and
    one line on stderr, no traceback. Returns that line, less its newline."""
    code = main([str(arg) for arg in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err
    return err.rstrip("\n")


def chainrule_command(*args: object) -> list[str]:
    """``python -m chainrule *args`` for this interpreter, every argument as text."""
    return [sys.executable, "-m", "chainrule", *map(str, args)]


def chainrule_environment() -> dict[str, str]:
    """This process's environment, with the chainrule under test first on the path whatever
    the working directory."""
    paths = [SOURCES, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_cli(*args: object, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``chainrule *args`` as its own process, as a user would; ``kwargs`` go to
    ``subprocess.run`` (``cwd``, say)."""
    return subprocess.run(
        chainrule_command(*args),
        capture_output=True,
        text=True,
        timeout=120,
        env=chainrule_environment(),
        **kwargs,
    )


# Headless Chromium --------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: apt-get install chromium"
)
# No sandbox (root in a container), no GPU, no /dev/shm (small in containers), none of the
# background connections a closed network answers with failures; --virtual-time-budget
# lets the page's script run before the DOM is dumped.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=2000",
)


def dump_dom(
    tmp_path: Path,
    html: str,
    fragment: str = "",
    flags: tuple[str, ...] = (),
    allow_console: bool = False,
) -> str:
    """The DOM of ``html`` after its scripts ran, opened at ``#fragment`` with Chromium's
    ``flags`` besides the usual ones (a window size, say); fails on any message the page
    wrote to the console (errors included) unless ``allow_console``."""
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    url = page.as_uri() + (f"#{fragment}" if fragment else "")
    command = [CHROMIUM, *CHROMIUM_FLAGS, *flags, f"--user-data-dir={tmp_path / 'profile'}"]
    done = subprocess.run(
        [*command, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True
    )
    console = [
        line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
    ]
    assert allow_console or console == [], "\n".join(console)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


# Functions with a known-right or known-wrong backward ---------------------------------------


class Square(cr.Function):
    """The design's example: forward and its local derivative side by side."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


class RightMul(cr.Function):
    """y = a * b, correctly: the control for the wrong ones below."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


class HalfSquare(cr.Function):
    """y = x * x with the derivative off by a factor of two: dx = g * x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class TripleSquare(cr.Function):
    """y = x * x with the derivative half again too large: dx = 3 * x * g."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x * grad


class WrongSecond(cr.Function):
    """y = a * b with a right da = g * b and a wrong db = g * b (it should be g * a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        _, b = ctx.saved_tensors
        return g * b, g * b


# Korean text --------------------------------------------------------------------------------

CODE_WORDS = frozenset(
    {
        *("net", "out", "grad", "log", "ln", "softmax", "SGD", "XOR", "MSE", "ms"),
        *("cr", "gradcheck", "loss", "backward", "eps", "atol", "rtol", "float", "nn", "Linear"),
        *("NET", "target", "SoftmaxWithLoss", "retain", "Shift"),
        *("Matt", "Mazur"),
    }
)
"""Latin words Korean text may hold (docs/KOREAN.md): the symbols of the formulas (net, out,
log, softmax, the matrix NET, target as in target_o1), code (.grad, loss.backward(),
cr.gradcheck, float64, atol, nn.Linear, retain_grad(), Saito's SoftmaxWithLoss layer), a key's
name as the keyboard prints it (Shift), abbreviations Korean writes in Latin letters (SGD,
XOR, MSE, ms) and a name with no Korean spelling."""


def english_words(text: str, allowed: frozenset[str] = CODE_WORDS) -> list[str]:
    """The Latin words of two letters or more in ``text`` that are not ``allowed``, leaving
    out ``{placeholders}``, titles in 「」 or 『』 (a work keeps its own title) and a symbol's
    subscript (the jk of δ_jk, the hk of w_hk, the hidden of Rashid's e_hidden)."""
    text = re.sub(r"\{[^}]*\}|「[^」]*」|『[^』]*』|_[A-Za-z0-9]+", " ", text)
    return [word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in allowed]
