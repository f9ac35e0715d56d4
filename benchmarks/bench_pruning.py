"""Benchmark: the data-pruning workbook's two numerical kernels against plain references.

Sorscher et al. (2022, arXiv:2206.14486) ship no code for the perceptron theory, so the
references are our own straightforward implementations of the same mathematics:

1. **Replica theory, θ = 0** (:class:`scalingkit.workbooks.data_pruning.ReplicaTheory`): vectorised margin grid
   with global grid-search + zoom, versus a scalar loop that, for each α, root-finds κ with
   ``scipy.optimize.brentq`` on ``max_R (1-R²)/E g(κ - R|z|, √(1-R²)) = α``, the inner maximum by
   a fine scan + ``minimize_scalar`` and the integral by ``scipy.integrate.quad``. Reports time,
   speed ratio and the largest |Δε| between the two.
2. **Max-margin perceptron** (:func:`scalingkit.workbooks.data_pruning.max_margin`, exact NNLS / least-distance
   programming) versus scikit-learn's ``LinearSVC(loss="hinge", fit_intercept=False)`` with a
   large C (a finite-C approximation). Reports time, speed ratio, the margin each achieves and
   the angle between the two solutions.

Usage::

    python benchmarks/bench_pruning.py            # f = 0.3 keep-hard, 8 alphas; P = 1000, N = 200
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq, minimize_scalar

from scalingkit.workbooks import data_pruning as pr


def reference_eps(field: pr.PrunedField, alpha: float) -> float:
    """Scalar-loop reference for the θ = 0 theory (see module docstring)."""

    def expect(R: float, kappa: float) -> float:
        s = np.sqrt(1 - R * R)
        kink = kappa / R
        tot = 0.0
        for lo, hi in field.intervals():
            pts = [kink] if lo < kink < hi else None
            val, _ = quad(
                lambda z: 2 * field.pdf(z) * pr.gauss_hinge2(kappa - R * z, s),
                lo,
                hi,
                points=pts,
                limit=200,
                epsabs=1e-13,
                epsrel=1e-10,
            )
            tot += val
        return tot

    def alpha_c(kappa: float) -> tuple[float, float]:
        us = np.geomspace(1e-5, np.pi / 2 - 1e-4, 60)
        vals = [(1 - np.cos(u) ** 2) / max(expect(np.cos(u), kappa), 1e-300) for u in us]
        i = int(np.argmax(vals))
        lo, hi = np.log(us[max(i - 1, 0)]), np.log(us[min(i + 1, len(us) - 1)])
        res = minimize_scalar(
            lambda lu: -(1 - np.cos(np.exp(lu)) ** 2) / expect(np.cos(np.exp(lu)), kappa),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-9},
        )
        return -res.fun, float(np.cos(np.exp(res.x)))

    floor = field.gamma if field.strategy == "easy" else 0.0
    kappa = brentq(lambda k: np.log(alpha_c(floor + k)[0] / alpha), 1e-6, 10.0, xtol=1e-12)
    return float(np.arccos(alpha_c(floor + kappa)[1]) / np.pi)


def bench_theory(f: float, strategy: str, alphas: np.ndarray) -> None:
    field = pr.PrunedField(f, strategy)
    t0 = time.perf_counter()
    cur = pr.ReplicaTheory(0.0).solve(f, strategy, alpha_range=(alphas.min(), alphas.max()))
    ours = cur.at(alphas).eps.to_numpy()
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = np.array([reference_eps(field, a) for a in alphas])
    t_ref = time.perf_counter() - t0
    print(f"theory f={f} keep {strategy}, {len(alphas)} alphas (alpha_prune)")
    print(
        f"  ours (vectorised grid): {t_ours:7.2f} s   reference (quad+brentq loop): {t_ref:7.2f} s"
    )
    print(
        f"  speed ratio ref/ours: {t_ref / t_ours:6.1f}x   max |d eps| = {np.abs(ours - ref).max():.2e}"
    )
    near = cur.at(alphas).near_transition.to_numpy()
    if near.any():
        print(f"  ({int(near.sum())} alphas flagged near the first-order transition)")


def bench_solver(P: int, N: int, reps: int, seed: int) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(seed)
    t_o = t_s = 0.0
    m_o, m_s, ang = [], [], []
    for _ in range(reps):
        X = rng.standard_normal((P, N))
        y = np.sign(X @ rng.standard_normal(N))
        t0 = time.perf_counter()
        res = pr.max_margin(X, y)
        t_o += time.perf_counter() - t0
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            svc = LinearSVC(loss="hinge", fit_intercept=False, C=1e3, max_iter=200_000, tol=1e-8)
            svc.fit(X, y)
        t_s += time.perf_counter() - t0
        w = svc.coef_.ravel() / np.linalg.norm(svc.coef_)
        m_o.append(res.margin)
        m_s.append((y * (X @ w)).min())
        ang.append(np.degrees(np.arccos(np.clip(w @ res.w, -1, 1))))
    print(f"max-margin solver, P={P}, N={N}, {reps} problems")
    print(
        f"  ours (NNLS, exact): {t_o:7.2f} s   LinearSVC(hinge, C=1e3): {t_s:7.2f} s   "
        f"ratio {t_s / t_o:6.1f}x"
    )
    print(
        f"  mean margin ours {np.mean(m_o):.5f}  LinearSVC {np.mean(m_s):.5f} "
        f"(negative = not separating); mean angle between solutions {np.mean(ang):.3f} deg"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--f", type=float, default=0.3)
    ap.add_argument("--strategy", default="hard")
    ap.add_argument("--P", type=int, default=1000)
    ap.add_argument("--N", type=int, default=200)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    alphas = args.f * np.geomspace(1.0, 30.0, 8)
    bench_theory(args.f, args.strategy, alphas)
    bench_solver(args.P, args.N, args.reps, seed=0)


if __name__ == "__main__":
    main()
