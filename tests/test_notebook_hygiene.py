"""Committed notebooks are stripped (only nbval's checked outputs stay) and each has an up-to-date
text twin under ``notebooks/text/`` for review (jupytext, paired in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

from scalingkit.cli import main
from scalingkit.runner import CHECK_MARKER, discover_notebooks, strip_notebook, strip_outputs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = list(discover_notebooks([]))


def _executed_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    checked = nbformat.v4.new_code_cell(f"# {CHECK_MARKER}\nprint(1)", execution_count=1)
    checked.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    plain = nbformat.v4.new_code_cell("print(2)", execution_count=2)
    plain.outputs = [nbformat.v4.new_output("stream", text="2\n")]
    plain.metadata["execution"] = {"iopub.status.busy": "2026-12-01T00:00:00Z"}
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), checked, plain]
    nb.metadata["papermill"] = {"duration": 1.0}
    return nb


def test_strip_keeps_only_checked_outputs_and_is_idempotent() -> None:
    nb = strip_outputs(_executed_notebook())
    checked, plain = nb.cells[1], nb.cells[2]
    assert checked.outputs[0]["text"] == "1\n" and checked.execution_count == 1
    assert plain.outputs == [] and plain.execution_count is None
    assert "execution" not in plain.metadata and "papermill" not in nb.metadata
    assert nbformat.writes(strip_outputs(nb)) == nbformat.writes(nb)


def test_strip_check_reports_and_changes_nothing(tmp_path, capsys) -> None:
    path = tmp_path / "executed.ipynb"
    nbformat.write(_executed_notebook(), path)
    before = path.read_bytes()
    assert main(["strip", "--check", str(path)]) == 1
    assert "not stripped" in capsys.readouterr().out and path.read_bytes() == before
    assert main(["strip", str(path)]) == 0 and path.read_bytes() != before
    assert main(["strip", "--check", str(path)]) == 0 and not strip_notebook(path, check=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_is_stripped(path: Path) -> None:
    assert not strip_notebook(path, check=True), f"{path.name}: run `scalingkit strip {path}`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_text_twin_matches_its_notebook(path: Path) -> None:
    twin = path.parent / "text" / f"{path.stem}.md"
    fix = f"run `jupytext --sync {path.relative_to(ROOT)}`"
    assert twin.is_file(), f"{twin.name} missing: {fix}"
    # the text form keeps no trailing newlines at the end of a cell
    ours = [(c.cell_type, c.source.rstrip("\n")) for c in nbformat.read(path, as_version=4).cells]
    theirs = [(c.cell_type, c.source.rstrip("\n")) for c in jupytext.read(twin).cells]
    assert theirs == ours, f"{twin.name} differs from {path.name}: {fix}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_papermill_reads_every_parameter(path: Path) -> None:
    """papermill parses each ``name = value  # help`` line (an ``=`` in the help breaks it, and
    papermill then warns on every run); it must find every parameter we declare."""
    from papermill.translators import PythonTranslator

    from scalingkit.runner import read_parameters

    cell = next(
        c
        for c in nbformat.read(path, as_version=4).cells
        if "parameters" in c.metadata.get("tags", [])
    )
    for line in cell.source.splitlines():
        assert "=" not in line.partition("#")[2], f"{path.name}: '=' in the help of {line!r}"
    found = {p.name for p in PythonTranslator.inspect(cell)}
    assert found == set(read_parameters(path)), path.name
