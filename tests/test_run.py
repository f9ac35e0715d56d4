"""Notebook runner: parameters, failing notebooks, reports, index and scorecard."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from notebook_factory import write_notebook, write_targets

from scalingkit import reporting as report
from scalingkit import runner as run
from scalingkit.cli import main as cli_main

PARAMS = 'mode = "quick"\nn_starts = 10\ndelta = 1e-3\nfull_grid = False\nlabel = "x"'


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("n_starts", "1e3", 1000),
        ("n_starts", "42", 42),
        ("delta", "1e-4", 1e-4),
        ("delta", "3", 3.0),
        ("full_grid", "true", True),
        ("full_grid", "No", False),
        ("label", "hello world", "hello world"),
    ],
)
def test_coerce_to_the_default_type(tmp_path: Path, name: str, raw: str, expected) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", PARAMS, "pass")
    resolved = run.resolve_parameters(path, {name: raw}, None)
    assert resolved[name] == expected and type(resolved[name]) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("n_starts", "2.5", r"nb: parameter 'n_starts' expects int \(default 10\), got '2.5'"),
        ("delta", "small", r"parameter 'delta' expects float"),
        ("full_grid", "maybe", r"parameter 'full_grid' expects bool"),
        (
            "n_start",
            "3",
            r"nb: unknown parameter 'n_start' \(known: mode, n_starts, delta, full_grid, label\)",
        ),
        ("mode", "fast", r"parameter 'mode' must be 'quick' or 'full'"),
    ],
)
def test_bad_parameters_are_rejected(tmp_path: Path, name: str, raw: str, message: str) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", PARAMS, "pass")
    with pytest.raises(run.ParameterError, match=message):
        run.resolve_parameters(path, {name: raw}, None)


def test_parameters_cell_must_be_unique_and_literal(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", "n = compute()", "pass")
    with pytest.raises(run.ParameterError, match="parameter 'n' must be a literal"):
        run.read_parameters(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    with pytest.raises(run.ParameterError, match="exactly one cell tagged 'parameters', found 2"):
        run.read_parameters(path)


def test_every_shipped_notebook_has_a_valid_parameters_cell() -> None:
    notebooks = run.discover_notebooks()
    assert any(p.stem == "00_data_tour" for p in notebooks)
    for path in notebooks:
        params = run.read_parameters(path)
        assert params.get("mode") == "quick", f"{path.name}: default mode must be 'quick'"
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown", (
            f"{path.name}: first cell must introduce the paper"
        )
        assert "report.provenance()" in nb.cells[-1].source, (
            f"{path.name}: last cell must show provenance"
        )


def test_failing_notebook_does_not_stop_the_others(tmp_path: Path, monkeypatch) -> None:
    answer = {"quantity": "answer", "paper_value": 42.0, "comparison": "relative",
              "tolerance": 0.01, "modes": ["quick", "full"]}  # fmt: skip
    targets = write_targets(tmp_path / "targets", "good_nb", answer)
    monkeypatch.setattr(report, "targets_dir", lambda: targets)
    bad = write_notebook(
        tmp_path / "bad_nb.ipynb", 'mode = "quick"', "raise ValueError('boom in cell')"
    )
    good = write_notebook(
        tmp_path / "good_nb.ipynb",
        'mode = "quick"\nscale = 1.0',
        "from scalingkit import reporting as report\n"
        "report.start('good_nb', mode=mode)\n"
        "report.record('answer', 42.0 * scale, uncertainty=0.5)\n"
        "report.save()\n"
        "print('done')",
    )
    out = tmp_path / "reports"
    outcomes = run.run_notebooks([bad, good], out_dir=out, overrides={}, progress=False)
    assert [o.ok for o in outcomes] == [False, True]
    assert "ValueError: boom in cell" in outcomes[0].error
    for stem in ("bad_nb", "good_nb"):
        assert (out / f"{stem}.html").is_file() and (out / f"{stem}.ipynb").is_file()
    assert json.loads((out / "bad_nb.results.json").read_text())["status"] == "failed"
    good_results = json.loads((out / "good_nb.results.json").read_text())
    assert good_results["status"] == "ok" and good_results["records"][0]["value"] == 42.0
    index = (out / "index.html").read_text()
    assert "failed: ValueError: boom in cell" in index and "good_nb.html" in index
    card = pd.read_csv(out / "scorecard.csv")
    assert list(card.columns)[: len(report.SCORECARD_COLUMNS)] == list(report.SCORECARD_COLUMNS)
    row = card[card["notebook"] == "good_nb"].iloc[0]
    assert row["status"] == "reproduced" and row["our_value"] == 42.0 and row["mode"] == "quick"
    assert not list(out.glob(".*.tmp")), "temporary files left behind"

    # -p is coerced and applied; a run with a failure exits non-zero through the CLI
    code = cli_main(
        ["run", str(good), str(bad), "--out", str(out), "-p", "scale=2", "--no-progress"]
    )
    assert code == 1
    assert json.loads((out / "good_nb.results.json").read_text())["records"][0]["value"] == 84.0


def test_unknown_parameter_stops_before_running(tmp_path: Path, capsys) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", 'mode = "quick"', "raise SystemExit('must not run')")
    code = cli_main(["run", str(nb), "--out", str(tmp_path / "r"), "-p", "sed=1"])
    assert code == 2
    assert "unknown parameter 'sed'" in capsys.readouterr().err
    assert not (tmp_path / "r" / "nb.html").exists()
    other = write_notebook(
        tmp_path / "other.ipynb", 'mode = "quick"\nseed = 0', "raise SystemExit('no')"
    )
    code = cli_main(["run", str(nb), str(other), "--out", str(tmp_path / "r"), "-p", "sed=1"])
    assert code == 2
    assert "no selected notebook (nb, other) declares it" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").iterdir())
