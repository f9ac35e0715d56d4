"""What a notebook says about itself: its title and its documented parameters.

The title is the notebook's first Markdown heading. Each parameter of the ``parameters`` cell is
documented by the comment on its line (or the comment lines right above it)::

    mode = "quick"  # "quick" (CI-sized, the default) or "full" (the paper's procedure)
    n_bootstrap = None  # bootstrap refits; None: the mode's default

``scalingkit list`` prints these; a report's parameters table shows them beside the values.
"""

from __future__ import annotations

import ast
import importlib
import io
import os
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from ..notebooks import parameters_cell
from .targets import workbook_package

__all__ = ["ParameterDoc", "mode_defaults", "notebook_title", "parameter_docs", "read_title"]


@dataclass(frozen=True)
class ParameterDoc:
    """One parameter of a notebook: its name, default, type and one-line help."""

    name: str
    default: Any
    type: str
    help: str


def notebook_title(nb: nbformat.NotebookNode) -> str | None:
    """The first Markdown heading of ``nb`` (``# Title`` preferred to lower levels), or None."""
    best: tuple[int, str] | None = None
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith("#"):
                level = len(stripped) - len(stripped.lstrip("#"))
                text = stripped[level:].strip().rstrip("#").strip()
                if text and (best is None or level < best[0]):
                    best = (level, text)
                if level == 1 and text:
                    return text
        if best is not None:
            return best[1]
    return None


def read_title(path: str | os.PathLike[str]) -> str | None:
    """:func:`notebook_title` of the notebook file at ``path`` (None if unreadable)."""
    try:
        return notebook_title(nbformat.read(Path(path), as_version=4))
    except (OSError, ValueError):
        return None


def _comments(source: str) -> dict[int, str]:
    """Line number (1-based) -> text of the comment on that line."""
    out = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return out


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def parameter_docs(path: str | os.PathLike[str]) -> list[ParameterDoc]:
    """The parameters of the notebook at ``path``, in cell order, with their help comments.

    A comment starting with ``NBVAL`` or ``noqa`` is not help.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    source = parameters_cell(nb, path).source
    comments = {
        line: text
        for line, text in _comments(source).items()
        if not text.upper().startswith(("NBVAL", "NOQA"))
    }
    lines = source.splitlines()
    docs = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name):
            continue
        help_text = comments.get(node.lineno, "")
        if not help_text:  # comment lines right above the assignment
            above, line = [], node.lineno - 1
            while line >= 1 and lines[line - 1].strip().startswith("#") and line in comments:
                above.insert(0, comments[line])
                line -= 1
            help_text = " ".join(above)
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            default = ast.unparse(node.value)
        docs.append(ParameterDoc(target.id, default, _type_name(default), help_text))
    return docs


def mode_defaults(stem: str) -> Mapping[str, Mapping[str, Any]]:
    """``MODE_DEFAULTS`` of the notebook's workbook package (empty when it has none)."""
    try:
        module = importlib.import_module(f"scalingkit.workbooks.{workbook_package(stem)}")
    except ImportError:
        return {}
    return getattr(module, "MODE_DEFAULTS", {}) or {}
