"""Benchmark: the mixture-law fits (19 and 33 parameters), batched vs a per-start scipy loop.

The data-mixtures workbook's protocol (:mod:`scalingkit.workbooks.data_mixtures`, after
Shukor et al. 2025, arXiv 2507.09404, eq. 2-3): per target domain, the additive law (2k + 5 =
19 parameters for the k = 7 SlimPajama domains) from 16 uniform random starts, then the joint
law (4k + 5 = 33 parameters) from its embedding of the additive optimum plus 7 jittered
copies; sum of Huber (δ = 1e-3) on log residuals, L-BFGS-B within ``law.bounds()``, at most
1000 iterations. Both contenders get the same starts:

* ``scalingkit``: :func:`scalingkit.fit.minimize_multistart`, all starts of a fit at once;
* ``scipy loop``: one ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` per start, with
  the objective and its analytic gradient written out in plain numpy for one parameter vector
  (the laws' formulas; BLAS held to one thread).

Each contender runs ``--repeats`` times (order rotated); the fastest run is reported. Usage::

    python benchmarks/bench_mixture.py                 # all 7 target domains
    python benchmarks/bench_mixture.py --domains 2     # the first 2
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench

from scalingkit import data, fit
from scalingkit.workbooks import data_mixtures as mx
from scalingkit.workbooks.data_mixtures.runs import DOMAINS, law_inputs, loss_column

DELTA = 1e-3
MAXITER = 1000


def problems(n_domains: int):
    """Per domain: X, y and the additive starts (as the workbook draws them)."""
    runs = mx.split_runs(data.load_slimpajama_mixtures(), seed=0)
    fr = runs[runs["split"] == "fit"]
    out = []
    for ti, dom in enumerate(DOMAINS[:n_domains]):
        col = loss_column(dom)
        sub = fr[fr[col].notna()]
        law = mx.make_law("additive")
        out.append(
            (law_inputs(sub), sub[col].to_numpy(float), law.random_starts(16, seed=1000 * ti))
        )
    return out


def joint_starts(jl, theta_add, ti):
    s0 = jl.from_additive(theta_add)
    st = s0 + np.random.default_rng(1000 * ti + 1).normal(0.0, 0.1, (8, jl.n_params))
    st[0] = s0
    b = fit.check_bounds(jl.bounds(), jl.n_params)
    return np.clip(st, b[0], b[1])


# ---- plain-numpy objectives of one parameter vector -----------------------------------------


def _huber(r):
    a = np.abs(r)
    return np.sum(np.where(a <= DELTA, 0.5 * r * r, DELTA * (a - 0.5 * DELTA))), np.clip(
        r, -DELTA, DELTA
    )


def additive_fg(th, ln, ld, lh, logy, k):
    e, a, al, b, be = th[:5]
    c, g = th[5 : 5 + k], th[5 + k :]
    z = c + g * lh  # (n, k)
    log_s = logsumexp(z, axis=1)
    q = softmax(z, axis=1)
    u = np.column_stack([np.full_like(ln, e), a - al * ln, b - be * ld, -log_s])
    f = logsumexp(u, axis=1)
    p = np.exp(u - f[:, None])
    val, psi = _huber(logy - f)
    v = -psi
    vp = v[:, None] * p
    w4 = -vp[:, 3:4] * q
    grad = np.concatenate(
        [[vp[:, 0].sum(), vp[:, 1].sum(), -vp[:, 1] @ ln, vp[:, 2].sum(), -vp[:, 2] @ ld],
         w4.sum(0), (w4 * lh).sum(0)]
    )  # fmt: skip
    return val, grad


def joint_fg(th, ln, ld, lh, logy, k):
    e, al, be, pA, pB = th[:5]
    u, v_, c, g = th[5 : 5 + k], th[5 + k : 5 + 2 * k], th[5 + 2 * k : 5 + 3 * k], th[5 + 3 * k :]
    zA, zB, z = u + lh, v_ + lh, c + g * lh
    lA, lB, log_s = logsumexp(zA, axis=1), logsumexp(zB, axis=1), logsumexp(z, axis=1)
    rA, rB, q = softmax(zA, axis=1), softmax(zB, axis=1), softmax(z, axis=1)
    terms = np.column_stack([np.full_like(ln, e), pA * lA - al * ln, pB * lB - be * ld, -log_s])
    f = logsumexp(terms, axis=1)
    p = np.exp(terms - f[:, None])
    val, psi = _huber(logy - f)
    vp = -psi[:, None] * p
    w4 = -vp[:, 3:4] * q
    grad = np.concatenate(
        [[vp[:, 0].sum(), -vp[:, 1] @ ln, -vp[:, 2] @ ld, vp[:, 1] @ lA, vp[:, 2] @ lB],
         pA * (vp[:, 1:2] * rA).sum(0), pB * (vp[:, 2:3] * rB).sum(0), w4.sum(0),
         (w4 * lh).sum(0)]
    )  # fmt: skip
    return val, grad


def scipy_fit(fg, law, X, y, starts):
    Z = law.prepare(X)
    args = (Z["log_n"], Z["log_d"], Z["log_h"], np.log(y), law.k)
    best = (np.inf, None)
    for s in starts:
        r = minimize(fg, s, args=args, jac=True, method="L-BFGS-B", bounds=law.bounds(),
                     options={"maxiter": MAXITER})  # fmt: skip
        if r.fun < best[0]:
            best = (float(r.fun), r.x)
    return best


def ours_fit(law, X, y, starts):
    ms = fit.minimize_multistart(law, X, y, starts, bounds=law.bounds(), maxiter=MAXITER)
    i = ms.best(converged_only=False)
    return float(ms.objective[i]), ms.theta[i]


def run(probs, kind: str, fitter) -> dict:
    out = {"additive": [], "joint": []}
    for ti, (X, y, st) in enumerate(probs):
        add = mx.make_law("additive")
        fa, ta = fitter(add_fg_or_none(kind, "additive"), add, X, y, st)
        out["additive"].append(fa)
        jl = mx.make_law("joint")
        fj, _ = fitter(add_fg_or_none(kind, "joint"), jl, X, y, joint_starts(jl, ta, ti))
        out["joint"].append(fj)
    return out


def add_fg_or_none(kind, law):
    if kind == "ours":
        return None
    return additive_fg if law == "additive" else joint_fg


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--domains", type=int, default=len(DOMAINS))
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    np.seterr(all="ignore")
    warnings.filterwarnings("ignore")
    from threadpoolctl import threadpool_limits

    probs = problems(args.domains)
    n = [len(y) for _, y, _ in probs]
    print(f"{len(probs)} domains x (additive 19 parameters, 16 starts + joint 33 parameters, "
          f"8 starts); {min(n)}-{max(n)} runs each; load average {_bench.load()}")  # fmt: skip

    def scipy_run():
        with threadpool_limits(limits=1):
            return run(probs, "scipy", lambda fg, law, X, y, st: scipy_fit(fg, law, X, y, st))

    contenders = {
        "scalingkit": lambda: run(
            probs, "ours", lambda _fg, law, X, y, st: ours_fit(law, X, y, st)
        ),
        "scipy loop (analytic gradient, 1 BLAS thread)": scipy_run,
    }
    times = _bench.rotated(contenders, args.repeats)
    ours = times["scalingkit"]
    print(f"\nload average at the end {_bench.load()}")
    for t in times.values():
        print(_bench.line(t, ours))
    o, s = ours.result, times["scipy loop (analytic gradient, 1 BLAS thread)"].result
    for law in ("additive", "joint"):
        rel = (np.array(o[law]) - np.array(s[law])) / np.array(s[law])
        print(f"  {law}: best objective ours vs loop, relative difference per domain: "
              + ", ".join(f"{v:+.1e}" for v in rel))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
