"""Benchmark: batched multi-start fits vs a per-start scipy loop (loss-to-loss workbook).

Step 1 of Brandfonbrener et al. (2024, arXiv:2411.12925): one Kaplan-form law per (training
corpus, loss), objective the mean Huber loss (δ = 1e-3) of log residuals, the authors' 16-start
grid, L-BFGS. Both sides minimise the *same* objective with the *same* analytic gradient
(:class:`scalingkit.laws.KaplanLaw`), from the same 16 starts, with the same stopping tolerances
(projected-gradient max-norm ``gtol``, relative reduction ``ftol``):

* batched: :func:`scalingkit.fit.minimize_multistart` (all 16 starts at once);
* reference: a Python loop of ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``, one start
  at a time.

Prints per-side wall time (best of ``--repeat``), the speed ratio, and whether the two reach the
same best objective and E. Usage::

    python benchmarks/bench_loss_to_loss.py            # the six validation-loss fits
    python benchmarks/bench_loss_to_loss.py --all      # all 132 (corpus, loss) fits
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench

from scalingkit import data, fit
from scalingkit.data import corpora
from scalingkit.laws import KaplanLaw

DELTA = 1e-3


def problems(all_losses: bool) -> list[tuple[str, str, dict[str, np.ndarray], np.ndarray]]:
    """(corpus, loss, X, y) for each fit."""
    runs = data.load_loss_to_loss_sweep()
    out = []
    for corpus in corpora.CORPORA:
        sub = runs[runs["data"] == corpus]
        X = {"params": sub["params"].to_numpy(float), "tokens": sub["tokens"].to_numpy(float)}
        losses = list(corpora.LOSS_COLUMNS) if all_losses else [corpora.VAL_LOSS[corpus]]
        for loss in losses:
            out.append((corpus, loss, X, sub[corpora.loss_column(loss)].to_numpy(float)))
    return out


def scipy_loop(law: KaplanLaw, X, y, starts, gtol: float, ftol: float) -> tuple[float, np.ndarray]:
    """Best objective and parameters over a per-start scipy L-BFGS-B loop."""
    Z = law.prepare(X)
    logy = np.log(y)
    n = logy.size

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, J = law._log_predict_grad(theta[None, :], Z)
        r = logy - f[0]
        return float(fit.huber(r, DELTA).sum() / n), -(fit.huber_grad(r, DELTA) @ J[0]) / n

    best = (np.inf, None)
    for s in starts:
        res = minimize(
            fun, s, jac=True, method="L-BFGS-B",
            options={"gtol": gtol, "ftol": ftol, "maxiter": 15000},
        )  # fmt: skip
        if res.success and res.fun < best[0]:
            best = (float(res.fun), res.x)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="all 132 fits (default: the six)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats (best is reported)")
    ap.add_argument("--gtol", type=float, default=1e-10)
    ap.add_argument("--ftol", type=float, default=1e-13)
    args = ap.parse_args()

    law = KaplanLaw()
    starts = fit.get_preset("kaplan").starts(law)  # the authors' 16 starts
    probs = problems(args.all)

    def run_batched():
        out = []
        for *_, X, y in probs:
            ms = fit.minimize_multistart(
                law,
                X,
                y,
                starts,
                objective=fit.ObjectiveSpec(huber_delta=DELTA, reduction="mean"),
                gtol=args.gtol,
                ftol=args.ftol,
            )
            i = ms.best()
            out.append((float(ms.objective[i]), ms.theta[i]))
        return out

    def run_loop():
        return [scipy_loop(law, X, y, starts, args.gtol, args.ftol) for *_, X, y in probs]

    print(f"load average at start: {_bench.load()}")
    times = _bench.rotated({"scalingkit": run_batched, "scipy loop": run_loop}, args.repeat)
    ours = times["scalingkit"]
    results = {"batched": ours.result, "scipy loop": times["scipy loop"].result}
    print(f"load average at the end: {_bench.load()}")
    for t in times.values():
        print(_bench.line(t, ours))

    obj_b = np.array([r[0] for r in results["batched"]])
    obj_s = np.array([r[0] for r in results["scipy loop"]])
    e_b = np.exp([r[1][2] for r in results["batched"]])
    e_s = np.exp([r[1][2] for r in results["scipy loop"]])
    rel_obj = (obj_b - obj_s) / obj_s
    print(f"{len(probs)} fits x {len(starts)} starts, gtol={args.gtol:g}, ftol={args.ftol:g}")
    print(f"best objective, batched vs loop: max relative difference {np.max(rel_obj):+.1e}")
    for tol in (1e-12, 1e-9, 1e-6):
        k = int(np.sum(rel_obj <= tol))
        print(f"batched objective <= loop (+{tol:g} rel) in {k}/{len(probs)}")
    own = [i for i, p in enumerate(probs) if p[1] == corpora.VAL_LOSS[p[0]]]
    print(f"validation-loss fits: max |ΔE|/E = {np.max(np.abs(e_b[own] / e_s[own] - 1)):.1e}")


if __name__ == "__main__":
    main()
