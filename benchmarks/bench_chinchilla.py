"""Benchmark: the full Chinchilla Approach-3 procedure, scalingkit against the alternatives.

The problem (Besiroglu et al. 2024, arXiv 2404.10102, and their ``data_analysis.ipynb``): the
245 re-extracted runs less the 5 highest-loss ones (240 points), the sum of Huber (δ = 1e-3)
of log residuals, the 4500-start grid (L-BFGS-B), and 4000 BFGS refits from Hoffmann et al.'s
unrounded estimate on the ``np.random.seed(42)`` resamples. Every contender gets the same
starts and the same resamples. In one run, side by side:

* ``scalingkit``: this checkout (``fit_multistart`` + ``bootstrap``, all starts batched);
* ``scalingkit @ <rev>``: the same calls on a past commit (default: the one before issue 17's
  changes), from ``git archive`` in a subprocess that times itself;
* ``scipy loop``: one ``scipy.optimize.minimize`` per start/refit with the analytic gradient
  (value and gradient in one function), BLAS held to one thread (``threadpoolctl``);
* ``scipy loop, joblib``: the same loop on 2 joblib processes;
* ``paper's loop`` (``--paper-loop``, ~15 min): the notebook's procedure as in
  :mod:`scalingkit.workbooks.chinchilla_replication.reference` (finite-difference gradients on
  the grid);
* ``JAX``: ``jax.scipy.optimize.minimize(method="BFGS")`` vmapped over all starts, when jax is
  installed (``pip install -e ".[bench]"``; skipped with a message otherwise); compile time is
  reported apart.

Each contender runs ``--repeats`` times (order rotated) and the fastest run is reported as
``<contender>: total wall X s, CPU Y s, ratio Z× (ours faster)``, with its best objective and
bootstrap SEs against ours; ours are also compared with the results recorded before the
changes (``baseline_chinchilla.json``). CPU includes child processes. Peak memory of ours is
measured in a separate run (tracemalloc) and as the max RSS of a subprocess.

Usage::

    python benchmarks/bench_chinchilla.py                   # full problem, 3 repeats
    python benchmarks/bench_chinchilla.py --paper-loop      # + the notebook's loop (once)
    python benchmarks/bench_chinchilla.py --check           # exit 1 if a target is missed
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench

from scalingkit import fit
from scalingkit.laws import ChinchillaLaw
from scalingkit.workbooks.chinchilla_replication import reference as ref

NAMES = ("A", "B", "E", "alpha", "beta")
DELTA = 1e-3
HERE = Path(__file__).resolve().parent
BASELINE = json.loads((HERE / "baseline_chinchilla.json").read_text())


def natural(theta: np.ndarray) -> np.ndarray:
    return np.hstack([np.exp(theta[..., :3]), theta[..., 3:]])


def summary(best_obj: float, best_theta, samples) -> dict:
    nat = natural(np.asarray(samples, float))
    return {
        "objective": float(best_obj),
        "theta": np.asarray(best_theta, float).tolist(),
        "se": nat.std(axis=0, ddof=1).tolist(),
    }


# ---- scalingkit (this checkout, or a past commit in a child process) --------------------------


def run_scalingkit(n_starts: int, n_boot: int) -> dict:
    N, D, L, idx = ref.load_data()
    law = ChinchillaLaw()
    X, y = {"params": N[idx], "tokens": D[idx]}, L[idx]
    starts = ref.paper_grid()[:n_starts]
    t0 = time.perf_counter()
    c0 = _bench._cpu_tree()
    res = fit.fit_multistart(law, X, y, starts, method="L-BFGS-B")
    bs = fit.bootstrap(law, X, y, ref.HOFFMANN_UNROUNDED, n_bootstrap=n_boot, seed=42)
    wall, cpu = time.perf_counter() - t0, _bench._cpu_tree() - c0
    out = summary(res.objective, res.theta, bs.samples)
    out.update(wall=wall, cpu=cpu, converged=[int(res.n_converged), int(bs.n_converged)])
    return out


# ---- the analytic-gradient scipy loop ----------------------------------------------------------


def _fg(p, lN, lD, logy):
    """Sum of Huber of log residuals and its gradient, evaluated directly (as the notebook)."""
    a, b, e, al, be = p
    t1 = np.exp(a - al * lN)
    t2 = np.exp(b - be * lD)
    t3 = np.exp(e)
    s = t1 + t2 + t3
    r = logy - np.log(s)
    ar = np.abs(r)
    val = np.sum(np.where(ar <= DELTA, 0.5 * r * r, DELTA * (ar - 0.5 * DELTA)))
    c = -np.clip(r, -DELTA, DELTA) / s
    ct1, ct2 = c * t1, c * t2
    return val, np.array([ct1.sum(), ct2.sum(), c.sum() * t3, -(ct1 @ lN), -(ct2 @ lD)])


def _grid_chunk(starts, lN, lD, logy):
    from scipy.optimize import minimize

    out = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for s in starts:
            r = minimize(_fg, s, args=(lN, lD, logy), jac=True, method="L-BFGS-B")
            out.append((float(r.fun), bool(r.success), r.x))
    return out


def _boot_chunk(resamples, lN, lD, logy):
    from scipy.optimize import minimize

    out = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for ix in resamples:
            r = minimize(
                _fg, ref.HOFFMANN_UNROUNDED.copy(), args=(lN[ix], lD[ix], logy[ix]), jac=True,
                method="BFGS",
            )  # fmt: skip
            out.append(r.x)
    return out


def _scipy_inputs(n_boot: int):
    N, D, L, idx = ref.load_data()
    lN, lD, logy = np.log(N[idx]), np.log(D[idx]), np.log(L[idx])
    rs = np.random.RandomState(42)  # the notebook's np.random.seed(42) stream
    resamples = [rs.choice(len(idx), size=len(idx), replace=True) for _ in range(n_boot)]
    return lN, lD, logy, resamples


def _best(grid: list) -> tuple[float, np.ndarray]:
    ok = [(f, x) for f, s, x in grid if s and np.isfinite(f)]
    return min(ok, key=lambda t: t[0])


def run_scipy(n_starts: int, n_boot: int, n_jobs: int = 1) -> dict:
    from threadpoolctl import threadpool_limits

    lN, lD, logy, resamples = _scipy_inputs(n_boot)
    starts = ref.paper_grid()[:n_starts]
    with threadpool_limits(limits=1):
        if n_jobs == 1:
            grid = _grid_chunk(starts, lN, lD, logy)
            boot = _boot_chunk(resamples, lN, lD, logy)
        else:
            from joblib import Parallel, delayed

            par = Parallel(n_jobs=n_jobs)
            k = 8 * n_jobs
            grid = [
                r
                for part in par(
                    delayed(_grid_chunk)(c, lN, lD, logy) for c in np.array_split(starts, k)
                )
                for r in part
            ]
            chunks = [resamples[i::k] for i in range(k)]
            parts = par(delayed(_boot_chunk)(c, lN, lD, logy) for c in chunks)
            boot = [None] * n_boot
            for i, part in enumerate(parts):
                boot[i::k] = part
    f, x = _best(grid)
    return summary(f, x, np.array(boot))


def run_paper_loop(n_starts: int, n_boot: int) -> dict:
    N, D, L, idx = ref.load_data()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        g = ref.fit_grid(N, D, L, idx, ref.paper_grid()[:n_starts])
        b = ref.fit_bootstrap(N, D, L, idx, n_bootstrap=n_boot)
    return summary(g["objective"], g["theta"], b["samples"])


# ---- JAX -----------------------------------------------------------------------------------------


def make_jax(n_starts: int, n_boot: int):
    """The JAX contender (compiled here, compile time returned apart), or None without jax."""
    try:
        import jax.numpy as jnp
        from _jax_bfgs import make_solver
    except ImportError:
        return None, "jax is not installed (pip install -e '.[bench]')"
    N, D, L, idx = ref.load_data()
    lN, lD, logy = (jnp.asarray(np.log(v[idx])) for v in (N, D, L))
    W = jnp.asarray(fit.bootstrap_weights(len(idx), n_boot, 42))
    starts = jnp.asarray(ref.paper_grid()[:n_starts])
    ones = jnp.ones((n_starts, len(idx)))
    x0b = jnp.broadcast_to(jnp.asarray(ref.HOFFMANN_UNROUNDED), (n_boot, 5))
    grid = make_solver(lN, lD, logy, DELTA, "L-BFGS-B", 1e-5, fit.FTOL_LBFGSB, 15000)
    boot = make_solver(lN, lD, logy, DELTA, "BFGS", 1e-5, 0.0, 1000)
    t0 = time.perf_counter()
    grid_c = grid.lower(starts, ones).compile()
    boot_c = boot.lower(x0b, W).compile()
    compile_s = time.perf_counter() - t0

    def run():
        x, f, ok = (np.asarray(v) for v in grid_c(starts, ones))
        xb, _, okb = (np.asarray(v) for v in boot_c(x0b, W))
        f = np.where(ok & np.isfinite(f), f, np.inf)
        i = int(np.argmin(f))
        out = summary(f[i], x[i], xb)
        out["converged"] = [int(ok.sum()), int(okb.sum())]
        return out

    return run, compile_s


# ---- memory ------------------------------------------------------------------------------------


def peak_memory(n_starts: int, n_boot: int) -> tuple[float, float, float]:
    """Peak memory of ours, MiB: traced allocations (tracemalloc, in this process); the peak
    RSS (``VmHWM``) of a fresh process running the procedure, and that of its forked worker
    (whose pages are largely shared with the main process)."""
    tracemalloc.start()
    run_scalingkit(n_starts, n_boot)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    code = (
        f"import sys, json, resource; sys.path.insert(0, {str(HERE)!r}); "
        "import bench_chinchilla as b; "
        f"b.run_scalingkit({n_starts}, {n_boot}); "
        "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')]; "
        "print(json.dumps([hwm[0], resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    main_kib, child_kib = json.loads(out.stdout.strip().splitlines()[-1])
    return peak / 2**20, main_kib / 1024.0, child_kib / 1024.0


# ---- main ----------------------------------------------------------------------------------------


def compare(name: str, res: dict, ours: dict) -> str:
    rel = (res["objective"] - ours["objective"]) / ours["objective"]
    se = np.max(np.abs(np.array(res["se"]) / np.array(ours["se"]) - 1))
    return (
        f"    best objective {res['objective']:.12g} (vs ours {rel:+.1e}), "
        f"max SE difference vs ours {100 * se:.2f} %"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starts", type=int, default=4500, help="first K grid starts")
    p.add_argument("--bootstraps", type=int, default=4000, help="first B resamples")
    p.add_argument("--repeats", type=int, default=3, help="runs per contender (min 3 for claims)")
    p.add_argument("--baseline", default=BASELINE["commit"], help="past commit to run beside")
    p.add_argument("--paper-loop", action="store_true", help="also the notebook's FD loop")
    p.add_argument("--no-jax", action="store_true", help="skip the JAX contender")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    np.seterr(all="ignore")
    warnings.filterwarnings("ignore")
    if args.child:  # run by the past-commit contender: time ourselves, print JSON
        print(json.dumps(run_scalingkit(args.starts, args.bootstraps)))
        return 0

    S, B = args.starts, args.bootstraps
    full = S == 4500 and B == 4000
    print(f"problem: 240 points, {S} starts, {B} bootstrap refits; workers (ours): "
          f"{fit.default_threads()}; load average at start {_bench.load()}")  # fmt: skip
    tree = _bench.archive(args.baseline)
    past = f"scalingkit @ {args.baseline[:7]}"
    contenders = {
        "scalingkit": lambda: run_scalingkit(S, B),
        past: lambda: _bench.run_child(
            tree, HERE / "bench_chinchilla.py", ["--child", f"--starts={S}", f"--bootstraps={B}"]
        ),
        "scipy loop (analytic gradient, 1 BLAS thread)": lambda: run_scipy(S, B),
        "scipy loop (analytic gradient, joblib 2 processes)": lambda: run_scipy(S, B, n_jobs=2),
    }
    jax_note = "skipped (--no-jax)"
    if not args.no_jax:
        run_jax, info = make_jax(S, B)
        if run_jax is None:
            jax_note = f"skipped: {info}"
        else:
            jax_note = f"compile {info:.1f} s (not included)"
            contenders["JAX (the same batched BFGS, vmap + jit)"] = run_jax
    times = _bench.rotated(contenders, args.repeats)
    if args.paper_loop:
        print("  paper's loop (finite differences), once ...")
        times["paper's loop (finite differences)"] = _bench.rotated(
            {"paper's loop (finite differences)": lambda: run_paper_loop(S, B)}, 1
        )["paper's loop (finite differences)"]
    ours = times["scalingkit"]
    o = ours.result
    print(f"\nload average at the end {_bench.load()}; JAX: {jax_note}")
    for t in times.values():
        print(_bench.line(t, ours))
        if t is not ours:
            print(compare(t.name, t.result, o))
    rel_past = (o["objective"] - times[past].result["objective"]) / times[past].result["objective"]
    se_past = np.max(np.abs(np.array(o["se"]) / np.array(times[past].result["se"]) - 1))
    print(f"\nours: best objective {o['objective']:.12g}; converged {o['converged'][0]}/{S} "
          f"starts, {o['converged'][1]}/{B} refits")  # fmt: skip
    print(f"  vs {past} in this run: objective {rel_past:+.2e}, max SE difference "
          f"{100 * se_past:.3f} %")  # fmt: skip
    if full:
        bo = BASELINE["best_objective"]
        bse = np.array([BASELINE["se"][k] for k in NAMES])
        print(f"  vs the recorded baseline: objective {(o['objective'] - bo) / bo:+.2e}, SEs "
              + ", ".join(f"{k} {100 * (a / b - 1):+.3f} %" for k, a, b in zip(NAMES, o["se"], bse, strict=True)))  # fmt: skip
    peak, rss, rss_child = peak_memory(S, B)
    print(f"peak memory (ours): traced allocations {peak:.1f} MiB; peak RSS of a process "
          f"running it {rss:.0f} MiB (its worker: {rss_child:.0f} MiB, mostly shared pages)")  # fmt: skip

    r_past = times[past].wall / ours.wall
    r_scipy = times["scipy loop (analytic gradient, 1 BLAS thread)"].wall / ours.wall
    r_joblib = times["scipy loop (analytic gradient, joblib 2 processes)"].wall / ours.wall
    ok = (
        r_past >= 2.5 and r_scipy >= 20 and r_joblib >= 10 and abs(rel_past) < 1e-9
        and se_past < 0.005 and rss < 256
    )  # fmt: skip
    print(f"targets (vs past >= 2.5×, vs scipy >= 20×, vs joblib >= 10×, objective < 1e-9, "
          f"SEs within 0.5 %, RSS < 256 MiB): {'met' if ok else 'MISSED'}")  # fmt: skip
    return 0 if (ok or not args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
