"""Recording results, targets files and the comparison rules of the scorecard."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from scalingkit import fit
from scalingkit import reporting as report
from scalingkit._io import atomic_write_text
from scalingkit.laws import ChinchillaLaw
from scalingkit.reporting import recording


def _target(comparison: str, paper, tolerance=None, modes=("full",)) -> report.Target:
    return report.Target("nb", "q", paper, "Table 1", comparison, tolerance, tuple(modes))


@pytest.mark.parametrize(
    ("comparison", "paper", "tol", "ours", "status"),
    [
        ("relative", 0.3478, 0.01, 0.3500, "reproduced"),
        ("relative", 0.3478, 0.01, 0.3600, "not reproduced"),
        ("absolute", 2.17, 0.02, 2.185, "reproduced"),
        ("absolute", 2.17, 0.02, 2.195, "not reproduced"),
        ("at_most", 1.5, None, 1.2, "reproduced"),
        ("at_most", 1.5, None, 1.7, "not reproduced"),
        ("at_least", 600000, None, 7e5, "reproduced"),
        ("at_least", 600000, None, 5e5, "not reproduced"),
        ("equal", True, None, True, "reproduced"),
        ("equal", True, None, False, "not reproduced"),
        ("relative", 0.3478, 0.01, math.nan, "not reproduced"),
        ("relative", 0.3478, 0.01, None, "not run"),
    ],
)
def test_compare_rules(comparison, paper, tol, ours, status) -> None:
    assert report.compare(_target(comparison, paper, tol), ours, "full") == status


def test_quick_mode_rows_are_not_compared_unless_listed() -> None:
    assert report.compare(_target("relative", 1.0, 0.1), 1.0, "quick") == report.STATUS_NOT_COMPARED
    both = _target("relative", 1.0, 0.1, modes=("quick", "full"))
    assert report.compare(both, 1.0, "quick") == report.STATUS_REPRODUCED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[target]]\nquantity = "a"\nsource = "T1"\ncomparison = "relative"\ntolerance = 0.1\n',
            "missing 'paper_value'",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource = "T1"\ncomparison = "close"\n',
            "comparison must be one of",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource = "T1"\ncomparison = "relative"\n',
            "needs a non-negative 'tolerance'",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource = "T1"\ncomparison = "equal"\n',
            "takes a boolean paper_value",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource = "T1"\ncomparison = "at_most"\nmodes = ["fast"]\n',
            "modes must be",
        ),
    ],
)
def test_malformed_targets_are_rejected(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "nb.toml"
    path.write_text(body)
    with pytest.raises(report.TargetsError, match=message) as err:
        report.load_targets("nb", path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_every_shipped_targets_file_is_valid() -> None:
    files = sorted(report.targets_dir().glob("*/targets.toml"))
    assert files
    for path in files:
        targets = report.load_targets(path.parent.name)
        assert targets, f"{path} holds no targets"
        assert all(t.source.strip() for t in targets)


def test_record_save_and_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "demo").mkdir()
    (targets / "demo" / "targets.toml").write_text(
        '[[target]]\nquantity = "fit.alpha"\npaper_value = 0.35\nsource = "Table 1"\n'
        'comparison = "relative"\ntolerance = 0.05\nmodes = ["quick", "full"]\n'
        '[[target]]\nquantity = "fit.beta"\npaper_value = 0.37\nsource = "Table 1"\n'
        'comparison = "relative"\ntolerance = 0.05\n'
    )
    monkeypatch.setattr(report, "targets_dir", lambda: targets)
    monkeypatch.delenv(report.RESULTS_ENV, raising=False)
    report.start("demo", mode="quick", parameters={"seed": 1})
    report.record("fit.alpha", 0.349, uncertainty=0.01, ci=(0.33, 0.37))
    table = report.verdict()
    assert table.loc["fit.alpha", "status"] == "reproduced"
    assert table.loc["fit.beta", "status"] == "not run"
    assert report.save() is None  # interactive: nothing written

    out = report.save(tmp_path / "out" / "demo.results.json")
    saved = json.loads(out.read_text())
    assert saved["notebook"] == "demo" and saved["mode"] == "quick"
    assert saved["parameters"] == saved["parameters_given"] == {"seed": 1}
    assert saved["records"][0] == {
        "quantity": "fit.alpha",
        "value": 0.349,
        "uncertainty": 0.01,
        "ci_low": 0.33,
        "ci_high": 0.37,
        "description": "",
    }
    assert {"git_commit", "packages", "data_files"} <= set(saved["provenance"])


def test_record_requires_start_and_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording, "_SESSION", recording._Session())
    with pytest.raises(RuntimeError, match=r"before report\.start"):
        report.record("x", 1.0)
    with pytest.raises(RuntimeError, match=r"record_fit called before report\.start"):
        report.record_fit(_Fit(), "fit")
    report.start("demo", mode="quick")
    with pytest.raises(TypeError, match="x: expected a number or bool, got str"):
        report.record("x", "1.0")
    with pytest.raises(ValueError, match="demo: parameter 'mode' must be 'quick' or 'full'"):
        report.start("demo", mode="fast")


@dataclass
class _Fit:
    """The part of a FitResult that record_fit reads."""

    params: dict = field(default_factory=lambda: {"A": 400.0, "alpha": 0.34, "E": 1.8})
    se: dict | None = field(default_factory=lambda: {"A": 40.0, "alpha": 0.02, "E": 0.03})
    ci: dict | None = field(
        default_factory=lambda: {"A": (330.0, 480.0), "alpha": (0.3, 0.38), "E": (1.75, 1.86)}
    )


def test_record_fit_records_estimate_se_and_interval_of_each_parameter() -> None:
    report.start("demo", mode="full")
    report.record_fit(_Fit(), "fit", description="{name} of the fit")
    recs = report.records().set_index("quantity")
    assert list(recs.index) == ["fit.A", "fit.alpha", "fit.E"]
    assert recs.loc["fit.alpha"].to_dict() == {
        "value": 0.34,
        "uncertainty": 0.02,
        "ci_low": 0.3,
        "ci_high": 0.38,
        "description": "alpha of the fit",
    }

    report.start("demo", mode="full")
    report.record_fit(_Fit(), "fit", names=("E", "A"), se_prefix="se", se_description="SE {name}")
    recs = report.records().set_index("quantity")
    assert list(recs.index) == ["fit.E", "se.E", "fit.A", "se.A"]
    assert recs.loc["se.A", "value"] == 40.0 and recs.loc["se.A", "description"] == "SE A"
    assert recs.loc["se.A", ["uncertainty", "ci_low"]].isna().all()

    report.start("demo", mode="full")
    report.record_fit(_Fit(se=None, ci=None), "mle", se_prefix="se")  # no bootstrap: no SE
    recs = report.records().set_index("quantity")
    assert list(recs.index) == ["mle.A", "mle.alpha", "mle.E"]
    assert recs["uncertainty"].isna().all() and recs["ci_low"].isna().all()
    with pytest.raises(KeyError, match="fit has no parameter 'B'"):
        report.record_fit(_Fit(), "fit", names=("B",))


def test_record_fit_takes_a_real_fit_result() -> None:
    rng = np.random.default_rng(0)
    n = np.geomspace(1e7, 1e9, 12)
    d = np.geomspace(1e9, 1e11, 12)
    X = {"params": np.repeat(n, 3), "tokens": np.tile(d[:3], 12)}
    law = ChinchillaLaw()
    y = law.predict(law.from_natural(A=400.0, B=400.0, E=1.7, alpha=0.34, beta=0.28), X)
    y = y * np.exp(rng.normal(0, 0.01, y.size))
    starts = law.from_natural(A=300.0, B=300.0, E=1.5, alpha=0.3, beta=0.3)[None, :]
    res = fit.fit_multistart(law, X, y, starts, n_bootstrap=20, seed=0)
    report.start("demo", mode="quick")
    report.record_fit(res, "fit")
    recs = report.records().set_index("quantity")
    assert list(recs.index) == [f"fit.{k}" for k in res.params]
    assert recs.loc["fit.alpha", "value"] == res.params["alpha"]
    assert recs.loc["fit.alpha", "uncertainty"] == res.se["alpha"]
    assert (recs.loc["fit.alpha", "ci_low"], recs.loc["fit.alpha", "ci_high"]) == res.ci["alpha"]


def _results(mode: str, status: str = "ok", **values: float) -> dict:
    records = [{"quantity": q, "value": v} for q, v in values.items()]
    return {"mode": mode, "status": status, "records": records}


def test_build_scorecard_across_notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for package, quantity in (("tour", "n"), ("demo", "fit.alpha"), ("unrun", "x")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "targets.toml").write_text(
            f'[[target]]\nquantity = "{quantity}"\npaper_value = 1.0\nsource = "T1"\n'
            'comparison = "relative"\ntolerance = 0.1\n'
        )
    monkeypatch.setattr(report, "targets_dir", lambda: tmp_path)
    results = {
        "00_tour": _results("full", n=1.05),
        "demo": _results("full", "failed", **{"fit.alpha": 1.0}),
    }
    card = report.build_scorecard(results, ["00_tour", "demo", "other"])
    assert list(card.columns) == list(report.SCORECARD_COLUMNS)
    # the tour's package appears once, under its notebook's stem; a failed run counts as not run
    assert card[["notebook", "quantity", "status"]].values.tolist() == [
        ["00_tour", "n", "reproduced"],
        ["demo", "fit.alpha", "not run"],
        ["unrun", "x", "not run"],
    ]
    assert card.loc[0, "our_value"] == 1.05 and card.loc[0, "mode"] == "full"
    assert report.build_scorecard({}, []).shape[0] == 3


def test_targets_of_a_notebook_stem_live_in_its_workbook_package() -> None:
    assert report.workbook_package("00_data_tour") == "data_tour"
    assert report.workbook_package("data_mixtures") == "data_mixtures"
    path = report.targets_path("00_data_tour")
    assert path.parts[-3:] == ("workbooks", "data_tour", "targets.toml")
    assert report.targets_path("loss_to_loss").is_file()


def test_atomic_write_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "index.html"
    atomic_write_text(path, "old")
    import scalingkit._io as io_mod

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(io_mod.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]  # no temp file left behind
