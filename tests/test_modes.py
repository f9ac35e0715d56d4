"""One convention for mode-dependent knobs: the mode picks the workbook's defaults, and a value
set explicitly (in the cell, by ``scalingkit run -p``, ``scalingkit sweep --grid``) always wins.

Before this convention, ``scalingkit sweep data_mixtures --mode full --grid n_bootstrap=...``
silently changed nothing (``N_BOOT = n_bootstrap_full if FULL else n_bootstrap``).
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import re
from pathlib import Path

import nbformat
import pytest
from notebook_factory import write_notebook

from scalingkit import reporting as report
from scalingkit.runner import ParameterError, notebooks_dir, read_parameters, run_notebooks, sweep

#: The workbook notebooks that follow the convention: every notebook of the repository.
NOTEBOOKS = (
    "00_data_tour",
    "chinchilla_replication",
    "loss_to_loss",
    "data_mixtures",
    "data_pruning",
    "fit_your_own",
)


def test_every_notebook_follows_the_convention() -> None:
    assert sorted(NOTEBOOKS) == sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


MODE_DEFAULTS = {"quick": {"n_bootstrap": 3}, "full": {"n_bootstrap": 40}}


# ---------------------------------------------------------------------------- the resolution rule
@pytest.mark.parametrize("mode", ["quick", "full"])
def test_none_takes_the_mode_default_and_an_explicit_value_wins(mode: str) -> None:
    given = {"mode": mode, "n_bootstrap": None, "seed": 1}
    resolved = report.resolve_mode_defaults(given, MODE_DEFAULTS)
    assert resolved == {"mode": mode, "n_bootstrap": MODE_DEFAULTS[mode]["n_bootstrap"], "seed": 1}
    explicit = report.resolve_mode_defaults({**given, "n_bootstrap": 7}, MODE_DEFAULTS)
    assert explicit["n_bootstrap"] == 7
    assert given["n_bootstrap"] is None  # the input is not modified


@pytest.mark.parametrize(
    ("given", "defaults", "declared", "message"),
    [
        (
            {"mode": "fast"},
            None,
            None,
            r"nb: parameter 'mode' must be 'quick' or 'full', got 'fast'",
        ),
        ({"n": None}, {"quick": {"n": 1}}, None, "must name both modes"),
        ({"n": None}, {"quick": {"n": 1}, "full": {"m": 2}}, None, "same parameters in both"),
        ({"n": None}, {"quick": {"k": 1}, "full": {"k": 2}}, None, "for k, which the notebook"),
        ({"n": 5}, {"quick": {"n": 1}, "full": {"n": 2}}, {"n": 5}, "set them to None"),
    ],
)
def test_bad_mode_settings_are_one_line_errors(given, defaults, declared, message) -> None:
    with pytest.raises(ParameterError, match=message) as err:
        report.resolve_mode_defaults(given, defaults, declared=declared, where="nb")
    assert "\n" not in str(err.value)


def _knob_notebook(path: Path) -> Path:
    """A notebook whose one mode-dependent knob is recorded as the notebook resolved it."""
    body = (
        "from scalingkit import reporting as report\n"
        f"params = report.start({str(path)!r}, mode_defaults={MODE_DEFAULTS!r})\n"
        "report.record('n_bootstrap_used', params.n_bootstrap)\n"
        "report.save()"
    )
    return write_notebook(path, 'mode = "quick"\nn_bootstrap = None\nseed = 1', body)


def test_start_reads_the_calling_namespace(tmp_path: Path) -> None:
    path = _knob_notebook(tmp_path / "knob.ipynb")
    ns = {"report": report, "mode": "full", "n_bootstrap": None, "seed": 1, "other": 2}
    exec(f"params = report.start({str(path)!r}, mode_defaults={MODE_DEFAULTS!r})", ns)
    assert dict(ns["params"]) == {"mode": "full", "n_bootstrap": 40, "seed": 1}
    assert ns["params"].n_bootstrap == 40
    saved = report.results_dict(include_provenance=False)
    assert saved["notebook"] == "knob" and saved["mode"] == "full"
    assert saved["parameters"] == {"n_bootstrap": 40, "seed": 1}
    assert saved["parameters_given"] == {"n_bootstrap": None, "seed": 1}
    with pytest.raises(AttributeError, match="no parameter 'nope'"):
        _ = ns["params"].nope
    del ns["seed"]
    with pytest.raises(ParameterError, match=r"knob: parameter\(s\) seed not defined"):
        exec(f"report.start({str(path)!r})", ns)
    with pytest.raises(ParameterError, match="no notebook at"):
        report.start("no_such_notebook", namespace={})


def test_run_in_full_mode_uses_an_explicit_value(tmp_path: Path) -> None:
    """``scalingkit run --mode full -p n_bootstrap=7`` runs with 7; without it, the full default."""
    path = _knob_notebook(tmp_path / "knob.ipynb")
    values = {}
    for label, overrides in (("explicit", {"n_bootstrap": "7"}), ("default", {})):
        out = tmp_path / label
        (outcome,) = run_notebooks(
            [path], out_dir=out, mode="full", overrides=overrides, progress=False, log=io.StringIO()
        )
        assert outcome.ok, outcome.error
        results = json.loads((out / "knob.results.json").read_text())
        assert results["mode"] == "full"
        values[label] = (
            results["records"][0]["value"],
            results["parameters"]["n_bootstrap"],
            results["parameters_given"]["n_bootstrap"],
        )
    assert values == {"explicit": (7, 7, 7), "default": (40, 40, None)}


def test_sweep_in_full_mode_reaches_the_knob(tmp_path: Path) -> None:
    """``scalingkit sweep --mode full --grid n_bootstrap=5,9`` runs with 5 and with 9."""
    path = _knob_notebook(tmp_path / "knob.ipynb")
    ds = sweep.run_sweep(
        path,
        {"n_bootstrap": ["5", "9"]},
        mode="full",
        out_dir=tmp_path,
        workers=1,
        log=io.StringIO(),
    )
    assert (ds["status"] == "ok").all(), ds["error"].values
    assert ds["value"].sel(quantity="n_bootstrap_used").values.tolist() == [5, 9]


# ---------------------------------------------------------------------------- the real workbooks
def _workbook(stem: str):
    return importlib.import_module(f"scalingkit.workbooks.{report.workbook_package(stem)}")


def _parameters_cell(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_workbook_knobs_resolve_by_mode_and_explicit_values_win(stem: str) -> None:
    path = notebooks_dir() / f"{stem}.ipynb"
    declared = read_parameters(path)
    defaults = _workbook(stem).MODE_DEFAULTS
    assert not [n for n in declared if n.endswith(("_quick", "_full"))], "one knob, not two"
    cell = _parameters_cell(path).splitlines()
    for mode in ("quick", "full"):
        for knob, value in defaults.get(mode, {}).items():
            assert declared[knob] is None, f"{knob}: must be None in the parameters cell"
            if isinstance(value, int):  # the cell's comment names the default it stands for
                line = next(x for x in cell if x.startswith(f"{knob} ="))
                assert re.search(rf"\b{value}\b", line.partition("#")[2]), (knob, line)
            ns = {**declared, "mode": mode}
            assert report.start(stem, mode_defaults=defaults, namespace=ns)[knob] == value
            explicit = object()
            ns[knob] = explicit
            assert report.start(stem, mode_defaults=defaults, namespace=ns)[knob] is explicit


def _loads(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_reads_its_parameters_only_through_start(stem: str) -> None:
    """After ``params = report.start(...)`` no cell reads a parameter's raw (unresolved) name."""
    path = notebooks_dir() / f"{stem}.ipynb"
    declared = set(read_parameters(path))
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    i = next(k for k, s in enumerate(code) if "report.start(" in s)
    body = ast.parse(code[i]).body
    j = next(k for k, st in enumerate(body) if "report.start(" in ast.unparse(st))
    call = next(
        n
        for n in ast.walk(body[j])
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "report.start"
    )
    assert [ast.unparse(a) for a in call.args] == [repr(stem)]
    kw = {k.arg: ast.unparse(k.value) for k in call.keywords}
    assert set(kw) == {"mode_defaults"} and kw["mode_defaults"].endswith(".MODE_DEFAULTS")
    raw = set()
    for st in body[j + 1 :]:
        raw |= _loads(st) & declared
    for source in code[i + 1 :]:
        raw |= _loads(ast.parse(source)) & declared
    assert not raw, f"{stem}: reads {sorted(raw)} directly; use params.<name>"
