"""Recording results, targets files and the comparison rules of the scorecard."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from notebook_factory import targets_toml, write_targets

from scalingkit import fit
from scalingkit import reporting as report
from scalingkit._io import atomic_write_text
from scalingkit.laws import ChinchillaLaw
from scalingkit.reporting import recording


def _target(comparison: str, paper, tolerance=None, modes=("full",)) -> report.Target:
    return report.Target(
        "nb", "q", paper, "Table 1", comparison, tolerance, tuple(modes), "paper_table"
    )


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
            '[[target]]\nquantity = "a"\nsource_kind = "paper_table"\nsource = "T1"\ncomparison = "relative"\ntolerance = 0.1\n',
            "missing 'paper_value'",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource_kind = "paper_table"\nsource = "T1"\ncomparison = "close"\n',
            "comparison must be one of",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource_kind = "paper_table"\nsource = "T1"\ncomparison = "relative"\n',
            "needs a non-negative 'tolerance'",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource_kind = "paper_table"\nsource = "T1"\ncomparison = "equal"\n',
            "takes a boolean paper_value",
        ),
        (
            '[[target]]\nquantity = "a"\npaper_value = 1.0\nsource_kind = "paper_table"\nsource = "T1"\ncomparison = "at_most"\nmodes = ["fast"]\n',
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
    assert len(files) >= 5
    for path in files:
        targets = report.load_targets(path.parent.name)
        assert targets, f"{path} holds no targets"
        for t in targets:
            assert t.source_kind in report.SOURCE_KINDS, (path, t.quantity)
            assert t.source.strip(), (path, t.quantity)
            assert isinstance(t.verified, bool), (path, t.quantity)


def test_no_shipped_source_cites_an_issue_number() -> None:
    """A source names the paper, the authors' code or our own arithmetic, never a ticket."""
    cites = re.compile(r"\bissues?\s*#?\s*\d|#\d+\b", re.IGNORECASE)
    bad = [
        (path.parent.name, t.quantity, t.source)
        for path in sorted(report.targets_dir().glob("*/targets.toml"))
        for t in report.load_targets(path.parent.name)
        if cites.search(t.source)
    ]
    assert bad == []
    assert cites.search("Sec. 3.2 (as quoted in issue 4)") and cites.search("see #12")


def test_synthetic_notebooks_score_known_truth_and_paper_rows_are_marked() -> None:
    kinds = {t.source_kind for t in report.load_targets("fit_your_own")}
    assert kinds <= {"known_truth", "sanity"} and "known_truth" in kinds
    # a value only quoted second-hand is never a verified paper row
    regmix = [t for t in report.load_targets("data_mixtures") if t.quantity.startswith("regmix")]
    quoted = [t for t in regmix if t.source_kind != "authors_code"]
    assert quoted and all(t.source_kind == "paper_table" and not t.verified for t in quoted)
    assert not any(t.from_paper for t in regmix)
    # the one RegMix number read at its source is the authors' notebook, pinned to a commit
    assert [t.source_kind for t in regmix if t not in quoted] == ["authors_code"]
    assert all("@ b004d3a" in t.source for t in regmix if t not in quoted)


TARGET = 'quantity = "a"\npaper_value = 1.0\ncomparison = "at_most"\n'


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('source = "Table 1"\n', "missing 'source_kind' (one of paper_text, paper_table"),
        (
            'source_kind = "paper"\nsource = "Table 1"\n',
            "unknown source_kind 'paper'; valid kinds: paper_text, paper_table, paper_figure, "
            "authors_code, derived, sanity, known_truth",
        ),
        ('source_kind = "derived"\nsource = " "\n', "'source' is empty"),
        ('source_kind = "derived"\nsource = "ours"\nverified = "no"\n', "'verified' must be"),
    ],
)
def test_source_kind_is_required_and_checked(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "nb.toml"
    path.write_text("[[target]]\n" + TARGET + extra)
    with pytest.raises(report.TargetsError) as err:
        report.load_targets("nb", path)
    text = str(err.value)
    assert text.startswith(f"{path}: target 0 (a): ") and message in text and "\n" not in text


def test_provenance_reaches_the_scorecard_and_the_tally(tmp_path: Path) -> None:
    path = tmp_path / "nb.toml"
    rows = [
        ("p", "paper_table", "true"),
        ("q", "paper_text", "false"),
        ("r", "authors_code", "true"),
        ("s", "known_truth", "true"),
    ]
    path.write_text(
        targets_toml(
            *(
                {"quantity": q, "paper_value": 1.0, "comparison": "at_most", "source_kind": k,
                 "verified": v == "true", "source": "somewhere"}
                for q, k, v in rows
            )
        )
    )  # fmt: skip
    targets = report.load_targets("nb", path)
    assert [(t.source_kind, t.verified, t.from_paper) for t in targets] == [
        ("paper_table", True, True),
        ("paper_text", False, False),
        ("authors_code", True, False),
        ("known_truth", True, False),
    ]
    results = {
        "mode": "full",
        "records": [{"quantity": "p", "value": 0.5}, {"quantity": "q", "value": 2.0}],
    }
    card = report.scorecard("nb", results, targets)
    assert card["source_kind"].tolist() == [k for _, k, _ in rows]
    assert card["verified"].tolist() == [True, False, True, True]
    assert report.paper_rows(card).tolist() == [True, False, False, False]
    tally = report.source_tally(card)
    assert tally.loc["from the papers"].to_dict() == {
        "not reproduced": 0,
        "not run": 0,
        "reproduced": 1,
        "total": 1,
    }
    assert tally.loc["other sources"].to_dict() == {
        "not reproduced": 1,
        "not run": 2,
        "reproduced": 0,
        "total": 3,
    }


def test_record_save_and_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alpha = {"quantity": "fit.alpha", "paper_value": 0.35, "comparison": "relative",
             "tolerance": 0.05, "modes": ["quick", "full"]}  # fmt: skip
    beta = {"quantity": "fit.beta", "paper_value": 0.37, "verified": False,
            "comparison": "relative", "tolerance": 0.05}  # fmt: skip
    targets = write_targets(tmp_path / "targets", "demo", alpha, beta)
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
        write_targets(tmp_path, package, {"quantity": quantity, "paper_value": 1.0,
                      "comparison": "relative", "tolerance": 0.1})  # fmt: skip
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
