"""No target can hide: every target of a targets file is recorded by its notebook in the modes
it lists (issue 13, item 5).

A misspelt quantity in a ``targets.toml``, or a recording line a notebook never reaches in a
mode the target lists, used to show as "not run" in the scorecard and pass every test. Here:

* the checker itself (:func:`scalingkit.reporting.scorecard.check_targets_recorded`), on a
  temporary targets file with a misspelt key;
* quick mode, in the default test run: the notebooks nbval executes write their results (see
  ``notebooks/conftest.py``) and the last test of the run checks them, so no notebook runs twice;
* full mode, in CI: ``.ci/run`` runs every notebook with ``scalingkit run --mode full`` after the
  README's test command and then runs this module with ``SCALINGKIT_CHECK_REPORTS`` set to that
  reports folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from notebook_factory import targets_toml

from scalingkit.notebooks import discover_notebooks
from scalingkit.reporting.scorecard import (
    UnrecordedTargetsError,
    check_targets_recorded,
    unrecorded_targets,
)
from scalingkit.reporting.targets import load_targets

#: A targets file whose second row misspells its quantity.
TARGETS = targets_toml(
    {
        "quantity": "fit.alpha",
        "paper_value": 0.34,
        "source_kind": "sanity",
        "source": "a test",
        "comparison": "absolute",
        "tolerance": 0.01,
        "modes": ["quick", "full"],
    },
    {
        "quantity": "fit.alhpa_se",
        "paper_value": 0.02,
        "source_kind": "sanity",
        "source": "a test: misspelt, never recorded",
        "comparison": "absolute",
        "tolerance": 0.01,
        "modes": ["full"],
    },
)


def _results(folder: Path) -> dict[str, dict]:
    return {
        p.name.removesuffix(".results.json"): json.loads(p.read_text())
        for p in sorted(folder.glob("*.results.json"))
    }


def test_a_misspelt_key_fails(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS)
    targets = {"toy": load_targets("toy", path)}
    records = [
        {"quantity": "fit.alpha", "value": 0.341},
        {"quantity": "fit.alpha_se", "value": 0.02},
    ]
    full = {"toy": {"mode": "full", "records": records}}
    assert unrecorded_targets(full, targets) == [("toy", "full", "fit.alhpa_se")]
    with pytest.raises(UnrecordedTargetsError, match=r"toy \[full\] fit\.alhpa_se"):
        check_targets_recorded(full, targets)
    # the misspelt row lists only full mode: a quick run does not owe it
    check_targets_recorded({"toy": {"mode": "quick", "records": records}}, targets)
    # nothing recorded at all: both rows are due in full mode
    missing = unrecorded_targets({"toy": {"mode": "full", "records": []}}, targets)
    assert [q for *_, q in missing] == ["fit.alpha", "fit.alhpa_se"]


def test_quick_runs_record_every_target() -> None:
    """The quick-mode results of the notebooks nbval just ran (this test runs last)."""
    folder = os.environ.get("SCALINGKIT_NBVAL_RESULTS_DIR")
    results = _results(Path(folder)) if folder else {}
    if not results:
        pytest.skip("no notebook was run by nbval in this session")
    assert {r["mode"] for r in results.values()} == {"quick"}
    check_targets_recorded(results)


@pytest.mark.skipif(
    not os.environ.get("SCALINGKIT_CHECK_REPORTS"),
    reason="set SCALINGKIT_CHECK_REPORTS to a reports folder (.ci/run does, after a full run)",
)
def test_reports_folder_records_every_target() -> None:
    """Every notebook ran (one results file each) and recorded every target of its mode."""
    folder = Path(os.environ["SCALINGKIT_CHECK_REPORTS"])
    results = _results(folder)
    stems = {p.stem for p in discover_notebooks()}
    assert stems <= set(results), f"no results for {sorted(stems - set(results))} in {folder}"
    check_targets_recorded(results)
