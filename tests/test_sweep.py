"""`scalingkit sweep`: grids, gathering into a Dataset, failures, resuming, process pool, Dask."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from notebook_factory import write_notebook

from scalingkit.cli import main as cli_main
from scalingkit.runner import ParameterError, notebooks_dir, sweep

SMALL_PARAMETERS = 'x = 1.0\nlabel = "a"\nseed = 0\nfail_flag = ""\nmode = "quick"'
SMALL_BODY = (
    "import os\n"
    "import numpy as np\n"
    "from scalingkit import reporting as report\n"
    'report.start("small_sweep_notebook", mode=mode, parameters={"x": x, "label": label})\n'
    "if fail_flag and os.path.exists(fail_flag) and x == 2.0:\n"
    '    raise RuntimeError(f"flagged failure at x={x}")\n'
    'report.record("square", x**2, uncertainty=0.1 * x, description="x squared")\n'
    'report.record("shifted", x + (10.0 if label == "b" else 0.0))\n'
    'report.record("noise", float(np.random.default_rng(seed).normal()))\n'
    'report.record("big", x > 1.5)\n'
    "report.save()"
)


@pytest.fixture(scope="module")
def small_notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A notebook that records a few numbers computed from its parameters."""
    path = tmp_path_factory.mktemp("nb") / "small_sweep_notebook.ipynb"
    return write_notebook(path, SMALL_PARAMETERS, SMALL_BODY)


GRID = {"x": ["1", "3"], "label": ["a", "b"]}


@pytest.fixture(scope="module")
def local_sweep(small_notebook: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("sweeps")
    log = io.StringIO()
    ds = sweep.run_sweep(small_notebook, GRID, fixed={"seed": "7"}, out_dir=out, workers=1, log=log)
    return ds, Path(ds.attrs["folder"]), log.getvalue()


def test_grid_becomes_dimensions_with_every_recorded_number(local_sweep) -> None:
    ds, _, log = local_sweep
    assert ds["status"].dims == ("x", "label")
    assert ds["x"].values.tolist() == [1.0, 3.0] and ds["label"].values.tolist() == ["a", "b"]
    assert (ds["status"] == "ok").all()
    assert ds["quantity"].values.tolist() == ["square", "shifted", "noise", "big"]
    square = ds["value"].sel(quantity="square")
    np.testing.assert_array_equal(square.values, [[1.0, 1.0], [9.0, 9.0]])
    np.testing.assert_array_equal(
        ds["uncertainty"].sel(quantity="square", label="a"), [0.1, 0.1 * 3.0]
    )
    shifted = ds["value"].sel(quantity="shifted")
    np.testing.assert_array_equal(shifted.values, [[1.0, 11.0], [3.0, 13.0]])
    expected_noise = np.random.default_rng(7).normal()  # the fixed parameter reached every run
    np.testing.assert_array_equal(
        ds["value"].sel(quantity="noise"), np.full((2, 2), expected_noise)
    )
    assert ds["kind"].sel(quantity="big").item() == "bool"
    assert ds["description"].sel(quantity="square").item() == "x squared"
    assert "4/4 done (0 failed)" in log and "ETA" in log and "elapsed" in log


def test_sweep_files_round_trip(local_sweep) -> None:
    ds, folder, _ = local_sweep
    on_disk = sweep.load_sweep(folder)
    xr.testing.assert_equal(on_disk["value"], ds["value"])
    assert on_disk["status"].values.tolist() == ds["status"].values.tolist()
    assert json.loads(on_disk.attrs["fixed"]) == {"seed": 7}
    table = (folder / "sweep.csv").read_text().splitlines()
    assert table[0].startswith("x,label,status,seconds,error,point,square,shifted,noise,big")
    assert len(table) == 5
    page = (folder / "sweep.html").read_text()
    assert "data:image/png;base64," in page and "Sensitivity" in page
    for key in ds["point"].values.ravel():
        assert f"points/{key}/small_sweep_notebook.html" in page
        assert (folder / "points" / key / "small_sweep_notebook.html").is_file()
    assert (folder / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failed_point_is_recorded_and_rerun_resumes_only_it(
    small_notebook: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "fail-now"
    flag.touch()
    grid = {"x": ["1", "2", "3"]}
    fixed = {"fail_flag": str(flag)}
    ds = sweep.run_sweep(
        small_notebook, grid, fixed=fixed, out_dir=tmp_path, workers=1, log=io.StringIO()
    )
    assert ds["status"].values.tolist() == ["ok", "failed", "ok"]
    assert "RuntimeError: flagged failure at x=2.0" in ds["error"].sel(x=2.0).item()
    assert np.isnan(ds["value"].sel(x=2.0, quantity="square"))
    assert ds["value"].sel(x=3.0, quantity="square") == 9.0
    folder = Path(ds.attrs["folder"])
    page = (folder / "sweep.html").read_text()
    assert "Failed points" in page and "flagged failure at x=2.0" in page
    done = {
        k: (folder / "points" / k / "point.json").stat().st_mtime_ns for k in ds["point"].values
    }

    flag.unlink()
    log = io.StringIO()
    again = sweep.run_sweep(small_notebook, grid, fixed=fixed, out_dir=tmp_path, workers=1, log=log)
    assert (again["status"] == "ok").all()
    assert again["value"].sel(x=2.0, quantity="square") == 4.0
    assert "2/3 points already done; running 1" in log.getvalue()
    after = {k: (folder / "points" / k / "point.json").stat().st_mtime_ns for k in done}
    ok_keys = [again["point"].sel(x=v).item() for v in (1.0, 3.0)]
    assert all(after[k] == done[k] for k in ok_keys)  # the finished points were not re-run

    # a different fixed parameter makes every stored point stale
    log = io.StringIO()
    sweep.run_sweep(
        small_notebook, grid, fixed={**fixed, "seed": "1"}, out_dir=tmp_path, workers=1, log=log
    )
    assert "already done" not in log.getvalue() and "3/3 done" in log.getvalue()


def test_sweep_where_every_point_failed_still_writes_a_readable_report(
    small_notebook: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "fail-now"
    flag.touch()
    ds = sweep.run_sweep(
        small_notebook,
        {"x": ["2"]},
        fixed={"fail_flag": str(flag)},
        out_dir=tmp_path,
        workers=1,
        log=io.StringIO(),
    )
    assert ds["status"].values.tolist() == ["failed"] and ds.sizes["quantity"] == 0
    folder = Path(ds.attrs["folder"])
    back = sweep.load_sweep(folder)  # netCDF3 would read an empty dimension as unlimited
    assert back["error"].item() == "RuntimeError: flagged failure at x=2.0"
    assert back["value"].shape == (1, 0)
    assert "flagged failure" in (folder / "sweep.html").read_text()
    assert not (folder / "sweep.png").exists()


def test_process_pool_gives_the_same_numbers(
    small_notebook: Path, local_sweep, tmp_path: Path
) -> None:
    ds, _, _ = local_sweep
    pooled = sweep.run_sweep(
        small_notebook, GRID, fixed={"seed": "7"}, out_dir=tmp_path, workers=2, log=io.StringIO()
    )
    xr.testing.assert_equal(pooled["value"], ds["value"])


def test_dask_local_cluster_gives_the_same_numbers(
    small_notebook: Path, local_sweep, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")  # the `test` extra installs it
    ds, _, _ = local_sweep
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        remote = sweep.run_sweep(
            small_notebook,
            GRID,
            fixed={"seed": "7"},
            out_dir=tmp_path,
            scheduler=cluster.scheduler_address,
            log=io.StringIO(),
        )
        workers = {w.worker_address for w in cluster.workers.values()}
    assert (remote["status"] == "ok").all()
    folder = Path(remote.attrs["folder"])
    ran_on = {
        json.loads((folder / "points" / k / "point.json").read_text())["worker"]
        for k in remote["point"].values.ravel()
    }
    assert ran_on and ran_on <= workers  # every point ran on the cluster, none locally
    xr.testing.assert_equal(remote["value"], ds["value"])


@pytest.mark.parametrize(
    ("grid", "fixed", "message"),
    [
        ({"y": ["1"]}, {}, "small_sweep_notebook: unknown parameter 'y' (known: x, label, seed"),
        ({"x": ["1", "one"]}, {}, "parameter 'x' expects float"),
        ({"x": ["1e-3", "0.001"]}, {}, "--grid x: '0.001' and '1e-3' are the same value"),
        ({"x": ["1"]}, {"x": "2"}, "parameter 'x' is both swept and fixed"),
        ({}, {}, "give at least one --grid"),
    ],
)
def test_bad_grids_are_rejected_before_anything_runs(
    small_notebook: Path, tmp_path: Path, grid, fixed, message: str
) -> None:
    with pytest.raises(ParameterError) as info:
        sweep.run_sweep(small_notebook, grid, fixed=fixed, out_dir=tmp_path, log=io.StringIO())
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("x", "--grid: expected name=v1,v2,..., got 'x'"),
        ("x=1,,2", "--grid: parameter 'x' has an empty value"),
        ("=1", "--grid: expected name=v1,v2,..."),
    ],
)
def test_parse_grid_errors(spec: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(".", r"\.")):
        sweep.parse_grid([spec])
    with pytest.raises(ParameterError, match="given twice"):
        sweep.parse_grid(["x=1", "x=2"])


def test_cli_sweep_exit_codes(small_notebook: Path, tmp_path: Path, capsys) -> None:
    from scalingkit.runner import build_index

    reports = tmp_path / "reports"
    build_index(reports.mkdir() or reports)
    args = ["sweep", str(small_notebook), "--out", str(reports / "sweeps"), "--workers", "1"]
    assert cli_main([*args, "--grid", "x=1,2"]) == 0
    assert "2 points over x (2); 0 failed" in capsys.readouterr().out
    # the sweep is listed in the reports folder's index
    assert "href='sweeps/small_sweep_notebook/sweep.html'" in (reports / "index.html").read_text()
    flag = tmp_path / "flag"
    flag.touch()
    assert cli_main([*args, "--grid", "x=1,2", "-p", f"fail_flag={flag}", "--name", "f"]) == 1
    assert "1 failed" in capsys.readouterr().out
    assert cli_main([*args, "--grid", "x=1", "--workers", "0"]) == 2
    assert "--workers: must be at least 1" in capsys.readouterr().err
    assert cli_main([*args, "--grid", "nope=1"]) == 2
    assert "unknown parameter 'nope'" in capsys.readouterr().err


def test_unreachable_scheduler_is_a_one_line_error(
    small_notebook: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep.execution, "SCHEDULER_TIMEOUT", "2s")
    args = ["sweep", str(small_notebook), "--grid", "x=1", "--out", str(tmp_path / "s")]
    assert cli_main([*args, "--scheduler", "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scalingkit: error: --scheduler tcp://127.0.0.1:1: cannot connect")
    assert err.count("\n") == 1
    assert not (tmp_path / "s" / "small_sweep_notebook" / "sweep.nc").exists()


def test_chinchilla_sensitivity_sweep_end_to_end(tmp_path: Path) -> None:
    """The README's sensitivity sweep, on two Huber deltas and few bootstrap refits."""
    ds = sweep.run_sweep(
        notebooks_dir() / "chinchilla_replication.ipynb",
        {"huber_delta": ["1e-3", "1e-1"]},
        fixed={"n_bootstrap": "20"},
        mode="quick",
        out_dir=tmp_path,
        workers=2,
        log=io.StringIO(),
    )
    assert (ds["status"] == "ok").all(), ds["error"].values
    alpha = ds["value"].sel(quantity="fit.alpha")
    assert np.isfinite(alpha).all()
    assert alpha.sel(huber_delta=1e-3) != alpha.sel(huber_delta=1e-1)  # delta reached the fit
    assert (tmp_path / "chinchilla_replication" / "sweep.html").is_file()


def test_point_folders_stay_distinct_when_values_need_escaping() -> None:
    keys = {sweep.point_key({"path": v}) for v in ("a/b", "a-b", "a b", "a:b")}
    assert len(keys) == 4
    assert sweep.point_key({"x": 1.0, "label": "a"}) == "x=1.0_label=a"  # readable when safe
    long = sweep.point_key({"name": "v" * 200})
    assert len(long) <= 80 and long != sweep.point_key({"name": "v" * 199})
