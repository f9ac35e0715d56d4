"""Benchmark: ``scalingkit fit`` with 1000 bootstraps, this checkout against a past commit.

Runs the command line end to end (``scalingkit fit runs.csv --bootstrap 1000``, writing
fit.json, fit.nc and report.html) on the Chinchilla runs, in a subprocess per run for each
tree (this checkout, and the past commit from ``git archive``), ``--repeats`` times with the
order rotated, and prints the usual line per contender. Inside this checkout it also times
the pieces: the fit with its bootstrap, and the report's figures (drawn and rendered to PNG).

Usage::

    python benchmarks/bench_userfit.py              # 3 repeats, default past commit
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench

HERE = Path(__file__).resolve().parent
BASELINE = json.loads((HERE / "baseline_chinchilla.json").read_text())

CHILD = """
import sys, time, json
t0 = time.perf_counter()
from scalingkit.cli import main
main(["fit", {csv!r}, "--bootstrap", "1000", "--out", {out!r}])
print(json.dumps({{"wall": time.perf_counter() - t0}}))
"""


def cli_run(tree: Path | None, csv: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        env_tree = {} if tree is None else {"PYTHONPATH": str(tree)}
        t0, c0 = time.perf_counter(), _bench._cpu_tree()
        subprocess.run(
            [sys.executable, "-c", CHILD.format(csv=csv, out=out + "/fit")],
            env={**os.environ, "MPLBACKEND": "Agg", **env_tree},
            check=True,
            capture_output=True,
        )
        return {"wall": time.perf_counter() - t0, "cpu": _bench._cpu_tree() - c0}


def pieces(csv: str) -> tuple[float, float]:
    import pandas as pd

    from scalingkit.runner import userfit
    from scalingkit.runner.userfit import report

    t0 = time.perf_counter()
    res = userfit.fit_law(pd.read_csv(csv), law="chinchilla", n_bootstrap=1000, seed=0)
    t1 = time.perf_counter()
    report.report_pngs(res)
    return t1 - t0, time.perf_counter() - t1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline", default=BASELINE["commit"])
    args = p.parse_args(argv)
    from scalingkit.data import load_chinchilla

    tmp = Path(tempfile.mkdtemp(prefix="bench-userfit-"))
    csv = str(tmp / "runs.csv")
    load_chinchilla()[["params", "tokens", "loss"]].to_csv(csv, index=False)
    tree = _bench.archive(args.baseline)
    past = f"scalingkit fit @ {args.baseline[:7]}"
    print(f"scalingkit fit (Chinchilla runs, 1000 bootstraps), load average {_bench.load()}")
    times = _bench.rotated(
        {"scalingkit fit": lambda: cli_run(None, csv), past: lambda: cli_run(tree, csv)},
        args.repeats,
    )
    ours = times["scalingkit fit"]
    print(f"\nload average at the end {_bench.load()} (wall includes Python start-up and imports)")
    for t in times.values():
        print(_bench.line(t, ours))
    best = min((pieces(csv) for _ in range(args.repeats)), key=sum)
    print(f"this checkout, in process: fit + 1000 bootstraps {best[0]:.2f} s, report figures "
          f"{best[1]:.2f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
