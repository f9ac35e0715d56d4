"""`scalingkit fit` / `scalingkit.fit_law`: fitting a user's own runs from a CSV or DataFrame."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import scalingkit
from scalingkit.cli import main as cli_main
from scalingkit.laws import ChinchillaLaw
from scalingkit.runner import userfit as uf
from scalingkit.workbooks.fit_your_own import coverage

TRUTH = {"A": 482.0, "B": 2085.0, "E": 1.82, "alpha": 0.348, "beta": 0.366}
# a few starts near the optimum keep each fit ~0.1 s; the preset grid is exercised by the notebook
GRID = {"a": [5.0, 7.0], "b": [6.0, 8.0], "e": [0.5], "alpha": [0.4], "beta": [0.4]}
GRID_ARGS = [f"--grid={k}={','.join(str(v) for v in vals)}" for k, vals in GRID.items()]
COLS = "params=N,tokens=D,loss=L"


def _runs(noise_sd: float = 0.005, seed: int = 1) -> pd.DataFrame:
    runs = coverage.synthetic_runs(TRUTH, noise_sd=noise_sd, seed=seed)
    return runs.rename(columns={"params": "N", "tokens": "D", "loss": "L"})


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "runs.csv"
    _runs().to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------------
# Fitting and the allocation


def test_recovers_known_parameters_with_intervals_covering_them() -> None:
    res = uf.fit_law(_runs(noise_sd=0.002), columns=COLS, grid=GRID, n_bootstrap=100)
    assert isinstance(res, scalingkit.fit.FitResult) and res.converged
    rec = coverage.recovery_table(res, TRUTH)
    tol = {"A": 0.25, "B": 0.25, "E": 0.02, "alpha": 0.03, "beta": 0.03}
    for k, t in tol.items():
        assert abs(rec.loc[k, "rel_error"]) < t, k
    assert rec["covered"].all(), rec
    assert (rec["ci_low"] < rec["estimate"]).all() and (rec["estimate"] < rec["ci_high"]).all()


def test_kaplan_preset_recovers_exact_parameters() -> None:
    truth = {"A": 6.8e7, "B": 9.3e8, "E": 2.17, "alpha": 0.41, "beta": 0.45}
    runs = coverage.synthetic_runs(truth, law="kaplan", noise_sd=0.0)
    res = uf.fit_law(runs, "kaplan", n_bootstrap=0)
    assert res.converged and res.n_starts == 16 and res.bootstrap is None
    # a fit that stops early (tolerances not scaled to the tiny mean objective) misses by ~1e-4
    for name, value in truth.items():
        assert res.params[name] == pytest.approx(value, rel=1e-5), name


def test_presets_are_the_fit_presets_and_only_laws_of_n_and_d_are_offered() -> None:
    assert uf.SURFACE_LAWS == ("chinchilla", "kaplan")
    assert uf.USER_LAWS == (
        "chinchilla",
        "kaplan",
        "shifted_power",
        "mixture_additive",
        "mixture_joint",
    )
    for law in uf.SURFACE_LAWS:
        assert uf.get_preset(law) is scalingkit.fit.PRESETS[law]
    assert uf.get_preset("Chinchilla") is scalingkit.fit.PRESETS["chinchilla"]
    with pytest.raises(uf.FitInputError, match=r"valid laws: .*, mixture-additive, mixture-joint$"):
        uf.get_preset("hoffmann")
    with pytest.raises(uf.FitInputError, match=r"'mixture_additive' is not a law of N and D"):
        uf.get_preset("mixture_additive")


def test_quick_start_grid_is_the_presets_quick_grid() -> None:
    """``start_grid="quick"`` fits from the preset's 243-start grid (every other paper value)."""
    res = uf.fit_law(_runs(), columns=COLS, start_grid="quick", n_bootstrap=0)
    assert res.converged and res.n_starts == 243
    with pytest.raises(uf.FitInputError, match="start_grid: expected 'paper' or 'quick'"):
        uf.fit_law(_runs(), columns=COLS, start_grid="fast", n_bootstrap=0)


def test_allocation_intervals_are_percentiles_over_the_draws() -> None:
    res = uf.fit_law(_runs(), columns=COLS, grid=GRID, n_bootstrap=40, budgets=[1e19, 1e22])
    alloc = res.allocation()
    assert list(alloc["compute"]) == [1e19, 1e22]
    law = ChinchillaLaw()
    per_draw = np.array(
        [
            law.compute_optimal(row._asdict(), alloc["compute"]).tokens_per_param
            for row in res.samples.itertuples(index=False)
        ]
    )
    lo, hi = np.percentile(per_draw, [2.5, 97.5], axis=0)
    np.testing.assert_allclose(alloc["tokens_per_param_low"], lo, rtol=1e-12)
    np.testing.assert_allclose(alloc["tokens_per_param_high"], hi, rtol=1e-12)
    assert (alloc["n_draws"] == 40).all()
    assert alloc["tokens_per_param"].tolist() == pytest.approx(
        law.compute_optimal(res.params, [1e19, 1e22]).tokens_per_param.tolist()
    )


def test_default_budgets_span_the_runs_up_to_1000x_beyond() -> None:
    b = uf.default_budgets([9.6e15, 7.7e20])
    assert b.tolist() == [1e17, 1e19, 1e21, 1e23]
    assert uf.default_budgets([3e19, 8e19]).tolist() == [1e20, 1e21, 1e22]


def test_flops_column_gives_tokens(tmp_path: Path) -> None:
    runs = _runs()
    runs["C"] = 6 * runs["N"] * runs["D"]
    path = tmp_path / "flops.csv"
    runs.drop(columns="D").to_csv(path, index=False)
    res = uf.fit_law(path, columns="params=N,flops=C,loss=L", grid=GRID, n_bootstrap=0)
    np.testing.assert_allclose(res.runs["tokens"], runs["D"], rtol=1e-12)
    assert res.columns == {"params": "N", "flops": "C", "loss": "L"}


def test_same_seed_same_numbers(csv_path: Path) -> None:
    kw = {"columns": COLS, "grid": GRID, "n_bootstrap": 30}
    a = uf.fit_law(csv_path, seed=5, **kw)
    b = uf.fit_law(csv_path, seed=5, **kw)
    c = uf.fit_law(csv_path, seed=6, **kw)
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.bootstrap.samples, b.bootstrap.samples)
    assert not np.array_equal(a.bootstrap.samples, c.bootstrap.samples)
    assert a.se != c.se and a.params == c.params


def test_top_level_fit_law_is_the_high_level_api_and_imported_lazily() -> None:
    code = (
        "import sys, scalingkit; "
        "assert 'scalingkit.runner.userfit' not in sys.modules and 'pandas' not in sys.modules; "
        "f = scalingkit.fit_law; assert f.__module__ == 'scalingkit.runner.userfit'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert scalingkit.fit_law is uf.fit_law


# ---------------------------------------------------------------------------------------------
# The command: outputs, API equivalence, failure modes


def test_cli_writes_json_netcdf_and_html_matching_the_api(csv_path: Path, tmp_path, capsys):
    out = tmp_path / "fit"
    argv = ["fit", str(csv_path), "--columns", COLS, "--bootstrap", "40", "--seed", "3"]
    code = cli_main([*argv, *GRID_ARGS, "--budgets", "1e20,1e22", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["fit.json", "fit.nc", "report.html"]
    assert "chinchilla: L(N, D) = E + A/N^α + B/D^β, fitted to 48 runs" in printed
    assert "compute-optimal allocation" in printed and "written:" in printed

    api = uf.fit_law(
        pd.read_csv(csv_path), columns=COLS, n_bootstrap=40, seed=3, grid=GRID, budgets="1e20,1e22"
    )
    saved = json.loads((out / "fit.json").read_text())
    assert saved["params"] == api.params and saved["se"] == pytest.approx(api.se, rel=1e-12)
    assert saved["converged"] is True and saved["status"] == "converged"
    assert saved["source"] == str(csv_path) and len(saved["source_sha256"]) == 64
    assert saved["columns"] == {"params": "N", "tokens": "D", "loss": "L"}
    assert saved["n_bootstrap"] == 40 and saved["covariance"]["alpha"]["alpha"] > 0
    rows = saved["compute_optimal"]["budgets"]
    assert [r["compute"] for r in rows] == [1e20, 1e22]
    alloc = api.allocation()
    assert [r["tokens_per_param_high"] for r in rows] == pytest.approx(
        alloc["tokens_per_param_high"].tolist(), rel=1e-12
    )

    ds = xr.open_dataset(io.BytesIO((out / "fit.nc").read_bytes()))
    assert list(ds["parameter"].values) == ["A", "B", "E", "alpha", "beta"]
    np.testing.assert_allclose(
        ds["estimate"].values, [api.params[k] for k in ds["parameter"].values]
    )
    np.testing.assert_allclose(ds["samples"].values, api.samples[list(ds["parameter"].values)])
    np.testing.assert_allclose(ds["covariance"].values, api.covariance.to_numpy())
    np.testing.assert_allclose(ds["n_opt_low"].values, alloc["n_opt_low"])
    assert ds["budget"].values.tolist() == [1e20, 1e22] and ds.sizes["run"] == 48
    np.testing.assert_allclose(ds["run_residual"].values, api.predictions()["residual"])
    assert ds.attrs["law"] == "chinchilla" and ds.attrs["converged"] == 1
    assert ds.attrs["source"] == str(csv_path) and ds.attrs["columns"] == COLS

    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4
    for fig in ("fit", "residuals", "bootstrap", "frontier"):
        assert f'id="fig-{fig}"' in page
    assert "Converged" in page and "NOT converged" not in page
    assert "E + A/N^α + B/D^β" in page and "Versions" in page and "<script" not in page
    # the objective in words keeps its capitals (Huber, L): only the first letter is raised
    assert "<p>The sum over runs of the Huber loss (δ = 0.001) of the log residual log L" in page


def test_cli_not_converged_exits_1_and_says_so(csv_path: Path, tmp_path, capsys, monkeypatch):
    stopped = dataclasses.replace(scalingkit.fit.PRESETS["chinchilla"], maxiter=1)
    monkeypatch.setitem(scalingkit.fit.PRESETS, "chinchilla", stopped)
    out = tmp_path / "fit"
    code = cli_main(
        ["fit", str(csv_path), "--columns", COLS, "--bootstrap", "5", *GRID_ARGS, "--out", str(out)]
    )
    io_ = capsys.readouterr()
    assert code == 1
    assert "NOT converged" in io_.out and "NOT converged" in io_.err
    saved = json.loads((out / "fit.json").read_text())
    assert saved["converged"] is False and saved["status"] == "not_converged"
    assert "NOT converged" in (out / "report.html").read_text()
    assert xr.open_dataset(io.BytesIO((out / "fit.nc").read_bytes())).attrs["converged"] == 0


def _mutate(df: pd.DataFrame, col: str, row: int, value) -> pd.DataFrame:
    df = df.astype({col: object})
    df.loc[row, col] = value
    return df


BAD_INPUT = {
    "missing column": (
        lambda d: d,
        [],
        "runs.csv: missing column(s) 'params'; available columns: 'N', 'D', 'L'; "
        "map params with columns params=NAME",
    ),
    "misnamed column": (
        lambda d: d,
        ["--columns", "params=n_params,tokens=D,loss=L"],
        "runs.csv: missing column(s) 'n_params'; available columns: 'N', 'D', 'L'; "
        "map params with columns params=NAME",
    ),
    "non-numeric value": (
        lambda d: _mutate(d, "L", 4, "abc"),
        ["--columns", COLS],
        "runs.csv: column 'L' (loss), line 6: non-numeric value 'abc'",
    ),
    "non-finite value": (
        lambda d: _mutate(d, "N", 6, np.inf),
        ["--columns", COLS],
        "runs.csv: column 'N' (params), line 8: non-finite value inf",
    ),
    "missing value": (
        lambda d: _mutate(d, "D", 10, None),
        ["--columns", COLS],
        "runs.csv: column 'D' (tokens), line 12: missing value",
    ),
    "non-positive values": (
        lambda d: _mutate(_mutate(d, "D", 2, -5.0), "D", 9, 0),
        ["--columns", COLS],
        "runs.csv: column 'D' (tokens), line 4: non-positive value -5.0 (1 more bad line: 11)",
    ),
    "fewer runs than parameters": (
        lambda d: d.head(4),
        ["--columns", COLS],
        "runs.csv: 4 runs, but the chinchilla law has 5 parameters; need at least 5 runs",
    ),
    "single model size": (
        lambda d: d.assign(N=1e8),
        ["--columns", COLS],
        "runs.csv: column 'N' (params): a single value; the law needs runs at two or more",
    ),
    "unknown law": (
        lambda d: d,
        ["--columns", COLS, "--law", "hoffmann"],
        "law: unknown law 'hoffmann'; valid laws: chinchilla, kaplan",
    ),
    "unknown column role": (
        lambda d: d,
        ["--columns", "params=N,size=D"],
        "columns: unknown role 'size'; roles: params, tokens, flops, loss",
    ),
    "tokens and flops": (
        lambda d: d,
        ["--columns", "params=N,tokens=D,flops=D,loss=L"],
        "columns: map tokens or flops, not both",
    ),
    "unknown grid parameter": (
        lambda d: d,
        ["--columns", COLS, "--grid", "gamma=1"],
        "grid: unknown parameter 'gamma' for law chinchilla (known: a, b, e, alpha, beta)",
    ),
    "bad budgets": (
        lambda d: d,
        ["--columns", COLS, "--budgets", "1e20,-1"],
        "budgets: expected positive finite FLOP counts",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_naming_the_problem_and_writes_nothing(
    case: str, tmp_path: Path, capsys
) -> None:
    mutate, args, expected = BAD_INPUT[case]
    path = tmp_path / "runs.csv"
    mutate(_runs()).to_csv(path, index=False)
    out = tmp_path / "fit"
    assert cli_main(["fit", str(path), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scalingkit: error: ") and err.count("\n") == 1, err
    assert expected in err
    assert not out.exists()
    # the Python API raises the same one-line ValueError
    opts = dict(zip(args[::2], args[1::2], strict=True))
    with pytest.raises(ValueError) as exc:
        uf.fit_law(
            path,
            opts.get("--law", "chinchilla"),
            columns=opts.get("--columns"),
            grid=[opts["--grid"]] if "--grid" in opts else None,
            budgets=opts.get("--budgets"),
            n_bootstrap=0,
        )
    assert isinstance(exc.value, uf.FitInputError)
    assert f"scalingkit: error: {exc.value}\n" == err


def test_line_numbers_count_blank_lines_and_the_header(tmp_path: Path, capsys) -> None:
    lines = _runs().to_csv(index=False).splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[2], "oops")  # data row 5 is line 6 ...
    text = "\n".join([*lines[:3], "", *lines[3:]]) + "\n"  # ... and line 7 after a blank line
    (tmp_path / "gaps.csv").write_text(text)
    assert cli_main(["fit", str(tmp_path / "gaps.csv"), "--columns", COLS]) == 2
    assert "column 'L' (loss), line 7: non-numeric value 'oops'" in capsys.readouterr().err


def test_failure_while_building_outputs_leaves_the_folder_unchanged(
    csv_path: Path, tmp_path: Path, monkeypatch
) -> None:
    from scalingkit.runner.userfit import figures as figs

    out = tmp_path / "fit"
    out.mkdir()
    (out / "fit.json").write_text("previous fit\n")

    def boom(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(figs, "plot_frontier", boom)  # the last payload to be built
    with pytest.raises(RuntimeError, match="figure failed"):
        cli_main(
            [
                "fit",
                str(csv_path),
                "--columns",
                COLS,
                "--bootstrap",
                "5",
                *GRID_ARGS,
                "--out",
                str(out),
            ]
        )
    assert sorted(p.name for p in out.iterdir()) == ["fit.json"]
    assert (out / "fit.json").read_text() == "previous fit\n"
    # bad input leaves a previous result alone too
    assert cli_main(["fit", str(csv_path), "--law", "nope", "--out", str(out)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["fit.json"]


def test_out_must_be_a_folder(csv_path: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    assert cli_main(["fit", str(csv_path), "--columns", COLS, "--out", str(target)]) == 2
    assert "out: " in capsys.readouterr().err and target.read_text() == "x"
