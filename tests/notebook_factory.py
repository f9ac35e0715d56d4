"""Small notebooks written on the fly for the runner and sweep tests."""

from __future__ import annotations

from pathlib import Path

import nbformat


def write_notebook(path: Path, params: str, body: str) -> Path:
    """Write a notebook with a title, a ``parameters``-tagged cell and one code cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# demo"),
        nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path
