"""The template layer (scalingkit.runner.pages) and the helpers every page shares: one
stylesheet, well-formed escaped HTML, nothing written half; the one number formatter and the
one ``--grid`` parser."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import pytest

from scalingkit.errors import FitInputError, ParameterError
from scalingkit.runner import build_index, gridspec, pages, sweep, userfit
from scalingkit.runner.formatting import fmt
from scalingkit.runner.sweep import assemble, grid
from scalingkit.runner.sweep import report as sweep_report
from scalingkit.workbooks.fit_your_own import coverage

VOID = {"meta", "link", "img", "br", "hr", "input", "col", "area", "base", "source", "wbr"}
EVIL = "<script>alert('x')</script>"


class _Checker(HTMLParser):
    """Strict well-formedness: every non-void element closed in order, nothing left open."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self.scripts = 0
        self._in_style = False

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        self.scripts += tag == "script"
        self._in_style = tag == "style"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        self._in_style = False

    def handle_data(self, data) -> None:
        if self._in_style:
            self.styles.append(data)


def check_page(text: str) -> _Checker:
    """Assert ``text`` is one well-formed page carrying the shared stylesheet; return its parse."""
    assert text.startswith("<!DOCTYPE html>")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.stack, f"unclosed: {checker.stack}"
    assert checker.tags.count("html") == checker.tags.count("body") == 1
    assert checker.tags.count("title") == 1 and checker.tags.count("style") == 1
    assert pages.stylesheet().strip() in checker.styles[0]
    assert checker.scripts == 0  # self-contained pages, and nothing injected
    return checker


# ---------------------------------------------------------------------------------------------
# The three pages


def test_index_page_is_well_formed_escaped_and_shares_the_stylesheet(tmp_path: Path) -> None:
    (tmp_path / "evil_nb.results.json").write_text(
        json.dumps({"notebook": "evil_nb", "status": "failed", "error": EVIL, "records": []})
    )
    (tmp_path / "evil_nb.html").write_text("x")
    page = build_index(tmp_path).read_text()
    check_page(page)
    assert EVIL not in page and "failed: &lt;script&gt;" in page
    assert 'href="evil_nb.html"' in page and "evil_nb.ipynb" not in page
    assert (tmp_path / "scorecard.csv").is_file()


def _fake_sweep(error: str) -> object:
    points = [
        grid.SweepPoint((0,), {"x": "1"}, {"x": 1.0}, "x=1.0"),
        grid.SweepPoint((1,), {"x": "2"}, {"x": 2.0}, "x=2.0"),
    ]
    rec = {"quantity": "square", "value": 1.0, "uncertainty": 0.1, "description": EVIL}
    stored = {
        "x=1.0": {"status": "ok", "error": "", "seconds": 1.0, "results": {"records": [rec]}},
        "x=2.0": {"status": "failed", "error": error, "seconds": 2.0, "results": {}},
    }
    ds = assemble.assemble_dataset("no_such_notebook", {"x": [1.0, 2.0]}, points, stored)
    ds.attrs.update(
        notebook="no_such_notebook",
        run_mode="",
        fixed="{}",
        scalingkit_version="0",
        created="now",
    )
    return ds


def test_sweep_page_is_well_formed_and_escapes_every_table(tmp_path: Path) -> None:
    ds = _fake_sweep(error=EVIL)
    page = sweep.render_sweep_report(ds, figure_png=b"\x89PNG fake")
    check_page(page)
    assert EVIL not in page  # neither in the failed points, the sensitivity nor the points table
    assert page.count("&lt;script&gt;") >= 3
    assert "<a href='points/x=1.0/no_such_notebook.html'>html</a>" in page
    assert "data:image/png;base64," in page and "2 points (1 ok, 1 failed) over x ∈ {1, 2}" in page


def test_fit_page_is_well_formed_and_shares_the_stylesheet() -> None:
    runs = coverage.synthetic_runs(
        {"A": 482.0, "B": 2085.0, "E": 1.82, "alpha": 0.348, "beta": 0.366}, seed=1
    )
    grid_ = {"a": [5.0, 7.0], "b": [6.0, 8.0], "e": [0.5], "alpha": [0.4], "beta": [0.4]}
    res = userfit.fit_law(runs, n_bootstrap=0, grid=grid_)
    page = userfit.render_html(res, figures={"fit": b"\x89PNG fake"})
    parsed = check_page(page)
    assert parsed.tags.count("figure") == 1 and 'id="fig-fit"' in page
    assert "No bootstrap pair plot" in page and 'class="report"' in page
    # numbers right-aligned: data, parameters, exponents a and b, allocation, convergence, versions
    assert page.count('<table class="dataframe numbers">') == 6


def test_a_missing_template_variable_is_an_error_not_an_empty_cell() -> None:
    with pytest.raises(jinja2.UndefinedError):
        pages.render_page("index.html.j2", notebooks=[], scorecard=[], status_counts=[])


def test_a_failing_report_leaves_the_sweep_folder_unwritten(tmp_path: Path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(sweep_report, "render_page", boom)
    with pytest.raises(RuntimeError, match="render failed"):
        sweep_report.write_sweep_outputs(tmp_path / "s", _fake_sweep(error="e"))
    assert not (tmp_path / "s").exists() or not list((tmp_path / "s").iterdir())


def test_a_failing_index_changes_neither_index_nor_scorecard(tmp_path: Path, monkeypatch) -> None:
    from scalingkit.runner import index

    (tmp_path / "index.html").write_text("old index")
    (tmp_path / "scorecard.csv").write_text("old card")
    monkeypatch.setattr(index, "render_page", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        build_index(tmp_path)
    assert (tmp_path / "index.html").read_text() == "old index"
    assert (tmp_path / "scorecard.csv").read_text() == "old card"


# ---------------------------------------------------------------------------------------------
# One number formatter


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (0.000123456, {}, "0.0001235"),
        (np.float64(1234567.0), {}, "1.235e+06"),
        (1234567.0, {"digits": 3}, "1.23e+06"),
        (12, {}, "12"),
        (np.int64(7), {}, "7"),
        (float("nan"), {}, ""),
        (None, {}, ""),
        (float("nan"), {"missing": "nan"}, "nan"),
        (float("inf"), {"missing": "nan"}, "inf"),
        (True, {}, "yes"),
        (False, {"bools": None}, "False"),
        ("text", {}, "text"),
    ],
)
def test_fmt(value, kwargs, expected: str) -> None:
    assert fmt(value, **kwargs) == expected


# ---------------------------------------------------------------------------------------------
# One --grid parser, two configurations


def test_sweep_grid_keeps_strings_and_raises_parameter_errors() -> None:
    assert sweep.parse_grid([" a = 1e-3, 0.1 ", "b=x"]) == {"a": ["1e-3", "0.1"], "b": ["x"]}
    assert sweep.parse_grid([]) == {}
    with pytest.raises(ParameterError, match=r"^--grid: parameter 'a' given twice$"):
        sweep.parse_grid(["a=1", "a=2"])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a=x", "grid: expected name=v1,v2,... (numbers), got 'a=x'"),
        ("a=1,inf", "grid: expected name=v1,v2,... (numbers), got 'a=1,inf'"),
        ("a", "grid: expected name=v1,v2,... (numbers), got 'a'"),
        ("a=1,,2", "grid: parameter 'a' has an empty value in 'a=1,,2'"),
    ],
)
def test_fit_grid_wants_finite_numbers_and_raises_fit_input_errors(spec, message) -> None:
    with pytest.raises(FitInputError) as info:
        userfit.parse_grid([spec])
    assert str(info.value) == message


def test_fit_grid_takes_a_mapping_and_the_same_parser_serves_both() -> None:
    assert userfit.parse_grid({"a": [0, 5], "b": 2}) == {"a": [0.0, 5.0], "b": [2.0]}
    assert userfit.parse_grid(["a=0,5"]) == gridspec.parse_grid(
        ["a=0,5"], option="grid", numbers=True
    )
    with pytest.raises(FitInputError, match="grid: parameter 'a' given twice"):
        userfit.parse_grid(["a=1", "a=2"])
    with pytest.raises(FitInputError, match=r"grid: expected name=v1,v2,\.\.\. \(numbers\)"):
        userfit.parse_grid({"a": [float("nan")]})
    assert pd.api.types.is_float(userfit.parse_grid(["a=3"])["a"][0])


def test_sweep_page_counts_a_yes_no_quantity_instead_of_a_relative_spread() -> None:
    points = [
        grid.SweepPoint((i,), {"x": str(v)}, {"x": v}, f"x={v}") for i, v in enumerate((1.0, 2.0))
    ]
    stored = {
        f"x={v}": {
            "status": "ok",
            "error": "",
            "seconds": 1.0,
            "results": {
                "records": [
                    {"quantity": "holds", "value": v == 1.0, "description": "a claim"},
                    {"quantity": "slope", "value": v, "description": "a number"},
                ]
            },
        }
        for v in (1.0, 2.0)
    }
    ds = assemble.assemble_dataset("no_such_notebook", {"x": [1.0, 2.0]}, points, stored)
    ds.attrs.update(
        notebook="nb", run_mode="quick", fixed="{}", scalingkit_version="0", created="now"
    )
    table = sweep_report._sensitivity(ds).set_index("quantity")
    assert table.loc["holds", "min"] == "true at 1 of 2"
    assert pd.isna(table.loc["holds", "relative spread"])
    assert table.loc["slope", "relative spread"] == pytest.approx(1 / 1.5)
    page = sweep.render_sweep_report(ds, figure_png=None)
    check_page(page)
    assert "true at 1 of 2" in page and "within tolerance" in page


def test_mathjax_is_installed_once_next_to_the_pages(tmp_path: Path) -> None:
    dest = pages.install_static(tmp_path)
    assert dest == tmp_path / "_static" / "mathjax" and (dest / "MathJax.js").is_file()
    assert (dest / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert not (dest / "extensions" / "a11y").exists()  # the menu's extensions: not needed
    marker = dest / "MathJax.js"
    before = marker.stat().st_mtime_ns
    assert pages.install_static(tmp_path) == dest and marker.stat().st_mtime_ns == before
    assert not list((tmp_path / "_static").glob(".*.tmp"))
    assert pages.mathjax_url("../../_static").startswith("../../_static/mathjax/MathJax.js?")


def test_a_sweep_folder_gets_the_mathjax_its_points_reports_load(tmp_path: Path) -> None:
    sweep_report.write_sweep_outputs(tmp_path / "s", _fake_sweep(error="e"))
    assert (tmp_path / "s" / "_static" / "mathjax" / "MathJax.js").is_file()
