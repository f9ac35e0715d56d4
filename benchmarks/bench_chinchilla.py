"""Benchmark: batched :mod:`scalingkit.fit` vs the per-start scipy loop of the paper's notebook.

Runs, in one process and on the same 240 points, (1) ``scalingkit.fit.fit_law`` on the 4500-start
grid with 4000 bootstrap refits and (2) :mod:`reference_chinchilla` (a Python loop of
``scipy.optimize.minimize``, as in Besiroglu et al.'s ``data_analysis.ipynb``). Prints the wall
and CPU time of each, their ratio, the best objective of each and their relative difference, the
max relative difference of the fitted parameters, the bootstrap standard errors of both and
their relative differences, and the peak memory of the batched fit (tracemalloc, measured in a
separate run so that tracing does not slow the timed one).

Usage::

    python benchmarks/bench_chinchilla.py                        # the full comparison
    python benchmarks/bench_chinchilla.py --starts 450 --bootstraps 400   # a quick subsample

With ``--starts K`` both sides use the first K grid starts (the notebook's loop order); with
``--bootstraps B`` both use the first B resamples of the seed-42 stream (identical resamples).
The run exits with status 1 if a target is missed (ratio >= 50, objective rel. diff < 1e-6, SEs
within 2 %, peak memory < 2 GiB) and ``--check`` is given.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np

from scalingkit import fit
from scalingkit.laws import ChinchillaLaw
from scalingkit.workbooks.chinchilla_replication import reference as ref

NAMES = ("A", "B", "E", "alpha", "beta")


def run_ours(N, D, L, idx, starts, n_boot):
    law = ChinchillaLaw()
    X = {"params": N[idx], "tokens": D[idx]}
    t0, c0 = time.perf_counter(), time.process_time()
    res = fit.fit_multistart(law, X, L[idx], starts, method="L-BFGS-B")
    t1, c1 = time.perf_counter(), time.process_time()
    bs = fit.bootstrap(
        law, X, L[idx], ref.HOFFMANN_UNROUNDED, n_bootstrap=n_boot, seed=42, method="BFGS"
    )
    t2, c2 = time.perf_counter(), time.process_time()
    return res, bs, (t1 - t0, t2 - t1), (c1 - c0, c2 - c1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="scalingkit.fit vs per-start scipy loop (Chinchilla)")
    p.add_argument("--starts", type=int, default=4500, help="first K grid starts (default all)")
    p.add_argument("--bootstraps", type=int, default=4000, help="first B resamples (default 4000)")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = p.parse_args(argv)
    np.seterr(over="ignore", invalid="ignore", divide="ignore")
    warnings.filterwarnings("ignore")

    N, D, L, idx = ref.load_data()
    starts = ref.paper_grid()[: args.starts]
    print(
        f"data: {len(idx)} points; grid: {len(starts)} starts; bootstrap: {args.bootstraps}; "
        f"threads (ours): {fit.default_threads()}; cpus: {os.cpu_count()}; "
        f"load avg: {os.getloadavg()[0]:.2f}"
    )

    res, bs, wall, cpu = run_ours(N, D, L, idx, starts, args.bootstraps)
    t0, c0 = time.perf_counter(), time.process_time()
    rg = ref.fit_grid(N, D, L, idx, starts)
    t1, c1 = time.perf_counter(), time.process_time()
    rb = ref.fit_bootstrap(N, D, L, idx, n_bootstrap=args.bootstraps)
    t2, c2 = time.perf_counter(), time.process_time()
    rwall, rcpu = (t1 - t0, t2 - t1), (c1 - c0, c2 - c1)

    # same resamples on both sides?
    rs = np.random.RandomState(42)  # the notebook's np.random.seed(42) stream
    same = True
    for b in range(min(args.bootstraps, 50)):
        pos = rs.choice(len(idx), size=len(idx), replace=True)
        same &= np.array_equal(np.bincount(pos, minlength=len(idx)), bs.weights[b])

    tracemalloc.start()
    run_ours(N, D, L, idx, starts, args.bootstraps)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # MiB on Linux

    ours_total, ref_total = sum(wall), sum(rwall)
    ratio = ref_total / ours_total
    print("\n                      ours (batched)   reference (scipy loop)   ratio")
    for lab, a, b in (("grid", wall[0], rwall[0]), ("bootstrap", wall[1], rwall[1])):
        print(f"wall {lab:<12} {a:12.2f} s {b:18.2f} s {b / a:12.1f}x")
    print(f"wall {'total':<12} {ours_total:12.2f} s {ref_total:18.2f} s {ratio:12.1f}x")
    print(
        f"cpu  {'total':<12} {sum(cpu):12.2f} s {sum(rcpu):18.2f} s {sum(rcpu) / sum(cpu):12.1f}x"
    )

    f_ours, f_ref = res.objective, rg["objective"]
    rel_obj = (f_ours - f_ref) / abs(f_ref)
    print(f"\nbest objective: ours {f_ours:.12g}  reference {f_ref:.12g}  rel. diff {rel_obj:+.2e}")
    print(
        f"converged starts: ours {res.n_converged}/{res.n_starts}  "
        f"reference {int(rg['success'].sum())}/{len(starts)}"
    )
    nat_ref = np.hstack([np.exp(rg["theta"][:3]), rg["theta"][3:]])
    nat_ours = np.array([res.params[k] for k in NAMES])
    rel_par = np.abs(nat_ours - nat_ref) / np.abs(nat_ref)
    print("params        ours          reference     rel. diff")
    for k, a, b, r in zip(NAMES, nat_ours, nat_ref, rel_par, strict=True):
        print(f"  {k:<6} {a:14.6g} {b:14.6g} {r:12.2e}")
    print(f"max relative parameter difference: {rel_par.max():.2e}")

    se_ours = np.array([bs.natural[k].std(ddof=1) for k in NAMES])
    se_ref = rb["se"]
    rel_se = np.abs(se_ours - se_ref) / se_ref
    print(f"\nbootstrap: identical resamples: {bool(same)}")
    print(
        f"refits converged: ours {bs.n_converged}/{args.bootstraps}  "
        f"reference {int(rb['success'].sum())}/{args.bootstraps}"
    )
    print("SE            ours          reference     rel. diff")
    for k, a, b, r in zip(NAMES, se_ours, se_ref, rel_se, strict=True):
        print(f"  {k:<6} {a:14.6g} {b:14.6g} {r:12.2e}")
    print(f"max relative SE difference: {rel_se.max():.2e}")
    print(f"\npeak traced memory (ours): {peak / 2**20:.1f} MiB; process max RSS {maxrss:.0f} MiB")

    ok = ratio >= 50 and abs(rel_obj) < 1e-6 and rel_se.max() < 0.02 and peak < 2 * 2**30
    print(f"targets (ratio >= 50, |obj rel diff| < 1e-6, SE within 2 %, peak < 2 GiB): {ok}")
    return 0 if (ok or not args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
