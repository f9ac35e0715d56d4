"""Maintainers: re-execute a notebook in place, or strip one, keeping only the outputs nbval checks.

`strip_outputs` is the pure rule (what a committed notebook keeps); `strip_notebook` applies it
to a file (the pre-commit hook, `scalingkit strip`); `refresh_notebook` re-executes first.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat

from .. import reporting as report
from .._io import atomic_write_bytes
from .execute import KERNEL_NAME, kernel_manager_class
from .parameters import parameters_cell

__all__ = ["CHECK_MARKER", "refresh_notebook", "strip_notebook", "strip_outputs"]

CHECK_MARKER = "NBVAL_CHECK_OUTPUT"


def refresh_notebook(path: str | os.PathLike[str], timeout: int = 1800) -> Path:
    """Execute a notebook in place with its default parameters and keep only checked outputs.

    Cells containing ``# NBVAL_CHECK_OUTPUT`` keep their outputs (the references nbval compares
    against); every other cell is cleared, so the committed notebook stays small and clean.
    """
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    parameters_cell(nb, path)
    with tempfile.TemporaryDirectory(prefix="scalingkit-") as tmp:
        env_backup = os.environ.pop(report.RESULTS_ENV, None)
        manager = kernel_manager_class(Path(tmp))
        extra = {} if manager is None else {"kernel_manager_class": manager}
        extra["shutdown_kernel"] = "immediate"
        try:
            NotebookClient(
                nb,
                timeout=timeout,
                kernel_name=KERNEL_NAME,
                resources={"metadata": {"path": tmp}},
                **extra,
            ).execute()
        finally:
            if env_backup is not None:
                os.environ[report.RESULTS_ENV] = env_backup
    strip_outputs(nb)
    return atomic_write_bytes(path, _serialise(nb))


def strip_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clear what a committed notebook must not carry, in place; return ``nb``.

    Code cells lose outputs and execution counts unless they contain ``# NBVAL_CHECK_OUTPUT``
    (nbval's references); execution timings, papermill metadata and widget state go; the
    kernelspec is the package's kernel name. Applying it twice changes nothing.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if CHECK_MARKER not in cell.source:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.setdefault(
        "kernelspec", {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    )
    nb.metadata["kernelspec"]["name"] = KERNEL_NAME
    return nb


def strip_notebook(path: str | os.PathLike[str], *, check: bool = False) -> bool:
    """Strip one notebook file (see `strip_outputs`); return whether it was (or would be) changed.

    With ``check=True`` the file is left alone: the pre-commit hook and the tests use it to fail
    on a notebook committed with outputs.
    """
    path = Path(path)
    before = path.read_text(encoding="utf-8")
    after = _serialise(strip_outputs(nbformat.reads(before, as_version=4)))
    changed = after != before.encode("utf-8")
    if changed and not check:
        atomic_write_bytes(path, after)
    return changed


def _serialise(nb: nbformat.NotebookNode) -> bytes:
    """nbformat's JSON with a final newline (what editors and pre-commit's fixers keep)."""
    return (nbformat.writes(nb) + "\n").encode("utf-8")
