"""Benchmark: the paper-protocol mixture fits, batched vs a per-start scipy loop and basin-hopping.

The data-mixtures workbook's default protocol (:mod:`scalingkit.workbooks.data_mixtures`,
after Shukor et al. 2025, arXiv 2507.09404v2, Sec. 2.3): the paper's split (CSV 310M-1.235B in
Table 1's windows, duplicate checkpoint dropped), eq. 2.6 (mean Huber, δ = 1e-3, of L − L̂),
per target domain the additive law (19 parameters) from ``--starts`` uniform random starts and
the joint law (33) from :func:`~scalingkit.workbooks.data_mixtures.paper_fit.joint_starts`, all
with the workbook's tolerances (gtol 1e-10, ftol 1e-15). Contenders, on the same starts:

* ``scalingkit``: :func:`scalingkit.fit.minimize_multistart`, all starts of a fit at once;
* ``scipy loop``: one ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` per start, on the
  same objective and analytic gradient (:class:`scalingkit.fit.BatchedObjective` for one
  parameter vector), same bounds and tolerances, BLAS held to one thread.

A third line runs the paper's optimizer as scipy offers it (basin-hopping, scipy-default
L-BFGS-B tolerances, ``--hops`` hops from the best of the starts), additive law only: its best
objective shows what default tolerances reach on an objective of ~1e-5. The fixed-protocol
mixture benchmark of the fitter itself is ``bench_mixture.py`` (sum of Huber on log L). Usage::

    python benchmarks/bench_mixtures.py               # 2 domains
    python benchmarks/bench_mixtures.py --domains 7 --repeats 1
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench

from scalingkit import data, fit
from scalingkit.workbooks import data_mixtures as mx
from scalingkit.workbooks.data_mixtures.paper_fit import FTOL, GTOL, MAXITER, joint_starts

SPEC = mx.OBJECTIVES["paper"][1]


def problems(n_domains: int, n_starts: int):
    runs = mx.protocol_split(data.load_slimpajama_mixtures(), "paper")
    fr = runs[runs["split"] == "fit"]
    out = []
    for ti, dom in enumerate(mx.DOMAINS[:n_domains]):
        sub = fr[fr[f"{dom}_loss"].notna()]
        law = mx.make_paper_law("additive")
        out.append((mx.law_inputs(sub), sub[f"{dom}_loss"].to_numpy(float),
                    fit.random_starts(law, n_starts, 1000 * ti + 1), ti))  # fmt: skip
    return out


def ours_fit(law, X, y, starts):
    ms = fit.minimize_multistart(law, X, y, starts, bounds=mx.fit_bounds(law), method="L-BFGS-B",
                                 gtol=GTOL, ftol=FTOL, maxiter=MAXITER, objective=SPEC)  # fmt: skip
    i = int(np.nanargmin(ms.objective))
    return float(ms.objective[i]), ms.theta[i]


def scipy_fit(law, X, y, starts):
    obj = fit.BatchedObjective(law, X, y, SPEC, n_starts=1)
    idx = np.zeros(1, dtype=int)

    def fg(x):
        f, g = obj.value_grad(x[None, :], idx)
        if not np.isfinite(f[0]):
            return 1e3, np.zeros_like(x)
        return float(f[0]), g[0]

    best = (np.inf, None)
    for s in starts:
        r = minimize(fg, s, jac=True, method="L-BFGS-B", bounds=mx.fit_bounds(law),
                     options={"maxiter": MAXITER, "gtol": GTOL, "ftol": FTOL})  # fmt: skip
        if r.fun < best[0]:
            best = (float(r.fun), r.x)
    return best


def run(probs, fitter, n_joint: int) -> dict:
    out = {"additive": [], "joint": []}
    for X, y, st, ti in probs:
        fa, ta = fitter(mx.make_paper_law("additive"), X, y, st)
        out["additive"].append(fa)
        js = joint_starts(ta, n_joint, 1000 * ti + 2)
        out["joint"].append(fitter(mx.make_paper_law("joint"), X, y, js)[0])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--domains", type=int, default=2)
    p.add_argument("--starts", type=int, default=16)
    p.add_argument("--joint-starts", type=int, default=16)
    p.add_argument("--hops", type=int, default=300)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args(argv)
    np.seterr(all="ignore")
    warnings.filterwarnings("ignore")
    from threadpoolctl import threadpool_limits

    probs = problems(args.domains, args.starts)
    print(f"{len(probs)} domains x (additive 19 parameters, {args.starts} starts + joint 33 "
          f"parameters, {args.joint_starts} starts), eq. 2.6; load average {_bench.load()}")  # fmt: skip

    def scipy_run():
        with threadpool_limits(limits=1):
            return run(probs, scipy_fit, args.joint_starts)

    loop = "scipy loop (analytic gradient, same starts and tolerances, 1 BLAS thread)"
    contenders = {"scalingkit": lambda: run(probs, ours_fit, args.joint_starts), loop: scipy_run}
    times = _bench.rotated(contenders, args.repeats)
    ours = times["scalingkit"]
    print(f"load average at the end {_bench.load()}")
    for t in times.values():
        print(_bench.line(t, ours))
    o, s = ours.result, times[loop].result
    for law in ("additive", "joint"):
        print(f"  {law}: best objective x1e6, ours / loop per domain: "
              + ", ".join(f"{1e6 * a:.4f} / {1e6 * b:.4f}" for a, b in zip(o[law], s[law],
                                                                           strict=True)))  # fmt: skip
    law = mx.make_paper_law("additive")
    ratios = []
    for X, y, st, _ in probs:
        f0 = fit.objective(law, st, X, y, SPEC)
        bh = mx.basinhopping_fit(law, X, y, st[int(np.nanargmin(f0))], niter=args.hops)
        ratios.append(bh["objective"])
    print(f"  basin-hopping ({args.hops} hops, scipy-default L-BFGS-B), additive: best objective "
          "/ ours per domain: "
          + ", ".join(f"{a / b:.3f}" for a, b in zip(ratios, o["additive"], strict=True)))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
