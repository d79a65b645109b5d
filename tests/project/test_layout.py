"""The layout's one rule: the library never imports the command.

Everything that exists only for ``chainrule`` on the command line lives in
``chainrule.app``; ``chainrule/__main__.py`` (``python -m chainrule``) is its one doorway
outside it, and importing ``chainrule`` never runs that file.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule
from helpers import run_cli

PACKAGE = Path(chainrule.__file__).resolve().parent
APP = "chainrule.app"
DOORWAY = PACKAGE / "__main__.py"


def _package_of(path: Path) -> str:
    """The package that relative imports in ``path`` start from: chainrule.ops for
    chainrule/ops/tanh.py and for chainrule/ops/__init__.py alike."""
    return ".".join(path.parent.relative_to(PACKAGE.parent).parts)


def _imported(source: str, package: str) -> set[str]:
    """Every module that the code ``source``, in ``package``, imports at any depth (inside
    functions too), absolute; ``from X import y`` counts as X and as X.y (y may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                origin = ".".join([*parts, *filter(None, [node.module])])
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names)
    return found


def _of_the_app(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name == APP or name.startswith(APP + "."))


@pytest.mark.parametrize(
    "code",
    [
        "from ..app import main",
        "from .. import app",
        "import chainrule.app.run",
        "from chainrule.app.commands import train",
        "def f():\n    from ..app.run import Settings",
    ],
)
def test_every_spelling_of_an_import_of_the_app_is_seen(code):
    assert _of_the_app(_imported(code, "chainrule.ops"))


def test_imports_of_the_library_are_not_taken_for_the_app():
    code = "from . import nn\nfrom ..application import x\nimport chainrule.apps"
    assert _of_the_app(_imported(code, "chainrule.ops")) == []


def _library_modules() -> list[Path]:
    app = PACKAGE / "app"
    return sorted(p for p in PACKAGE.rglob("*.py") if app not in p.parents and p != DOORWAY)


@pytest.mark.parametrize("path", _library_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_library_module_imports_the_app(path):
    offending = _of_the_app(_imported(path.read_text(encoding="utf-8"), _package_of(path)))
    assert not offending, f"{path.relative_to(PACKAGE)} imports {', '.join(offending)}"


def test_the_app_holds_the_command_and_the_library_holds_none_of_it():
    assert (PACKAGE / "app" / "main.py").is_file()
    for gone in ("cli.py", "train.py", "commands", "numeric_vs_backprop.py", "sample_input.py"):
        assert not (PACKAGE / gone).exists(), gone


@pytest.fixture(scope="module")
def loaded_by_import() -> list[str]:
    """Every module that ``import chainrule`` (and a look at ``chainrule.onnx.export``)
    loads in a fresh interpreter: one launch for the tests below."""
    code = (
        "import sys; before = set(sys.modules); import chainrule; chainrule.onnx.export; "
        "print(sorted(set(sys.modules) - before))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout)


def test_importing_chainrule_does_not_import_the_app(loaded_by_import):
    assert _of_the_app(set(loaded_by_import)) == []
    assert "chainrule.function" in loaded_by_import  # the list is really chainrule's


def test_importing_chainrule_loads_no_package_but_numpy(loaded_by_import):
    """Optional packages (onnx for cr.onnx, CuPy, matplotlib, rich) load only when used."""
    tops = {m.split(".")[0] for m in loaded_by_import}
    # Private modules (_ctypes, NumPy's _cython_...) and cython_runtime come with the rest.
    packages = {m for m in tops if m not in sys.stdlib_module_names and m[0] != "_"}
    assert packages - {"cython_runtime"} == {"chainrule", "numpy"}


def test_python_dash_m_chainrule_runs_the_command():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"chainrule {chainrule.__version__}"


def _error_texts(source: str) -> list[str]:
    """The literal text of every error that ``source`` raises or builds: the strings inside
    each ``raise`` and inside each call of a name ending in Error."""
    texts: dict[int, str] = {}  # by node, so a string inside both is counted once
    for node in ast.walk(ast.parse(source)):
        called = node.func if isinstance(node, ast.Call) else None
        name = getattr(called, "id", getattr(called, "attr", ""))
        if isinstance(node, ast.Raise) or name.endswith("Error"):
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    texts[id(part)] = part.value
    return list(texts.values())


FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def test_the_flag_finder_sees_a_flag_in_a_raise_and_in_an_error_built_for_later():
    code = 'raise ValueError(f"unknown --activation {x}")\nerror = UserError("--lr " + s)'
    assert [FLAG.findall(text) for text in _error_texts(code)] == [["--activation"], ["--lr"]]


@pytest.mark.parametrize("path", _library_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_library_error_names_a_command_line_flag(path):
    """The library says what is wrong in its own words; the command adds its flags."""
    flags = [
        f for text in _error_texts(path.read_text(encoding="utf-8")) for f in FLAG.findall(text)
    ]
    assert not flags, f"{path.relative_to(PACKAGE)} raises errors naming {', '.join(flags)}"
