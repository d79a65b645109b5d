"""The ``chainrule`` command, end to end."""

import shutil
import subprocess
import sys

import pytest

import chainrule as cr
from chainrule.cli import main


def test_version_flag_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"chainrule {cr.__version__}"


def test_no_arguments_prints_help_and_succeeds(capsys):
    assert main([]) == 0
    assert "usage: chainrule" in capsys.readouterr().out


def test_unknown_option_exits_2_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "--no-such-option"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--no-such-option" in result.stderr


def test_console_script_is_installed():
    script = shutil.which("chainrule")
    assert script is not None
    result = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and cr.__version__ in result.stdout
