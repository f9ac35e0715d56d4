"""The ``scalingkit`` command: data registry, notebook runs, reports."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    from . import run

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
    from . import run, sweep

    try:
        (notebook,) = run.discover_notebooks([args.notebook])
        overrides = _parse_overrides(args.param)
        table = sweep.run_sweep(
            notebook,
            overrides,
            out_dir=args.out,
            mode=args.mode,
            n_jobs=args.jobs,
            scheduler=args.scheduler,
        )
    except (run.ParameterError, FileNotFoundError) as exc:
        print(f"scalingkit: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"[scalingkit] {sweep.describe(table, list(overrides))}; table: {args.out}/{notebook.stem}/sweep.csv"
    )
    return 1 if (table["status"] != "ok").any() else 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from . import userfit
    from .data import DataValidationError

    grid = {}
    for pair in args.grid:
        name, sep, values = pair.partition("=")
        try:
            grid[name.strip()] = [float(v) for v in values.split(",")]
        except ValueError:
            sep = ""
        if not sep:
            print(
                f"scalingkit: error: --grid expects name=v1,v2,... (numbers), got {pair!r}",
                file=sys.stderr,
            )
            return 2
    try:
        runs = userfit.read_runs(
            args.csv,
            params_col=args.params_col,
            tokens_col=args.tokens_col,
            flops_col=args.flops_col,
            loss_col=args.loss_col,
        )
        result = userfit.fit_runs(
            runs,
            args.law,
            delta=args.delta,
            grid=grid,
            n_bootstrap=args.n_bootstrap,
            seed=args.seed,
        )
    except (DataValidationError, ValueError) as exc:
        print(f"scalingkit: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.law} law fitted to {len(runs)} runs from {args.csv}")
    print(result.to_frame().to_string(float_format=lambda v: f"{v:.6g}"))
    print(f"objective {result.objective:.6g}; {result.message}")
    if args.out:
        print(f"written: {userfit.write_fit(result, args.out, str(args.csv))}")
    return 0 if result.converged else 1


def _cmd_index(args: argparse.Namespace) -> int:
    from . import run

    print(run.build_index(args.out))
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from . import run

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
        "sweep", help="run one notebook over a grid of parameter values (-p name=v1,v2,...)"
    )
    p_sweep.add_argument("notebook")
    p_sweep.add_argument("-p", "--param", action="append", default=[], metavar="NAME=V1,V2,...")
    p_sweep.add_argument("--mode", choices=["quick", "full"], default=None)
    p_sweep.add_argument("--out", default="reports/sweeps")
    p_sweep.add_argument("--jobs", type=int, default=1, help="local parallel runs (default 1)")
    p_sweep.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    p_sweep.set_defaults(func=_cmd_sweep)

    p_fit = sub.add_parser("fit", help="fit a scaling law to your own runs (CSV)")
    p_fit.add_argument("csv", help="CSV with one row per training run")
    p_fit.add_argument("--law", choices=["chinchilla", "kaplan"], default="chinchilla")
    p_fit.add_argument("--params-col", default="params", help="model size column (default params)")
    p_fit.add_argument("--tokens-col", default="tokens", help="training tokens column")
    p_fit.add_argument("--flops-col", default=None, help="compute column, D = C/(6N) if no tokens")
    p_fit.add_argument("--loss-col", default="loss", help="final loss column (default loss)")
    p_fit.add_argument("--delta", type=float, default=1e-3, help="Huber delta (default 1e-3)")
    p_fit.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...")
    p_fit.add_argument(
        "--n-bootstrap", type=int, default=200, help="resamples for SEs (default 200)"
    )
    p_fit.add_argument("--seed", type=int, default=0)
    p_fit.add_argument("--out", default=None, help="write the fit as JSON here")
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
