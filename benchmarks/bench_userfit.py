"""Benchmark: ``scalingkit fit`` with 1000 bootstraps, this checkout against a past commit.

Runs the command line end to end (``scalingkit fit runs.csv --bootstrap 1000``, writing
fit.json, fit.nc and report.html) on the Chinchilla runs, in a subprocess per run for each
tree (this checkout, and the past commit from ``git archive``), ``--repeats`` times with the
order rotated, and prints the usual line per contender. Inside this checkout it also times
the pieces: the fit with its bootstrap, and the report's figures (drawn and rendered to PNG).

With ``--methods`` (issue 16) it times instead the methods of ``scalingkit fit`` against a
straightforward scipy/numpy implementation on the same data, ratio printed: Approach 2 with
1000 bootstrap resamples (``scalingkit.fit.fit_isoflop`` vs a loop of ``numpy.polyfit`` per
budget and resample) on the Chinchilla runs in Hoffmann's nine budgets, and the surface fit
with each objective (``--residual log|linear`` x ``--loss huber|squared``) from the same 24
starts (``fit_multistart`` vs one ``scipy.optimize.minimize(L-BFGS-B)`` per start, analytic
gradient), each contender's best objective printed.

With ``--mixture`` (issue 16) it times the mixture fit of ``scalingkit fit --law
mixture-additive`` on synthetic runs (3 domains, 3 x 3 sizes x 12 mixtures, 108 runs): the
preset's 24 starts plus 200 bootstrap refits (``fit_multistart``) against one scipy L-BFGS-B per
start and per resample (analytic gradient, the same objective and box), and h* for the 200
bootstrap draws (``fit.simplex.optimal_weights``, all draws at once) against one scipy SLSQP per
draw; ratios and each contender's result printed.

Usage::

    python benchmarks/bench_userfit.py              # 3 repeats, default past commit
    python benchmarks/bench_userfit.py --methods    # issue 16: isoflop and each objective
    python benchmarks/bench_userfit.py --mixture    # issue 16: the mixture fit and h*
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


def _scipy_isoflop(runs, budgets, n_bootstrap: int, seed: int) -> tuple[float, list[float]]:
    """Approach 2 the straightforward way: np.polyfit per budget and per resample."""
    import numpy as np

    lc = np.log10(runs["flops"].to_numpy(float))
    centers = np.log10(np.asarray(budgets, float))
    dist = np.abs(lc[:, None] - centers[None, :])
    j = dist.argmin(axis=1)
    j[dist[np.arange(lc.size), j] > 0.15] = -1
    rs = np.random.RandomState(seed)
    groups = [np.flatnonzero(j == k) for k in range(len(budgets))]
    groups = [g for g in groups if g.size >= 5]
    logn = np.log10(runs["params"].to_numpy(float))
    loss = runs["loss"].to_numpy(float)

    def slope(pick):
        xs, ys = [], []
        for g, idx in zip(groups, pick, strict=True):
            u, y = logn[g][idx], loss[g][idx]
            if np.unique(u).size < 3:
                continue
            c2, c1, _ = np.polyfit(u, y, 2)
            v = -c1 / (2 * c2)
            if c2 > 0 and u.min() <= v <= u.max():
                xs.append(lc[g].mean())
                ys.append(v)
        return np.polyfit(xs, ys, 1)[0] if len(xs) >= 2 else np.nan

    point = slope([np.arange(g.size) for g in groups])
    draws = [slope([rs.randint(0, g.size, g.size) for g in groups]) for _ in range(n_bootstrap)]
    return point, draws


def _scipy_surface(law, X, y, starts, spec) -> float:
    """One scipy L-BFGS-B per start on the same objective (value and analytic gradient)."""
    import numpy as np
    from scipy.optimize import minimize

    from scalingkit.fit.objective import BatchedObjective

    obj = BatchedObjective(law, X, y, spec, n_starts=1)
    idx = np.zeros(1, dtype=int)

    def fg(t):
        v, g = obj.value_grad(t[None, :], idx)
        return float(v[0]), g[0]

    best = np.inf
    for x0 in starts:
        r = minimize(fg, x0, jac=True, method="L-BFGS-B", options={"maxiter": 10000})
        best = min(best, float(r.fun))
    return best


def methods(repeats: int) -> int:
    """The issue-16 benchmark (module docstring)."""

    from scalingkit import fit
    from scalingkit.data import load_chinchilla
    from scalingkit.workbooks.chinchilla_replication import ISOFLOP_BUDGETS

    runs = load_chinchilla()
    print(f"scalingkit fit methods vs scipy/numpy (Chinchilla runs), load average {_bench.load()}")
    N, D, L, C = (runs[k].to_numpy(float) for k in ("params", "tokens", "loss", "flops"))
    iso = _bench.rotated(
        {
            "fit_isoflop, 1000 resamples": lambda: fit.fit_isoflop(
                N, D, L, C, budgets=ISOFLOP_BUDGETS, n_bootstrap=1000, seed=0
            ),
            "numpy polyfit loop, 1000 resamples": lambda: _scipy_isoflop(
                runs, ISOFLOP_BUDGETS, 1000, 0
            ),
        },
        repeats,
    )
    ours = iso["fit_isoflop, 1000 resamples"]
    a_ours = ours.result.a
    a_ref = iso["numpy polyfit loop, 1000 resamples"].result[0]
    for t in iso.values():
        print(_bench.line(t, ours))
    print(f"  a: ours {a_ours:.6f}, polyfit loop {a_ref:.6f} (N parabolas only in the loop)")
    preset = fit.get_preset("chinchilla")
    law = preset.make_law()
    starts = preset.starts(law, "quick")[::10][:24]
    X, y = {"params": N, "tokens": D}, L
    for residual in ("log", "linear"):
        for loss in ("huber", "squared"):
            delta = 1e-3 if residual == "log" else 1e-2
            spec = fit.ObjectiveSpec(residual, loss, delta, "sum")
            kw = {**preset.fit_options(law), "objective": spec}
            t = _bench.rotated(
                {
                    "ours": lambda kw=kw: fit.fit_multistart(
                        law, X, y, starts, **kw, n_bootstrap=0
                    ),
                    "scipy": lambda spec=spec: _scipy_surface(law, X, y, starts, spec),
                },
                repeats,
            )
            o, sp = t["ours"], t["scipy"]
            print(
                f"surface fit, {residual} residuals, {loss}: ours {o.wall:.2f} s "
                f"(objective {o.result.objective:.6g}), scipy L-BFGS-B x {len(starts)} starts "
                f"{sp.wall:.2f} s (best {sp.result:.6g}), ratio {sp.wall / o.wall:.1f}x"
            )
    print(f"load average at the end {_bench.load()}")
    return 0


def _mixture_problem():
    import numpy as np

    from scalingkit import fit

    rng = np.random.default_rng(0)
    H = np.vstack([np.eye(3) * 0.7 + 0.1, rng.dirichlet(np.ones(3), 9)])
    rows = np.array([(n, d, *h) for n in (1e8, 3e8, 1e9) for d in (2e9, 6e9, 2e10) for h in H])
    X = {"params": rows[:, 0], "tokens": rows[:, 1], "weights": rows[:, 2:]}
    preset = fit.get_preset("mixture_additive")
    law = preset.make_law(3)
    truth = law.from_natural(E=1.5, A=400.0, alpha=0.34, B=1200.0, beta=0.3,
                             C=[2.0, 1.0, 1.5], gamma=[0.5, 0.3, 0.4])  # fmt: skip
    y = law.predict(truth, X) * np.exp(2e-3 * rng.standard_normal(len(rows)))
    return preset, law, X, y


def _scipy_mixture(preset, law, X, y, starts, n_boot: int) -> tuple[float, float]:
    """One scipy L-BFGS-B per start, then per bootstrap resample (rows drawn with the legacy
    RandomState(0), refit from the best start); the best objective and the mean refit's."""
    import numpy as np
    from scipy.optimize import minimize

    from scalingkit.fit.objective import BatchedObjective

    opts = preset.fit_options(law)
    tol = {"maxiter": opts["maxiter"], "gtol": opts["gtol"], "ftol": opts["ftol"]}

    def solve(Xb, yb, x0):
        obj = BatchedObjective(law, Xb, yb, opts["objective"], n_starts=1)
        idx = np.zeros(1, dtype=int)

        def fg(t):
            v, g = obj.value_grad(t[None, :], idx)
            return float(v[0]), g[0]

        return minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=opts["bounds"], options=tol)

    fits = [solve(X, y, x0) for x0 in starts]
    best = min(fits, key=lambda r: r.fun)
    rs = np.random.RandomState(0)
    refits = []
    for _ in range(n_boot):
        i = rs.randint(0, y.size, y.size)
        refits.append(solve({k: v[i] for k, v in X.items()}, y[i], best.x).fun)
    return float(best.fun), float(np.mean(refits))


def _slsqp_hstar(law, draws, n_p, n_t):
    import numpy as np
    from scipy.optimize import minimize

    k = law.k
    out = []
    cons = ({"type": "eq", "fun": lambda h: h.sum() - 1.0, "jac": lambda h: np.ones_like(h)},)
    for th in draws:

        def fun(h, th=th):
            L, dL = law.loss_grad_h(th, n_p, n_t, np.clip(h, 1e-12, None))
            return float(L), dL

        r = minimize(fun, np.full(k, 1.0 / k), jac=True, method="SLSQP", bounds=[(0, 1)] * k,
                     constraints=cons, options={"maxiter": 500, "ftol": 1e-12})  # fmt: skip
        out.append(r.x)
    return np.array(out)


def mixture(repeats: int) -> int:
    """The issue-16 mixture benchmark (module docstring)."""
    import numpy as np

    from scalingkit import fit
    from scalingkit.fit.simplex import optimal_weights

    preset, law, X, y = _mixture_problem()
    starts = preset.starts(law, seed=0)
    print(f"mixture fit (additive law, 108 runs, {len(starts)} starts, 200 bootstraps) vs scipy, "
          f"load average {_bench.load()}")  # fmt: skip
    t = _bench.rotated(
        {
            "fit_multistart": lambda: fit.fit_multistart(
                law, X, y, starts, **preset.fit_options(law), n_bootstrap=200, seed=0
            ),
            "scipy L-BFGS-B loop": lambda: _scipy_mixture(preset, law, X, y, starts, 200),
        },
        repeats,
    )
    ours, ref = t["fit_multistart"], t["scipy L-BFGS-B loop"]
    for v in t.values():
        print(_bench.line(v, ours))
    print(f"  objective: ours {ours.result.objective:.6g}, scipy {ref.result[0]:.6g}; mean "
          f"bootstrap objective ours {np.mean(ours.result.bootstrap.objective):.6g}, scipy "
          f"{ref.result[1]:.6g}")  # fmt: skip
    draws = ours.result.bootstrap.samples
    h = _bench.rotated(
        {
            "optimal_weights (all draws)": lambda: optimal_weights([law], [draws], 1e9, 2e10),
            "scipy SLSQP per draw": lambda: _slsqp_hstar(law, draws, 1e9, 2e10),
        },
        repeats,
    )
    mine = h["optimal_weights (all draws)"]
    for v in h.values():
        print(_bench.line(v, mine))
    gap = np.abs(mine.result[0] - h["scipy SLSQP per draw"].result).max()
    print(f"  h* of {len(draws)} draws: largest difference between the two {gap:.2e}")
    print(f"load average at the end {_bench.load()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline", default=BASELINE["commit"])
    p.add_argument("--methods", action="store_true", help="issue 16: isoflop and each objective")
    p.add_argument("--mixture", action="store_true", help="issue 16: the mixture fit and h*")
    args = p.parse_args(argv)
    if args.methods:
        return methods(args.repeats)
    if args.mixture:
        return mixture(args.repeats)
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
