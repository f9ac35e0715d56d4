"""Maintainers: re-execute a notebook in place and keep only the outputs nbval checks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat

from .. import reporting as report
from .._io import atomic_write_bytes
from .execute import KERNEL_NAME, kernel_manager_class
from .parameters import parameters_cell

__all__ = ["CHECK_MARKER", "refresh_notebook"]

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
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if CHECK_MARKER not in cell.source:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.setdefault(
        "kernelspec", {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    )
    nb.metadata["kernelspec"]["name"] = KERNEL_NAME
    return atomic_write_bytes(path, nbformat.writes(nb).encode("utf-8"))
