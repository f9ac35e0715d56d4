"""The notebook as a document: numbered figures and tables, prose filled from the records, the
parameters table, the verdict table and the conclusion (scalingkit.reporting.document and
.presentation), without a kernel."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from notebook_factory import write_targets

from scalingkit import reporting as report
from scalingkit.reporting import document, presentation, recording
from scalingkit.reporting.formatting import fmt

#: The targets of notebook ``demo`` (see :func:`notebook_factory.targets_toml`).
TARGETS = (
    {
        "quantity": "fit.alpha",
        "description": "exponent of N",
        "paper_value": 0.3478,
        "source": "Table 1 of arXiv:2404.10102",
        "comparison": "relative",
        "tolerance": 0.05,
        "modes": ["quick", "full"],
    },
    {
        "quantity": "fit.beta",
        "paper_value": 0.3658,
        "comparison": "relative",
        "tolerance": 0.05,
    },
    {
        "quantity": "test.p_value",
        "description": "p-value of the chi-square test, a long description that must not be cut short",
        "paper_value": 1e-40,
        "source": "our derivation",
        "source_kind": "derived",
        "comparison": "at_most",
        "modes": ["quick", "full"],
    },
)


@pytest.fixture
def shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """A session of notebook ``demo`` with targets; every display bundle is collected."""
    write_targets(tmp_path, "demo", *TARGETS)
    monkeypatch.setattr(report, "targets_dir", lambda: tmp_path)
    monkeypatch.setattr(recording, "_SESSION", recording._Session())
    monkeypatch.delenv(report.RESULTS_ENV, raising=False)
    bundles: list[dict] = []
    monkeypatch.setattr(document, "_display", lambda b, m=None: bundles.append(dict(b)))
    report.start("demo", mode="quick", parameters={"n_bootstrap": 400, "seed": 0})
    report.record("fit.alpha", 0.34781, uncertainty=0.0154, ci=(0.318, 0.374))
    report.record("test.p_value", 7e-49, description="p-value")
    report.record("n.runs", 245)
    return bundles


# ---------------------------------------------------------------------------------------------
# Templates: numbers come from the records, never typed


def test_fill_takes_records_parameters_attributes_targets_and_values(shown) -> None:
    text = report.fill(
        "α = {{ fit.alpha:.3f }} ± {{ fit.alpha.se:.3f }} {{ fit.alpha.ci:.2f }}, paper "
        "{{ fit.alpha.paper }} ({{ fit.alpha.tolerance }}); p = {{ test.p_value }}; "
        "{{ n.runs }} runs, {{ params.n_bootstrap }} refits in {{ params.mode }} mode; "
        "{{ fit.alpha.pm:.2f }}; status {{ fit.alpha.status }}; {{ big }}; "
        "$N^{\\alpha}$ and $D_{opt}$ stay TeX",
        big=632739,
    )
    assert text == (
        "α = 0.348 ± 0.015 [0.32, 0.37], paper 0.3478 (±5%); p = 7 × 10⁻⁴⁹; 245 runs, 400 "
        "refits in quick mode; 0.35 ± 0.02; status agrees (quick mode); 632,739; "
        "$N^{\\alpha}$ and $D_{opt}$ stay TeX"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ fit.alpa }}", r"'fit\.alpa'.*did you mean fit\.alpha"),
        ("{{ params.n_boot }}", r"'params\.n_boot'.*did you mean params\.n_bootstrap"),
        ("{{ n.runs.se }}", r"'n\.runs' was recorded without uncertainty"),
        ("{{ fit.gamma.paper }}", r"no target for 'fit\.gamma'"),
    ],
)
def test_fill_fails_loudly_on_an_unknown_key(shown, template: str, message: str) -> None:
    with pytest.raises(KeyError, match=message):
        report.fill(template)


def test_markdown_displays_the_filled_text(shown) -> None:
    report.markdown("We fit {{ n.runs }} runs.")
    assert shown[-1]["text/markdown"] == "We fit 245 runs."


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (1e-40, "", "1 × 10⁻⁴⁰"),
        (3.23e-17, "", "3.23 × 10⁻¹⁷"),
        (0.34781302, "", "0.3478"),
        (2.5e23, "", "2.5 × 10²³"),
        (2452, "", "2452"),
        (632739, "", "632,739"),
        (True, "", "yes"),
        (0.34781302, ".2f", "0.35"),
        (float("nan"), "", "nan"),
    ],
)
def test_prose_numbers(value, spec: str, text: str) -> None:
    assert presentation.prose_number(value, spec) == text


# ---------------------------------------------------------------------------------------------
# Figures and tables


def test_figures_are_numbered_captioned_high_resolution_and_closed(shown) -> None:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([1, 2], [1, 2])
    report.figure(fig, "The fit of {{ n.runs }} runs; $L(N, D)$ *bends*.", label="fit")
    fig2, _ = plt.subplots(figsize=(4, 3))
    report.figure(fig2, "Second.", headline=True)
    assert not plt.get_fignums(), "displayed figures must be closed (no second inline copy)"
    first, second = shown[-2]["text/html"], shown[-1]["text/html"]
    assert '<figure class="sk-figure" id="fig-fit">' in first
    assert "<strong>Figure 1.</strong> The fit of 245 runs; $L(N, D)$ <em>bends</em>." in first
    # shown at 100 px per inch (a 4-inch figure, trimmed to its content), drawn at 200 dpi
    width = int(re.search(r'width="(\d+)"', first).group(1))
    png = base64.b64decode(re.search(r"base64,([^\"]+)", first).group(1))
    assert 300 < width <= 400 and int.from_bytes(png[16:20], "big") in (
        2 * width - 1,
        2 * width,
        2 * width + 1,
    )
    assert "<strong>Figure 2.</strong> Second." in second and 'id="fig-fig-2"' in second
    results = recording.results_dict(include_provenance=False)
    assert [f["number"] for f in results["figures"]] == [1, 2]
    assert results["headline"]["label"] == "fig-2" and results["headline"]["png"]


def test_tables_are_numbered_and_formatted_without_nan_or_truncation(shown) -> None:
    long = "x" * 120
    frame = pd.DataFrame(
        {"p": [1e-40, 0.5], "n": [21076639744, 3], "note": [long, None]},
        index=pd.Index(["a", "b"], name="row"),
    )
    report.table(frame, "Two rows of {{ n.runs }}.")
    page = shown[-1]["text/html"]
    assert "<strong>Table 1.</strong> Two rows of 245." in page
    assert "1e-40" in page and "2.108e+10" in page and long in page
    assert "nan" not in page.lower().replace("sk-not-run", "")
    assert '<th class="num">p</th>' in page and "<th>row</th>" in page


def test_parameters_table_says_where_each_value_came_from(shown, monkeypatch) -> None:
    s = recording.session()
    s.declared = {"mode": "quick", "n_bootstrap": None, "seed": 1}
    s.parameters_given = {"n_bootstrap": None, "seed": 0}
    monkeypatch.setattr(
        document, "mode_defaults", lambda stem: {"quick": {"n_bootstrap": 400}, "full": {}}
    )
    report.parameters_table()
    page = shown[-1]["text/html"]
    assert "quick-mode default" in page and "set for this run" in page
    assert shown[-1]["text/plain"].splitlines()[0] == "mode = 'quick'"


# ---------------------------------------------------------------------------------------------
# The verdict, its tally and the conclusion


def test_verdict_is_a_dataframe_that_displays_as_a_formatted_table(shown) -> None:
    v = report.verdict()
    assert isinstance(v, pd.DataFrame) and list(v.index) == [
        "fit.alpha",
        "fit.beta",
        "test.p_value",
    ]
    assert v.loc["fit.alpha", "status"] == "reproduced"
    assert v["status"].value_counts()["not run"] == 1
    page = v._repr_html_()
    assert "7e-49" in page and "1e-40" in page and ">0.0<" not in page  # not rounded to 0
    assert "a long description that must not be cut short" in page
    assert "nan" not in page.lower()
    assert '<td class="sk-status sk-agrees">agrees (quick mode)</td>' in page
    assert 'href="https://arxiv.org/abs/2404.10102"' in page
    assert page.count("<tr>") == 1 + 3  # header + this notebook's rows, no other notebook's
    assert "quick mode: none counted as reproduced" in page


def _rows(**extra) -> pd.DataFrame:
    base = {
        "notebook": "nb",
        "description": "",
        "paper_value": 1.0,
        "source": "Table 2",
        "our_value": 1.0,
        "uncertainty": None,
        "ci_low": None,
        "ci_high": None,
        "tolerance": "±1%",
    }
    rows = [
        {**base, "quantity": "a", "status": "reproduced", "mode": "full"},
        {**base, "quantity": "b", "status": "not reproduced", "mode": "full", "our_value": 2.0},
        {**base, "quantity": "c", "status": "reproduced", "mode": "quick"},
        {**base, "quantity": "d", "status": "not compared (quick mode)", "mode": "quick"},
        {**base, "quantity": "e", "status": "not run", "mode": ""},
    ]
    frame = pd.DataFrame(rows)
    for name, values in extra.items():
        frame[name] = values
    return frame


def test_outcomes_never_count_a_quick_mode_row_as_reproduced() -> None:
    keys = [presentation.outcome(r.status, r.mode) for r in _rows().itertuples()]
    assert keys == ["reproduced", "not_reproduced", "agrees", "not_compared", "not_run"]
    assert presentation.outcome("not run", "quick") == "not_computed"
    kinds = ["paper_table", "paper_table", "sanity", "sanity", "known_truth"]
    t = presentation.tally(_rows(source_kind=kinds))
    assert t.targets == {"reproduced": 1, "not_reproduced": 1}
    assert t.checks == {"passes": 1, "not_compared": 1, "not_run": 1}
    assert t.text() == (
        "2 targets: 1 reproduced, 1 not reproduced. "
        "3 checks: 1 pass, 1 not compared in quick mode, 1 not run."
    )


def test_verdict_table_shows_source_kinds_and_unverified_rows_only_when_recorded() -> None:
    plain = presentation.verdict_html(_rows(), style=False)
    assert "sk-kind" not in plain and "unverified" not in plain
    kinds = ["paper_table", "paper_text", "authors_code", "derived", "sanity"]
    verified = [True, False, True, None, True]
    page = presentation.verdict_html(_rows(source_kind=kinds, verified=verified), style=False)
    assert page.count('<span class="sk-unverified">unverified</span>') == 1
    assert '<span class="sk-kind">paper table</span>' in page
    assert '<span class="sk-kind">sanity check</span>' in page
    assert ">passes<" not in page  # e (sanity) was not run
    card = _rows(source_kind=kinds, verified=verified).to_dict("records")
    assert [presentation.is_paper_sourced(r) for r in card] == [True, False, False, False, False]


def test_conclusion_states_what_reproduced_what_did_not_and_what_was_not_compared() -> None:
    full = document.conclusion_text(_rows().iloc[:2], "full")
    assert "**Reproduced** (1 of 2 compared targets): `a`." in full
    assert "**Not reproduced:** `b` (ours 2, paper 1, tolerance ±1%)." in full
    quick = document.conclusion_text(_rows().iloc[2:4], "quick")
    assert "nothing in it counts as reproduced" in quick
    assert "**Agree at quick settings** (1 of the 1 targets compared in quick mode): `c`." in quick
    assert "**Not compared in quick mode** (full mode only): `d`." in quick
    assert "**Not computed in quick mode:** `e`." in document.conclusion_text(
        _rows().iloc[4:], "quick"
    )
    assert "**Not recorded** (not run): `e`." in document.conclusion_text(_rows().iloc[4:], "")
    checks = _rows(source_kind=["sanity"] * 5).iloc[:2]
    assert "these fail: `b`" in document.conclusion_text(checks, "full")
    assert "no targets" in document.conclusion_text(_rows().iloc[:0], "quick")


def test_conclusion_puts_the_notebooks_reading_first(shown) -> None:
    report.conclusion("Our α is {{ fit.alpha:.2f }}.")
    text = shown[-1]["text/markdown"]
    assert text.startswith("Our α is 0.35.\n\n**Quick mode.**")


# ---------------------------------------------------------------------------------------------
# save() and the results file


def test_save_prints_no_scratch_path_and_the_results_carry_the_figures(
    shown, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch.json"
    monkeypatch.setenv(report.RESULTS_ENV, str(scratch))
    fig, _ = plt.subplots()
    report.figure(fig, "Headline.", headline=True)
    assert report.save() is None  # a notebook's last line shows nothing
    saved = json.loads(scratch.read_text())
    assert saved["headline"]["caption"] == "Headline." and saved["figures"][0]["number"] == 1
    explicit = report.save(tmp_path / "given.json")
    assert explicit == tmp_path / "given.json" and explicit.is_file()


def test_one_number_formatter() -> None:
    assert fmt(1e-40) == "1e-40" and fmt(7e-49) == "7e-49" and fmt(math.nan) == ""


def test_sources_a_reader_can_follow() -> None:
    text = "NB (epoch-research/analyzing-chinchilla @ 9225883), arXiv:2404.10102, <b>"
    page = presentation.linkify(text)
    assert '<a href="https://github.com/epoch-research/analyzing-chinchilla/tree/9225883">' in page
    assert '<a href="https://arxiv.org/abs/2404.10102">arXiv:2404.10102</a>' in page
    assert "&lt;b&gt;" in page and "<b>" not in page
