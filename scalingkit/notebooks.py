"""Where the workbook notebooks are, and what their ``parameters`` cell declares.

A source checkout (or an editable install) has the notebooks in ``<repository>/notebooks``.
A wheel carries a copy of them as package data, ``scalingkit/_notebooks/`` (see
``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``), so ``scalingkit
run`` works from an installed package too. The parameters cell is read here once for both
users: the runner (which validates ``-p`` overrides against it) and
:func:`scalingkit.reporting.start` (which reads a notebook's parameter values from it).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat

from .errors import ParameterError

__all__ = [
    "checkout_notebooks_dir",
    "discover_notebooks",
    "notebook_stems",
    "notebooks_dir",
    "packaged_notebooks_dir",
    "parameters_cell",
    "read_parameters",
]

_PACKAGE_ROOT = Path(__file__).resolve().parent


def checkout_notebooks_dir() -> Path:
    """``notebooks/`` of the source checkout the package was imported from (may not exist)."""
    return _PACKAGE_ROOT.parent / "notebooks"


def packaged_notebooks_dir() -> Path:
    """The notebooks shipped inside the installed package (may not exist in a checkout)."""
    return _PACKAGE_ROOT / "_notebooks"


def _has_notebooks(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.ipynb"))


def notebooks_dir() -> Path:
    """Folder of the workbook notebooks: the checkout's ``notebooks/``, else the packaged copy.

    Raises
    ------
    FileNotFoundError
        One line, when neither has notebooks (an install without them: use a checkout).
    """
    for folder in (checkout_notebooks_dir(), packaged_notebooks_dir()):
        if _has_notebooks(folder):
            return folder
    raise FileNotFoundError(
        f"no notebooks found in {checkout_notebooks_dir()} or {packaged_notebooks_dir()}: "
        "this installation does not ship them; run scalingkit from a source checkout "
        "(pip install -e .) or pass notebook paths"
    )


def notebook_stems() -> list[str]:
    """Stems of the workbook notebooks (empty when this installation has none)."""
    try:
        folder = notebooks_dir()
    except FileNotFoundError:
        return []
    return [p.stem for p in folder.glob("*.ipynb")]


def _is_notebook(path: Path) -> bool:
    return path.is_file() and path.suffix == ".ipynb"


def discover_notebooks(names: Sequence[str] = ()) -> list[Path]:
    """Resolve notebook names (stems, file names or paths) to paths; all notebooks if empty.

    A name that is the path of a notebook file is used as it is, with or without a checkout;
    stems and file names are looked up in :func:`notebooks_dir`.
    """
    if names and all(_is_notebook(Path(n)) for n in names):
        return [Path(n).resolve() for n in names]
    folder = notebooks_dir()
    if not names:
        return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    out = []
    for name in names:
        candidates = [Path(name), folder / name, folder / f"{name}.ipynb"]
        hit = next((c for c in candidates if _is_notebook(c)), None)
        if hit is None:
            known = ", ".join(p.stem for p in sorted(folder.glob("*.ipynb")))
            raise FileNotFoundError(f"notebook '{name}' not found (known: {known})")
        out.append(hit.resolve())
    return out


def parameters_cell(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """The one cell of ``nb`` tagged ``parameters`` (:class:`ParameterError` if not exactly one)."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(
            f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}"
        )
    return cells[0]


def read_parameters(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Names and default values of a notebook's ``parameters`` cell (literal assignments)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    cell = parameters_cell(nb, path)
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise ParameterError(f"{path}: parameters cell is not valid Python ({exc.msg})") from None
    params: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
                raise ParameterError(f"{path}: parameters cell may only assign single names")
            try:
                params[targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ParameterError(
                    f"{path}: parameter '{targets[0].id}' must be a literal (number, bool, str)"
                ) from None
    return params
