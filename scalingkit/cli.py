"""The ``scalingkit`` command: data registry, notebook runs and sweeps, reports, your own fits.

Exit status: 0 success; 1 a run, a sweep point, a fit or a data check failed; 2 a usage or
input error (nothing was run or written then).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__

__all__ = ["UsageError", "build_parser", "main"]

EPILOG = """\
environment:
  SCALINGKIT_DATA_DIR   a local mirror of the data files (same layout as the registry's
                        paths, e.g. chinchilla/svg_extracted_data.csv); files are read from it
                        and hash-checked, nothing is downloaded. A relative path is resolved
                        against the current directory. Unset: files are downloaded once into
                        the cache and verified.
  SCALINGKIT_CACHE_DIR  the download cache (default: the OS cache directory for scalingkit).

exit status: 0 success; 1 a run, sweep point, fit or data check failed; 2 a usage or input
error (nothing run or written).

examples:
  scalingkit list                                   notebooks and their parameters
  scalingkit run --mode quick                       every notebook; reports in reports/
  scalingkit run chinchilla_replication -p seed=3   one notebook, one parameter set
  scalingkit sweep chinchilla_replication --grid n_drop=0,5,10
  scalingkit fit runs.csv --columns params=N,tokens=D,loss=L
"""


FIT_EPILOG = """\
examples:
  scalingkit fit runs.csv --columns params=N,tokens=D,loss=L
  scalingkit fit runs.csv --method isoflop --columns params=N,flops=C,loss=L
  scalingkit fit runs.csv --law chinchilla,kaplan --holdout largest
  scalingkit fit runs.csv --residual linear --loss squared --scale params=1e6,tokens=1e9
  scalingkit fit pairs.csv --law shifted-power --columns x=loss_a,y=loss_b,params=N,tokens=D
"""


class UsageError(ValueError):
    """A command line that cannot be carried out as given (exit status 2)."""


def _parse_overrides(pairs: Sequence[str], option: str = "-p") -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} expects name=value, got {pair!r}")
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
    known = list(data.load_registry())
    unknown = [k for k in args.keys if k not in known]
    if unknown:
        raise UsageError(
            f"unknown data key(s) {', '.join(unknown)}; known keys: {', '.join(known)}"
        )
    if args.data_command == "verify":
        result = data.verify(args.keys or None)
        for row in result.itertuples(index=False):
            print(f"{'ok  ' if row.ok else 'FAIL'} {row.key:32s} {row.message}")
        n_bad = int((~result["ok"]).sum())
        print(f"{len(result) - n_bad} ok, {n_bad} failed")
        return 1 if n_bad else 0
    failed = 0
    for key in args.keys or known:
        try:
            print(f"{key}: {data.fetch(key)}")
        except data.DataError as exc:
            failed += 1
            print(f"scalingkit: error: {exc}", file=sys.stderr)
    return 1 if failed else 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .reporting.catalog import mode_defaults, parameter_docs, read_title
    from .runner import discover_notebooks
    from .runner.formatting import fmt

    for path in discover_notebooks(args.notebooks):
        print(f"{path.stem}: {read_title(path) or ''}".rstrip(": "))
        defaults = mode_defaults(path.stem)
        docs = parameter_docs(path)
        width = max((len(d.name) for d in docs), default=4)
        for d in docs:
            default = repr(d.default) if isinstance(d.default, str) else fmt(d.default, bools=None)
            if d.default is None and d.name in defaults.get("quick", {}):
                per_mode = ", ".join(
                    f"{m} {fmt(v[d.name], bools=None)}" for m, v in defaults.items()
                )
                kind = type(defaults["quick"][d.name]).__name__
                default = f"None ({per_mode})"
            else:
                kind = d.type
            help_text = f"  {d.help}" if d.help else ""
            print(f"  {d.name:<{width}}  {kind:<5}  {default}{help_text}")
        print()
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from . import runner as run

    notebooks = run.discover_notebooks(args.notebooks)
    outcomes = run.run_notebooks(
        notebooks,
        out_dir=args.out,
        mode=args.mode,
        overrides=_parse_overrides(args.param),
        progress=not args.no_progress,
    )
    failed = [o for o in outcomes if not o.ok]
    print(
        f"[scalingkit] {len(outcomes) - len(failed)} ok, {len(failed)} failed; "
        f"index: {Path(args.out) / 'index.html'}"
    )
    return 1 if failed else 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from . import runner as run
    from .runner import sweep

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
    reports = Path(args.out).resolve().parent
    if (reports / "index.html").is_file():  # e.g. reports/sweeps inside a reports folder
        run.build_index(reports)
    print(f"[scalingkit] {sweep.describe(ds)}; report: {ds.attrs['folder']}/sweep.html")
    return 1 if (ds["status"] != "ok").any() else 0


def _cmd_fit(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # figures are only saved into the report
    from .runner import userfit

    userfit.check_out_dir(args.out)
    result = userfit.fit_law(
        args.csv,
        args.law,
        method=args.method,
        columns=args.columns,
        scale=args.scale,
        residual=args.residual,
        loss=args.loss,
        reduction=args.reduction,
        huber_delta=args.huber_delta,
        n_bootstrap=args.bootstrap,
        seed=args.seed,
        grid=args.grid,
        budgets=args.budgets,
        start_grid=args.start_grid,
        bounds=args.bounds,
        holdout=args.holdout,
        drop_highest=args.drop_highest_loss,
        isoflop_budgets=args.isoflop_budgets,
        isoflop_width=args.isoflop_width,
        isoflop_min_runs=args.isoflop_min_runs,
        irreducible=args.irreducible,
        hstar_at=args.hstar_at,
    )
    try:
        written = userfit.write_outputs(result, args.out)  # all or nothing
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc}") from None
    print(result.table())
    print(f"written: {', '.join(str(p) for p in written)}")
    if not result.converged and getattr(result, "fit_method", "") != "isoflop":
        print("scalingkit: the fit is NOT converged (exit 1)", file=sys.stderr)
    elif not result.ok:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        print(
            f"scalingkit: the fit converged but is NOT a valid estimate ({errors[0].code}"
            f"{f' and {len(errors) - 1} more' if len(errors) > 1 else ''}; exit 1)",
            file=sys.stderr,
        )
    return result.exit_status


def _cmd_index(args: argparse.Namespace) -> int:
    from . import runner as run

    if not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out}: no such folder (run `scalingkit run` first)")
    print(run.build_index(args.out))
    return 0


def _cmd_refresh(args: argparse.Namespace) -> int:
    from . import runner as run

    for path in run.discover_notebooks(args.notebooks):
        print(f"refreshing {path.name} ...", flush=True)
        run.refresh_notebook(path)
    return 0


def _cmd_strip(args: argparse.Namespace) -> int:
    from . import runner as run

    paths = [Path(p) for p in args.paths] or list(run.discover_notebooks([]))
    changed = []
    for path in paths:
        if path.suffix != ".ipynb":
            continue  # pre-commit passes the staged files; only notebooks are stripped
        if not path.is_file():
            raise UsageError(f"{path}: no such notebook")
        if run.strip_notebook(path, check=args.check):
            changed.append(path)
    for path in changed:
        verb = "not stripped (run `scalingkit strip`)" if args.check else "stripped"
        print(f"{path}: {verb}")
    return 1 if changed and args.check else 0


def _notebooks_command(sub, name: str, func, text: str) -> argparse.ArgumentParser:
    """A subcommand whose only argument is a list of notebooks (default: all)."""
    p = sub.add_parser(name, help=text)
    p.add_argument("notebooks", nargs="*", help="notebook stems or paths (default: all)")
    p.set_defaults(func=func)
    return p


def _add_common_run_options(p: argparse.ArgumentParser, *, fixed_help: str) -> None:
    p.add_argument(
        "--mode",
        choices=["quick", "full"],
        default=None,
        help="quick: the real procedure at CI-sized settings; full: the paper's procedure "
        "exactly (default: each notebook's own, quick)",
    )
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE", help=fixed_help
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``scalingkit`` command."""
    parser = argparse.ArgumentParser(
        prog="scalingkit",
        description="Reproducibility workbooks for neural scaling-law papers: run them, sweep "
        "their parameters, read their reports, fit the same laws to your own runs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scalingkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p_data = sub.add_parser("data", help="list, verify or fetch the registered data files")
    data_sub = p_data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    data_sub.add_parser("list", help="list registry entries: key, path, license, upstream URL")
    for action, text in (
        ("verify", "hash-check files (exit 1 on any mismatch)"),
        ("fetch", "download (or locate in the mirror) and verify"),
    ):
        data_sub.add_parser(action, help=text).add_argument(
            "keys", nargs="*", help="registry keys (default: all)"
        )
    p_data.set_defaults(func=_cmd_data)

    _notebooks_command(
        sub,
        "list",
        _cmd_list,
        "list the notebooks and their parameters (name, type, default, help)",
    )

    p_run = sub.add_parser(
        "run",
        help="execute notebooks with papermill and write their reports and the index",
        description="Execute notebooks and write, into OUT, each one's report (<stem>.html), "
        "executed notebook, results file, and index.html + scorecard.csv.",
    )
    p_run.add_argument("notebooks", nargs="*", help="notebook stems or paths (default: all)")
    _add_common_run_options(
        p_run,
        fixed_help="set a parameter of the notebooks' parameters cell, coerced to its type "
        "(repeatable; `scalingkit list` shows them)",
    )
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
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="a swept parameter and its values (repeatable: the grid is the product)",
    )
    _add_common_run_options(p_sweep, fixed_help="a parameter held fixed at every point")
    p_sweep.add_argument(
        "--out",
        default="reports/sweeps",
        help="parent folder of the sweep (default: reports/sweeps)",
    )
    p_sweep.add_argument("--name", default=None, help="sweep folder name (default: notebook stem)")
    p_sweep.add_argument(
        "--workers", type=int, default=None, help="local processes (default: one per CPU)"
    )
    p_sweep.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask distributed scheduler, e.g. tcp://127.0.0.1:8786 (needs the "
        "'distributed' extra; start workers with --nthreads 1)",
    )
    p_sweep.add_argument("--force", action="store_true", help="re-run points already done")
    p_sweep.set_defaults(func=_cmd_sweep)

    p_fit = sub.add_parser(
        "fit",
        help="fit a scaling law to your own runs (CSV): surface fit or isoFLOP (Approach 2)",
        description="Fit a law to a CSV of training runs (one row per run), bootstrap it, run "
        "the diagnostics and write fit.json, fit.nc and report.html into OUT. Exit status: 0 a "
        "valid fit (warnings printed); 1 not converged, or a diagnostic error (not "
        "identifiable, a collapsed term, a parameter on its bound, a near-singular "
        "curvature); 2 bad input (nothing written).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=FIT_EPILOG,
    )
    fa = p_fit.add_argument
    # fmt: off
    fa("csv", help="CSV with one row per training run (delimiter sniffed)")
    fa("--law", default="chinchilla", help="chinchilla (default), kaplan or shifted-power; "
       "a list (chinchilla,kaplan) fits each and compares them (AIC, BIC, hold-out)")
    fa("--method", choices=["surface", "isoflop"], default="surface",
       help="surface: the fit of --law (default); isoflop: Hoffmann et al.'s Approach 2")
    fa("--columns", metavar="ROLE=NAME,...", help="CSV columns of params, tokens (or flops: "
       "D = C/(6N)), loss (default: columns so named), budget (isoFLOP labels), x, y "
       "(shifted-power), e.g. params=N,tokens=D,loss=L")
    fa("--scale", metavar="ROLE=FACTOR,...",
       help="units of the columns, e.g. params=1e6,tokens=1e9 (converted to raw counts)")
    fa("--residual", choices=["log", "linear"], help="log L − log L̂ or L − L̂ (default: log)")
    fa("--loss", choices=["huber", "squared"], help="per-run loss (default: the preset's, huber)")
    fa("--huber-delta", type=float, help="Huber δ, on the residual's scale (default 1e-3)")
    fa("--reduction", choices=["sum", "mean"], help="over runs (default: the preset's)")
    fa("--bootstrap", type=int, default=1000, help="bootstrap refits (default 1000; 0: none)")
    fa("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    fa("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
       help="replace the preset's initial values of one parameter (repeatable)")
    fa("--start-grid", choices=["paper", "quick"], default="paper",
       help="the preset's starting grid: the paper's (default) or its quick subgrid")
    fa("--bounds", action="append", default=[], metavar="NAME=LO:HI", help="box constraint, "
       "e.g. alpha=0:1 or E=1: (A, B, E bound the coefficient; repeatable)")
    fa("--holdout", metavar="largest[:K]", help="refit without the top compute budget (or the "
       "K largest-compute runs); report the relative error of the predicted loss on them")
    fa("--drop-highest-loss", type=int, default=0, metavar="K",
       help="drop the K highest-loss runs first (Besiroglu et al. drop 5 Chinchilla runs)")
    fa("--budgets", metavar="C1,C2,...", help="compute budgets (FLOP) of the allocation table "
       "(default: decades from the runs' compute to 1000x beyond)")
    fa("--isoflop-budgets", metavar="C1,C2,...", help="isoflop: nominal budgets, each run to "
       "the nearest (default: a budget column, else a new budget at each jump > 0.05 dex)")
    fa("--isoflop-width", type=float, default=0.15, metavar="DEX",
       help="isoflop: half-width in log10 C around each nominal budget (default 0.15)")
    fa("--isoflop-min-runs", type=int, default=5, metavar="K",
       help="isoflop: runs a budget needs for its parabola (default 5)")
    fa("--irreducible", metavar="e_x=V,e_y=V", help="shifted-power: E_x, E_y (default: each "
       "the E of a Kaplan fit on N and D)")
    fa("--hstar-at", metavar="N:D,...", help="mixture laws: compute h* at these model sizes and "
       "token counts (raw counts, e.g. 7e9:1.4e11; default: the held-out configurations)")
    fa("--out", default="fit", help="output folder: fit.json, fit.nc, report.html (default fit/)")
    # fmt: on
    p_fit.set_defaults(func=_cmd_fit)

    p_index = sub.add_parser("index", help="rebuild index.html and scorecard.csv from results")
    p_index.add_argument("--out", default="reports", help="reports folder (default: reports)")
    p_index.set_defaults(func=_cmd_index)

    _notebooks_command(
        sub,
        "refresh",
        _cmd_refresh,
        "maintainers: re-execute notebooks in place, keeping only checked outputs",
    )
    p_strip = sub.add_parser(
        "strip", help="maintainers: clear notebook outputs except checked ones (pre-commit hook)"
    )
    p_strip.add_argument("paths", nargs="*", help="notebook files (default: all notebooks)")
    p_strip.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a notebook would change"
    )
    p_strip.set_defaults(func=_cmd_strip)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scalingkit`` console script (returns the exit status)."""
    from .errors import FitInputError, ParameterError, SweepError, TargetsError, UnknownDataKeyError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except (
        UsageError,
        ParameterError,
        TargetsError,
        FitInputError,
        UnknownDataKeyError,
        SweepError,
        FileNotFoundError,
    ) as exc:
        print(f"scalingkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scalingkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
