"""The package's public surface: lazy top-level exports and one version for Python and JS."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nextevi_widgets

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", [n for n in nextevi_widgets.__all__ if n != "__version__"])
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(nextevi_widgets, name).__name__ == name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        nextevi_widgets.no_such_thing  # noqa: B018


def test_python_and_front_end_versions_agree() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["version"] == nextevi_widgets.__version__


def test_import_is_light_and_needs_no_jupyter() -> None:
    code = (
        "import sys, nextevi_widgets, nextevi_widgets.client;"
        "heavy = {'ipywidgets', 'anywidget', 'IPython', 'matplotlib', 'traitlets'};"
        "heavy &= set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_type_checkers_see_every_lazy_name_where_it_is_defined() -> None:
    """The ``if TYPE_CHECKING`` imports of ``nextevi_widgets/__init__.py`` name each lazy
    export once, from the module it is loaded from (editors and mypy see real types)."""
    tree = ast.parse((ROOT / "nextevi_widgets" / "__init__.py").read_text())
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        if node.test.id == "TYPE_CHECKING"
    )
    seen = {
        alias.asname or alias.name: f"nextevi_widgets.{node.module}"
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == nextevi_widgets._LAZY
