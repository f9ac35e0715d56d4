"""The ``scalingkit`` command: data registry, notebook runs, reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"scalingkit: error: -p expects name=value, got {pair!r}")
        out[name.strip()] = value
    return out


def _cmd_data(args: argparse.Namespace) -> int:
    from . import data

    if args.data_command == "list":
        table = data.registry_table()
        for row in table.itertuples(index=False):
            print(f"{row.key:32s} {row.path:56s} {row.license}")
            print(f"{'':32s} {row.url}")
        return 0
    if args.data_command == "verify":
        result = data.verify(args.keys or None)
        for row in result.itertuples(index=False):
            print(f"{'ok  ' if row.ok else 'FAIL'} {row.key:32s} {row.message}")
        n_bad = int((~result["ok"]).sum())
        print(f"{len(result) - n_bad} ok, {n_bad} failed")
        return 1 if n_bad else 0
    # fetch
    keys = args.keys or list(data.load_registry())
    failed = 0
    for key in keys:
        try:
            print(f"{key}: {data.fetch(key)}")
        except data.DataError as exc:
            failed += 1
            print(f"scalingkit: error: {exc}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from . import runner as run

    try:
        notebooks = run.discover_notebooks(args.notebooks)
        outcomes = run.run_notebooks(
            notebooks,
            out_dir=args.out,
            mode=args.mode,
            overrides=_parse_overrides(args.param),
            progress=not args.no_progress,
        )
    except (run.ParameterError, FileNotFoundError) as exc:
        print(f"scalingkit: error: {exc}", file=sys.stderr)
        return 2
    failed = [o for o in outcomes if not o.ok]
    print(
        f"[scalingkit] {len(outcomes) - len(failed)} ok, {len(failed)} failed; index: {args.out}/index.html"
    )
    return 1 if failed else 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from . import runner as run
    from .runner import sweep

    try:
        (notebook,) = run.discover_notebooks([args.notebook])
        ds = sweep.run_sweep(
            notebook,
            sweep.parse_grid(args.grid),
            fixed=_parse_overrides(args.param),
            mode=args.mode,
            out_dir=args.out,
            name=args.name,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
        )
    except (run.ParameterError, FileNotFoundError, sweep.SweepError) as exc:
        print(f"scalingkit: error: {exc}", file=sys.stderr)
        return 2
    reports = Path(args.out).resolve().parent
    if (reports / "index.html").is_file():  # e.g. reports/sweeps inside a reports folder
        run.build_index(reports)
    print(f"[scalingkit] {sweep.describe(ds)}; report: {ds.attrs['folder']}/sweep.html")
    return 1 if (ds["status"] != "ok").any() else 0


def _cmd_fit(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # figures are only saved into the report
    from .runner import userfit

    try:
        userfit.check_out_dir(args.out)
        result = userfit.fit_law(
            args.csv,
            args.law,
            columns=args.columns,
            huber_delta=args.huber_delta,
            n_bootstrap=args.bootstrap,
            seed=args.seed,
            grid=args.grid,
            budgets=args.budgets,
        )
        written = userfit.write_outputs(result, args.out)  # all or nothing
    except userfit.FitInputError as exc:
        print(f"scalingkit: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"scalingkit: error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(result.table())
    print(f"written: {', '.join(str(p) for p in written)}")
    if not result.converged:
        print(f"scalingkit: the fit is NOT converged ({result.message})", file=sys.stderr)
    return 0 if result.converged else 1


def _cmd_index(args: argparse.Namespace) -> int:
    from . import runner as run

    print(run.build_index(args.out))
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from . import runner as run

    for path in run.discover_notebooks(args.notebooks):
        print(f"refreshing {path.name} ...", flush=True)
        run.refresh_notebook(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``scalingkit`` command."""
    parser = argparse.ArgumentParser(prog="scalingkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_data = sub.add_parser("data", help="list, verify or fetch the registered data files")
    data_sub = p_data.add_subparsers(dest="data_command", required=True)
    data_sub.add_parser("list", help="list registry entries")
    p_verify = data_sub.add_parser("verify", help="hash-check files (exit 1 on any mismatch)")
    p_verify.add_argument("keys", nargs="*")
    p_fetch = data_sub.add_parser("fetch", help="download (or locate in the mirror) and verify")
    p_fetch.add_argument("keys", nargs="*")
    p_data.set_defaults(func=_cmd_data)

    p_run = sub.add_parser("run", help="execute notebooks with papermill and write HTML reports")
    p_run.add_argument("notebooks", nargs="*", help="notebook stems or paths (default: all)")
    p_run.add_argument("--mode", choices=["quick", "full"], default=None)
    p_run.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    p_run.add_argument("--out", default="reports", help="output folder (default: reports)")
    p_run.add_argument("--no-progress", action="store_true", help="hide the per-cell progress bar")
    p_run.set_defaults(func=_cmd_run)

    p_sweep = sub.add_parser(
        "sweep",
        help="run one notebook over a parameter grid; gather the results into one Dataset",
        description="Run NOTEBOOK at every point of the --grid product and write sweep.nc, "
        "sweep.csv and sweep.html under OUT/NAME/. Re-running resumes: only missing, failed or "
        "stale points run again.",
    )
    p_sweep.add_argument("notebook", help="notebook stem or path")
    p_sweep.add_argument(
        "--grid", action="append", default=[], metavar="NAME=V1,V2,...", help="swept parameter"
    )
    p_sweep.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="fixed parameter"
    )
    p_sweep.add_argument("--mode", choices=["quick", "full"], default=None)
    p_sweep.add_argument("--out", default="reports/sweeps", help="default: reports/sweeps")
    p_sweep.add_argument("--name", default=None, help="sweep folder name (default: notebook stem)")
    p_sweep.add_argument(
        "--workers", type=int, default=None, help="local processes (default: one per CPU)"
    )
    p_sweep.add_argument(
        "--scheduler", default=None, help="address of a Dask distributed scheduler to run on"
    )
    p_sweep.add_argument("--force", action="store_true", help="re-run points already done")
    p_sweep.set_defaults(func=_cmd_sweep)

    p_fit = sub.add_parser("fit", help="fit a scaling law to your own runs (CSV)")
    p_fit.add_argument("csv", help="CSV with one row per training run")
    p_fit.add_argument(
        "--law", default="chinchilla", help="law preset: chinchilla (default) or kaplan"
    )
    p_fit.add_argument(
        "--columns",
        default=None,
        metavar="ROLE=NAME,...",
        help="CSV columns of params, tokens (or flops: D = C/(6N)) and loss, e.g. "
        "params=N,tokens=D,loss=L (default: columns named params, tokens, loss)",
    )
    p_fit.add_argument(
        "--huber-delta", type=float, default=1e-3, help="Huber δ on log loss (default 1e-3)"
    )
    p_fit.add_argument(
        "--bootstrap", type=int, default=1000, help="bootstrap refits (default 1000; 0: none)"
    )
    p_fit.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p_fit.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="replace the preset's initial values of one parameter (repeatable)",
    )
    p_fit.add_argument(
        "--budgets",
        default=None,
        metavar="C1,C2,...",
        help="compute budgets (FLOP) for the allocation table (default: decades from the "
        "runs' compute to 1000x beyond)",
    )
    p_fit.add_argument(
        "--out", default="fit", help="output folder: fit.json, fit.nc, report.html (default fit/)"
    )
    p_fit.set_defaults(func=_cmd_fit)

    p_index = sub.add_parser("index", help="rebuild index.html and scorecard.csv from results")
    p_index.add_argument("--out", default="reports")
    p_index.set_defaults(func=_cmd_index)

    p_refresh = sub.add_parser(
        "refresh", help="maintainers: re-execute notebooks in place, keeping only checked outputs"
    )
    p_refresh.add_argument("notebooks", nargs="*")
    p_refresh.set_defaults(func=_cmd_refresh)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scalingkit`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
