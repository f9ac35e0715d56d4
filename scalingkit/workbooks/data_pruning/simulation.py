"""Exact simulation of data pruning: max-margin students on pruned Gaussian data, against theory.

Sorscher et al. (2022, arXiv 2206.14486, Fig. 1): ``P = α_tot N`` Gaussian inputs labelled by a
random teacher, pruned by a probe's field, and the exact max-margin student trained on what is
kept. :func:`simulation_study` runs the workbook's grid (:mod:`.design`) and compares every
simulated point with the replica theory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from .design import StudyDesign
from .field import STRATEGIES, Strategy
from .replica import ReplicaTheory
from .replicates import replicate_mean

__all__ = [
    "MaxMarginResult",
    "SimulationStudy",
    "compare_theory_simulation",
    "max_margin",
    "simulate_grid",
    "simulate_once",
    "simulation_study",
    "summarize_simulation",
]


@dataclass(frozen=True)
class MaxMarginResult:
    """Hard-margin, bias-free max-margin perceptron.

    Attributes
    ----------
    w : ndarray (N,)
        Unit-norm weight vector.
    margin : float
        ``min_i y_i w·x_i`` (in the units of x).
    dual : ndarray (P,)
        Non-negative dual coefficients (support vectors are the positive ones).
    separable : bool
        True when every constraint holds to relative tolerance ``1e-8``.
    kkt_gap : float
        ``max |y_i w·x_i - margin|`` over support vectors, relative to the margin (0 at optimum).
    """

    w: np.ndarray
    margin: float
    dual: np.ndarray
    separable: bool
    kkt_gap: float


def max_margin(X: np.ndarray, y: np.ndarray) -> MaxMarginResult:
    r"""Exact hard-margin perceptron without bias, by least-distance programming.

    Solves :math:`\min_w \tfrac12|w|^2` s.t. :math:`y_i\,w\cdot x_i \ge 1` through the
    Lawson-Hanson reduction to non-negative least squares: with :math:`Z = (y_i x_i)_i` solve
    :math:`\min_{u\ge0}\|E u - e_{N+1}\|` for :math:`E = [Z^\top; \mathbf 1^\top]`; the residual
    :math:`r = Eu - e_{N+1}` gives :math:`w = -r_{1:N}/r_{N+1}` (Lawson & Hanson 1974, ch. 23).
    The max margin of the unit vector is :math:`1/|w|`. A zero residual means the data are not
    linearly separable through the origin, which raises.

    Parameters
    ----------
    X : ndarray (P, N)
        Inputs.
    y : ndarray (P,)
        Labels in {-1, +1}.

    Returns
    -------
    MaxMarginResult
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"max_margin: X must be (P, N) and y (P,), got {X.shape} and {y.shape}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("max_margin: labels y must be -1 or +1")
    P, N = X.shape
    Z = y[:, None] * X
    E = np.vstack([Z.T, np.ones((1, P))])
    e = np.zeros(N + 1)
    e[-1] = 1.0
    u, _ = nnls(E, e, maxiter=50 * max(P, N + 1))
    r = E @ u - e
    if abs(r[-1]) < 1e-12:
        raise ValueError("max_margin: data are not linearly separable through the origin")
    w = -r[:N] / r[-1]
    norm = float(np.linalg.norm(w))
    m = Z @ w  # >= 1 at the optimum, == 1 on support vectors
    margin = 1.0 / norm
    sv = u > 1e-12 * max(u.max(), 1e-300)
    kkt = float(np.max(np.abs(m[sv] - 1.0))) if sv.any() else np.inf
    return MaxMarginResult(
        w=w / norm,
        margin=margin * float(m.min()),
        dual=u,
        separable=bool(m.min() > 1.0 - 1e-8),
        kkt_gap=kkt,
    )


def simulate_once(
    alpha_tot: float,
    f: float,
    strategy: Strategy,
    *,
    N: int = 200,
    theta: float = 0.0,
    seed: int | np.random.SeedSequence = 0,
) -> dict:
    """One teacher-student pruning experiment (arXiv 2206.14486, Fig. 1 simulation).

    Draws ``P = round(alpha_tot N)`` Gaussian inputs, labels them with a random teacher, scores
    them with a probe at angle ``theta`` (degrees), keeps ``round(f P)`` hardest (smallest
    ``|probe field|``) or easiest, trains the exact max-margin student and returns
    ``{alpha_tot, f, strategy, theta, N, n_kept, eps, R, kappa, separable, kkt_gap}``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(
            f"simulate_once: parameter strategy must be one of {STRATEGIES}, got {strategy!r}"
        )
    if not (0.0 < f <= 1.0):
        raise ValueError(f"simulate_once: parameter f must be in (0, 1], got {f}")
    if not (alpha_tot > 0 and N >= 2):
        raise ValueError(f"simulate_once: need alpha_tot > 0 and N >= 2, got {alpha_tot}, {N}")
    rng = np.random.default_rng(seed)
    P = round(alpha_tot * N)
    n_keep = round(f * P)
    if n_keep < 1:
        raise ValueError(f"simulate_once: alpha_tot={alpha_tot}, f={f} keep no example at N={N}")
    T = rng.standard_normal(N)
    T /= np.linalg.norm(T)
    e = rng.standard_normal(N)
    e -= (e @ T) * T
    e /= np.linalg.norm(e)
    th = np.radians(theta)
    probe = np.cos(th) * T + np.sin(th) * e
    X = rng.standard_normal((P, N))
    t = X @ T
    y = np.where(t >= 0, 1.0, -1.0)
    score = np.abs(X @ probe)
    order = np.argsort(score, kind="stable")
    if strategy == "easy":
        order = order[::-1]
    kept = order[:n_keep] if (strategy != "none" and f < 1.0) else np.arange(P)
    res = max_margin(X[kept], y[kept])
    R = float(res.w @ T)
    return {
        "alpha_tot": float(alpha_tot),
        "f": float(f),
        "strategy": strategy,
        "theta": float(theta),
        "N": N,
        "n_kept": int(kept.size),
        "eps": float(np.arccos(np.clip(R, -1, 1)) / np.pi),
        "R": R,
        "kappa": float(res.margin),
        "separable": res.separable,
        "kkt_gap": res.kkt_gap,
    }


def simulate_grid(
    alpha_tot: list[float],
    fs: list[float],
    strategies: tuple[str, ...] = ("hard", "easy"),
    *,
    n_seeds: int = 10,
    N: int = 200,
    theta: float = 0.0,
    seed: int = 0,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Run :func:`simulate_once` over a grid with joblib; one row per run.

    Each run's random stream is spawned from ``seed`` and keyed by its grid position, so the
    result does not depend on ``n_jobs``. f = 1 is run once with strategy ``"none"``.
    """
    from joblib import Parallel, delayed

    configs = []
    for a in alpha_tot:
        for f in fs:
            for s in ("none",) if f >= 1.0 else strategies:
                configs.append((float(a), float(f), s))
    children = np.random.SeedSequence(seed).spawn(len(configs) * n_seeds)
    tasks = [
        (a, f, s, children[i * n_seeds + r], r)
        for i, (a, f, s) in enumerate(configs)
        for r in range(n_seeds)
    ]
    out = Parallel(n_jobs=n_jobs, batch_size=4)(
        delayed(simulate_once)(a, f, s, N=N, theta=theta, seed=ss) for a, f, s, ss, _ in tasks
    )
    df = pd.DataFrame(out)
    df["rep"] = [r for *_, r in tasks]
    return df


def summarize_simulation(sim: pd.DataFrame) -> pd.DataFrame:
    """Mean ± SE of ε and of the max margin κ per (theta, f, strategy, alpha_tot)."""
    g = sim.groupby(["theta", "f", "strategy", "alpha_tot"], sort=True)
    eps = replicate_mean(g["eps"], "eps_mean", se="eps_se")
    kappa = replicate_mean(g["kappa"], "kappa_mean", se="kappa_se").drop(columns="n")
    return eps.join(kappa).reset_index()


def compare_theory_simulation(
    summary: pd.DataFrame, theory: ReplicaTheory, *, floor: float = 0.01, n_se: float = 3.0
) -> pd.DataFrame:
    """Theory ε (and κ) at each simulated point; ``agrees`` when |sim - theory| <= max(n_se SE,
    floor) for ε; ``kappa_agrees`` when the mean margin is within max(n_se SE, floor) of theory."""
    rows = []
    for (f, s), grp in summary.groupby(["f", "strategy"], sort=True):
        a = grp["alpha_tot"].to_numpy() * f
        cur = theory.solve(f, s, alpha_range=(a.min() / 1.2, a.max() * 1.2))
        th = cur.at(a)
        g2 = grp.copy()
        g2["eps_theory"] = th["eps"].to_numpy()
        g2["kappa_theory"] = th["kappa"].to_numpy()
        g2["near_transition"] = th["near_transition"].to_numpy()
        rows.append(g2)
    out = pd.concat(rows, ignore_index=True)
    out["bound"] = np.maximum(n_se * out["eps_se"], floor)
    out["abs_diff"] = (out["eps_mean"] - out["eps_theory"]).abs()
    out["agrees"] = out["abs_diff"] <= out["bound"]
    if "kappa_mean" in out:
        kb = np.maximum(n_se * out["kappa_se"], floor)
        out["kappa_agrees"] = (out["kappa_mean"] - out["kappa_theory"]).abs() <= kb
    return out


@dataclass(frozen=True)
class SimulationStudy:
    """The simulations of one study and their comparison with theory.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per max-margin solve (:func:`simulate_grid`).
    summary : pandas.DataFrame
        Mean ± SE per point (:func:`summarize_simulation`).
    comparison : pandas.DataFrame
        Theory beside every point (:func:`compare_theory_simulation`).
    """

    runs: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame


def simulation_study(
    design: StudyDesign, *, N: int, n_seeds: int, seed: int = 0, n_jobs: int = 1
) -> SimulationStudy:
    """Run every simulation block of ``design`` and compare the points with the replica theory.

    Block ``i`` (:attr:`StudyDesign.simulations`) draws from seed ``seed + block.seed_offset``;
    the theory of each θ is solved with ``design.comparison_n_kappa`` margins. Raises if a
    max-margin solve did not separate its training set (the simulation would be meaningless).
    """
    runs = pd.concat(
        [
            simulate_grid(
                list(b.alpha_tot),
                list(b.fs),
                b.strategies,
                n_seeds=n_seeds,
                N=N,
                theta=b.theta,
                seed=seed + b.seed_offset,
                n_jobs=n_jobs,
            )
            for b in design.simulations
        ],
        ignore_index=True,
    )
    if not runs["separable"].all():
        raise RuntimeError("simulation_study: a max-margin solve did not separate its training set")
    summary = summarize_simulation(runs)
    comparison = pd.concat(
        [
            compare_theory_simulation(g, ReplicaTheory(th, n_kappa=design.comparison_n_kappa))
            for th, g in summary.groupby("theta")
        ],
        ignore_index=True,
    )
    return SimulationStudy(runs, summary, comparison)
