"""Recording results, targets files and the comparison rules of the scorecard."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from scalingkit import reporting as report
from scalingkit._io import atomic_write_text


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
    monkeypatch.setattr(report, "_SESSION", report._Session())
    with pytest.raises(RuntimeError, match=r"before report\.start"):
        report.record("x", 1.0)
    report.start("demo")
    with pytest.raises(TypeError, match="x: expected a number or bool, got str"):
        report.record("x", "1.0")
    with pytest.raises(ValueError, match="mode: expected 'quick' or 'full'"):
        report.start("demo", mode="fast")


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
