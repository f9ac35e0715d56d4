r"""Data pruning in the teacher-student perceptron: replica theory and exact simulation.

Sorscher, Geirhos, Shekhar, Ganguli & Morcos (2022), "Beyond neural scaling laws: beating power
law scaling via data pruning", NeurIPS 2022, arXiv 2206.14486 (Sec. 2 and App. A).

Model
-----
Inputs :math:`x \sim \mathcal N(0, I_N)`, teacher :math:`T` (:math:`|T|^2 = N`), labels
:math:`y = \operatorname{sign}(T\cdot x)`, :math:`P = \alpha_{tot} N` examples. A *probe*
:math:`J_p` at angle :math:`\theta` to the teacher scores every example by its probe field
:math:`z = J_p\cdot x/\sqrt N`. *Keep hard* keeps the fraction :math:`f` with the smallest
:math:`|z|`, *keep easy* the largest; :math:`\alpha_{prune} = f\,\alpha_{tot}`. A new student
:math:`J` is the max-margin (hard-margin, no bias) perceptron on the kept examples, and its test
error is :math:`\varepsilon = \arccos(R)/\pi` with :math:`R = J\cdot T/(|J||T|)`.

Replica theory (our derivation, replica symmetric, exact for this convex problem)
---------------------------------------------------------------------------------
In the large-:math:`N` limit the pruned probe field has density

.. math::

    p_{hard}(z) = \frac{\phi(z)\,\mathbf 1[|z|<\gamma]}{f},\quad f = 1 - 2H(\gamma);\qquad
    p_{easy}(z) = \frac{\phi(z)\,\mathbf 1[|z|>\gamma]}{f},\quad f = 2H(\gamma),

and, given :math:`z`, the teacher field is :math:`t \mid z \sim \mathcal N(cz, s^2)` with
:math:`c = \cos\theta`, :math:`s = \sin\theta`. Write the student as
:math:`J = R\,T + P\,e + J_\perp` with :math:`e` the unit direction of the probe orthogonal to
the teacher, so that :math:`\rho = J\cdot J_p/N = Rc + Ps`, and let
:math:`\sigma^2 = 1 - R^2 - P^2`. The student field on a kept example is
:math:`\lambda = R t + P (z - ct)/s + \sigma\xi` with :math:`\xi\sim\mathcal N(0,1)` independent.
In the Gardner volume at margin :math:`\kappa` the overlap :math:`q` of two students tends to 1
at the max-margin point; the coefficient of :math:`1/(1-q)` in the free entropy is

.. math::

    \mathcal S(R, P; \kappa) = \sigma^2 - \alpha_{prune}\,
        \mathbb E_{z\sim p,\ t\mid z}\; g\big(\kappa - y\,\mu(t,z),\ \sigma\big),
    \qquad g(m,\sigma) = \mathbb E_\xi (m - \sigma\xi)_+^2
        = (m^2+\sigma^2)\Phi(m/\sigma) + m\sigma\,\phi(m/\sigma),

with :math:`y\mu = \operatorname{sign}(t)\,[R t + P(z-ct)/s]`. The volume is non-empty iff
:math:`\max_{R,P}\mathcal S \ge 0`, so the max-margin student is the saddle point

.. math::

    \alpha_{prune} = \alpha_c(\kappa) = \max_{R,P}\;
        \frac{1 - R^2 - P^2}{\mathbb E\, g(\kappa - y\mu, \sigma)},

whose stationarity conditions :math:`\partial_R = \partial_P = 0` are the saddle-point equations
for :math:`R, \rho, \kappa`. For :math:`\theta = 0` the probe is the teacher, :math:`t = z`,
:math:`P = 0` and the expectation is the one-dimensional integral
:math:`\int p(z)\, g(\kappa - R|z|, \sqrt{1-R^2})\,dz`. Without pruning (:math:`f=1`) this is the
classical max-margin teacher-student perceptron (Gardner 1988; Opper, Kinzel, Kleinz & Nehl
1990): :math:`\varepsilon(1)\approx 0.266`, :math:`\varepsilon(5)\approx 0.094`,
:math:`\alpha\varepsilon\to 0.50`.

Solving. For every :math:`\kappa` on a geometric grid we maximise the ratio over the student
parameters by a global grid search followed by zooming around the best *two* separated local
maxima (with an imperfect probe the objective can have two competing local maxima at the same
margin; a local solver would follow whichever branch it started on). At θ = 0 we find a single
maximum: the keep-hard drop at small :math:`f` is steep but continuous.
:math:`\alpha_c(\kappa)` is monotone, so :math:`\varepsilon(\alpha)` is read off by monotone
interpolation in log-log space; grid intervals across which :math:`\log\varepsilon` changes by more
than 0.4 (a jump, or a drop too steep for the grid) are flagged ``near_transition``. Nothing is
cached.

Accuracy (``benchmarks/bench_pruning.py``): at θ = 0 the solution agrees with an independent
scalar reference (``quad`` + ``brentq`` + ``minimize_scalar``) to better than 2e-5 in ε; at
θ > 0 (teacher-field and ξ integrals in closed form through Owen's T function, the probe field
by Gauss-Legendre) it agrees with a two-times finer solve to about 1e-3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.polynomial.legendre import leggauss
from scipy.interpolate import PchipInterpolator
from scipy.optimize import nnls
from scipy.special import ndtr, ndtri, owens_t

__all__ = [
    "MaxMarginResult",
    "PowerLawFit",
    "PrunedField",
    "ReplicaTheory",
    "TheoryCurve",
    "compare_theory_simulation",
    "crossovers",
    "evaluate_claims",
    "fit_power_law",
    "max_margin",
    "pareto_envelope",
    "simulate_grid",
    "simulate_once",
    "solve_all",
    "summarize_simulation",
]

Strategy = Literal["hard", "easy", "none"]
_STRATEGIES = ("hard", "easy", "none")
_SQRT2PI = np.sqrt(2.0 * np.pi)


def _phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / _SQRT2PI


def gauss_hinge2(m: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    r"""Gaussian-smoothed squared hinge :math:`g(m,\sigma) = \mathbb E_\xi (m-\sigma\xi)_+^2`.

    .. math:: g(m,\sigma) = (m^2+\sigma^2)\,\Phi(m/\sigma) + m\,\sigma\,\phi(m/\sigma)

    Parameters
    ----------
    m, sigma : array_like
        Location and (strictly positive) scale, broadcast together.
    """
    u = m / sigma
    return (m * m + sigma * sigma) * ndtr(u) + m * sigma * _phi(u)


# --------------------------------------------------------------------------------------------
# Pruned probe-field distribution
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrunedField:
    r"""Distribution of the probe field :math:`z` after pruning (arXiv 2206.14486, App. A).

    ``"hard"``: :math:`p(z) = \phi(z)\mathbf 1[|z|<\gamma]/f` with :math:`f = 1-2H(\gamma)`;
    ``"easy"``: :math:`p(z) = \phi(z)\mathbf 1[|z|>\gamma]/f` with :math:`f = 2H(\gamma)`;
    ``"none"`` (or ``f == 1``): the standard normal.

    Parameters
    ----------
    f : float
        Fraction of examples kept, in (0, 1].
    strategy : {"hard", "easy", "none"}
        Which examples are kept.
    """

    f: float
    strategy: Strategy = "hard"

    def __post_init__(self) -> None:
        if not (0.0 < float(self.f) <= 1.0):
            raise ValueError(f"PrunedField: parameter f must be in (0, 1], got {self.f!r}")
        if self.strategy not in _STRATEGIES:
            raise ValueError(
                f"PrunedField: parameter strategy must be one of {_STRATEGIES}, got {self.strategy!r}"
            )

    @property
    def unpruned(self) -> bool:
        return self.strategy == "none" or self.f >= 1.0

    @property
    def gamma(self) -> float:
        r"""Threshold :math:`\gamma` on :math:`|z|` (``inf`` for keep-hard at f = 1, 0 for easy)."""
        if self.unpruned:
            return np.inf if self.strategy == "hard" else 0.0
        if self.strategy == "hard":
            return float(ndtri(0.5 * (1.0 + self.f)))
        return float(ndtri(1.0 - 0.5 * self.f))

    def pdf(self, z: np.ndarray) -> np.ndarray:
        """Density of the kept probe field at ``z``."""
        z = np.asarray(z, dtype=float)
        if self.unpruned:
            return _phi(z)
        inside = np.abs(z) < self.gamma
        keep = inside if self.strategy == "hard" else ~inside
        return np.where(keep, _phi(z), 0.0) / self.f

    def intervals(self, zmax: float = 9.0) -> list[tuple[float, float]]:
        """Support on z >= 0 as a list of finite intervals (the density is symmetric)."""
        if self.unpruned:
            return [(0.0, zmax)]
        g = self.gamma
        return [(0.0, g)] if self.strategy == "hard" else [(g, g + zmax)]


# --------------------------------------------------------------------------------------------
# Replica theory
# --------------------------------------------------------------------------------------------
@dataclass
class TheoryCurve:
    """Replica solution along a grid of margins, for one (f, strategy, theta).

    Attributes
    ----------
    kappa, alpha_prune, R, rho : ndarray
        Max-margin solution on the kappa grid (``alpha_prune`` decreasing in ``kappa``).
    interior : ndarray of bool
        True where the maximiser lies strictly inside the search box (a maximum on the box edge
        means the search did not converge).
    f, strategy, theta : float, str, float
    """

    kappa: np.ndarray
    alpha_prune: np.ndarray
    R: np.ndarray
    rho: np.ndarray
    interior: np.ndarray
    f: float
    strategy: str
    theta: float
    jump_tol: float = 0.4

    @property
    def eps(self) -> np.ndarray:
        return np.arccos(np.clip(self.R, -1.0, 1.0)) / np.pi

    @property
    def converged(self) -> bool:
        return bool(np.all(self.interior)) and bool(np.all(np.diff(self.alpha_prune) < 0))

    def _sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(self.alpha_prune)
        la = np.log(self.alpha_prune[order])
        le = np.log(np.maximum(self.eps[order], 1e-300))
        return order, la, le

    def at(self, alpha_prune: np.ndarray) -> pd.DataFrame:
        """Interpolate the solution at the given ``alpha_prune`` values.

        Returns a frame with columns ``alpha_prune, eps, R, kappa, near_transition, in_range``.
        ``near_transition`` marks points whose bracketing grid interval contains a jump of
        ``|Δ log ε| > jump_tol`` (a jump, or a drop too steep for the margin grid).
        """
        a = np.atleast_1d(np.asarray(alpha_prune, dtype=float))
        order, la, le = self._sorted()
        x = np.log(a)
        eps = np.exp(PchipInterpolator(la, le, extrapolate=False)(x))
        lk = np.log(self.kappa[order])
        kappa = np.exp(PchipInterpolator(la, lk, extrapolate=False)(x))
        idx = np.clip(np.searchsorted(la, x), 1, len(la) - 1)
        jump = np.abs(np.diff(le)) > self.jump_tol
        near = jump[idx - 1]
        if jump.any():
            # also flag the neighbouring intervals: the jump location is known to one grid cell
            jpad = jump | np.r_[jump[1:], False] | np.r_[False, jump[:-1]]
            near = jpad[idx - 1]
        return pd.DataFrame(
            {
                "alpha_prune": a,
                "eps": eps,
                "R": np.cos(np.pi * eps),
                "kappa": kappa,
                "near_transition": near,
                "in_range": (x >= la[0]) & (x <= la[-1]),
            }
        )

    def transition_alpha(self) -> float | None:
        """alpha_prune at the largest jump in ε, or None if the curve is continuous."""
        _, la, le = self._sorted()
        d = np.abs(np.diff(le))
        if d.max() <= self.jump_tol:
            return None
        i = int(np.argmax(d))
        return float(np.exp(0.5 * (la[i] + la[i + 1])))


class ReplicaTheory:
    r"""Replica-symmetric theory of the max-margin student on pruned data.

    Solves :math:`\alpha_c(\kappa) = \max_{R,P} (1-R^2-P^2)/\mathbb E\, g(\kappa - y\mu, \sigma)`
    (module docstring; arXiv 2206.14486 App. A) on a grid of margins by global grid search plus
    zooming, fully vectorised over margins and candidate students.

    Parameters
    ----------
    theta : float
        Angle between probe and teacher in degrees (0 = perfect pruning metric).
    n_kappa : int
        Margins on the geometric grid (finer = smaller interpolation error).
    kappa_range : tuple of float
        Initial margin range; extended automatically until ``alpha_range`` is covered.
    n_quad : int
        Gauss-Legendre nodes per interval of the probe-field integral (and per teacher-field
        interval when theta > 0).
    n_grid : int
        Points per dimension of the global search grid.
    n_zoom : int
        Zoom refinements of the search box around each candidate maximum.
    """

    def __init__(
        self,
        theta: float = 0.0,
        *,
        n_kappa: int = 60,
        kappa_range: tuple[float, float] = (1e-3, 8.0),
        n_quad: int | None = None,
        n_grid: int | None = None,
        n_zoom: int = 8,
    ) -> None:
        if not (0.0 <= theta < 90.0):
            raise ValueError(
                f"ReplicaTheory: parameter theta must be in [0, 90) degrees, got {theta}"
            )
        if n_kappa < 8:
            raise ValueError(f"ReplicaTheory: parameter n_kappa must be >= 8, got {n_kappa}")
        self.theta = float(theta)
        self.n_kappa = int(n_kappa)
        self.kappa_range = (float(kappa_range[0]), float(kappa_range[1]))
        self.n_quad = int(n_quad) if n_quad is not None else (64 if theta == 0 else 32)
        self.n_grid = int(n_grid) if n_grid is not None else (160 if theta == 0 else 16)
        self.n_zoom = int(n_zoom)

    # ---- expectations ------------------------------------------------------------------------
    def _expect_1d(self, field_: PrunedField, R: np.ndarray, kappa: np.ndarray) -> np.ndarray:
        r"""θ = 0: :math:`\int p(z) g(\kappa - R|z|, \sqrt{1-R^2}) dz`, split at the kink."""
        x, w = leggauss(self.n_quad)
        R, kappa = np.broadcast_arrays(np.asarray(R, float), np.asarray(kappa, float))
        Rb, kb = R[..., None], kappa[..., None]
        sig = np.sqrt(np.maximum(1.0 - Rb * Rb, 1e-300))
        zk = kb / np.maximum(Rb, 1e-300)
        out = np.zeros(R.shape)
        for lo, hi in field_.intervals():
            mid = np.clip(zk, lo, hi)
            for a, b in ((lo, mid), (mid, hi)):
                z = a + (b - a) * 0.5 * (x + 1.0)
                out += np.sum(
                    (0.5 * (b - a) * w) * 2.0 * field_.pdf(z) * gauss_hinge2(kb - Rb * z, sig), -1
                )
        return out

    def _nodes_z(self, field_: PrunedField) -> tuple[np.ndarray, np.ndarray]:
        """θ > 0: Gauss-Legendre nodes and weights p(z) dz on the whole pruned support."""
        x, w = leggauss(self.n_quad)
        zs, ws = [], []
        for lo, hi in field_.intervals():
            for a, b in ((lo, hi), (-hi, -lo)):
                zs.append(a + (b - a) * 0.5 * (x + 1.0))
                ws.append(0.5 * (b - a) * w)
        z = np.concatenate(zs)
        return z, np.concatenate(ws) * field_.pdf(z)

    def _expect_2d(self, a, b, sig, kappa, nodes) -> np.ndarray:
        r"""θ > 0: :math:`\mathbb E_{z}\mathbb E_{t|z,\xi}(\kappa - \mathrm{sign}(t)(at+bz) - \sigma\xi)_+^2`.

        The teacher-field and ξ integrals are done in closed form (truncated bivariate normal
        moments, :func:`_trunc_sq_hinge`); only the probe field is integrated numerically.
        """
        c, s = np.cos(np.radians(self.theta)), np.sin(np.radians(self.theta))
        z, wz = nodes
        shape = np.broadcast_shapes(np.shape(kappa), np.shape(a), np.shape(sig))
        flat = [np.broadcast_to(v, shape).reshape(-1, 1) for v in (kappa, a, b, sig)]
        out = np.empty(flat[0].shape[0])
        step = max(1, 400_000 // z.size)
        w0 = c * z / s
        for i in range(0, out.size, step):
            k_, a_, b_, s_ = (v[i : i + step] for v in flat)
            lin = (a_ * c + b_) * z
            A = a_ * s
            F = _trunc_sq_hinge(k_ - lin, A, s_, -w0) + _trunc_sq_hinge(k_ + lin, A, s_, w0)
            out[i : i + step] = F @ wz
        return out.reshape(shape)

    # ---- objective ---------------------------------------------------------------------------
    def _ratio(self, field_, kappa, u, v, nodes):
        """alpha(κ; u, v) for student parameters (u, v); returns (ratio, R, rho)."""
        if self.theta == 0.0:
            R = np.cos(u)
            E = self._expect_1d(field_, R, kappa)
            with np.errstate(divide="ignore", over="ignore"):
                return np.where(E > 1e-250, (1.0 - R * R) / E, np.inf), R, R
        c, s = np.cos(np.radians(self.theta)), np.sin(np.radians(self.theta))
        # u = angle between student and teacher; v in (0, pi) splits the rest between the probe
        # direction e and the orthogonal complement: P = sin u cos v, sigma = sin u sin v
        R = np.cos(u)
        P = np.sin(u) * np.cos(v)
        sig = np.sin(u) * np.sin(v)
        a, b = R - P * c / s, P / s
        E = self._expect_2d(a, b, sig, kappa, nodes)
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(E > 1e-250, (sig * sig) / E, np.inf), R, R * c + P * s

    def _box(self):
        umin, umax = 1e-5, 0.5 * np.pi - 1e-4
        if self.theta == 0.0:
            return (np.log(umin), np.log(umax)), None
        return (np.log(umin), np.log(umax)), (1e-3, np.pi - 1e-3)

    def _solve_kappa(self, field_: PrunedField, kappa: np.ndarray, nodes) -> dict:
        """Global maximisation over the student for every κ (vectorised over κ)."""
        kappa = np.asarray(kappa, float)
        K = kappa.size
        (lu0, lu1), vbox = self._box()
        n = self.n_grid
        if vbox is None:
            lu = np.linspace(lu0, lu1, n)
            val, _, _ = self._ratio(field_, kappa[:, None], np.exp(lu)[None, :], 0.0, nodes)
            val = np.where(np.isfinite(val), val, -np.inf)
            # candidate local maxima (up to two, separated), per kappa
            cands = _top_local_maxima_1d(val, 2)
            best = np.full(K, -np.inf)
            bu = np.zeros(K)
            interior = np.zeros(K, bool)
            for ci in range(cands.shape[1]):
                idx = cands[:, ci]
                ok = idx >= 0
                centre = lu[np.clip(idx, 0, n - 1)]
                half = np.full(K, lu[1] - lu[0])
                for _ in range(self.n_zoom):
                    g = centre[:, None] + half[:, None] * np.linspace(-1, 1, 9)[None, :]
                    g = np.clip(g, lu0, lu1)
                    vv, _, _ = self._ratio(field_, kappa[:, None], np.exp(g), 0.0, nodes)
                    vv = np.where(np.isfinite(vv), vv, -np.inf)
                    j = np.argmax(vv, 1)
                    centre = g[np.arange(K), j]
                    half = half / 3.0
                vbest, _, _ = self._ratio(field_, kappa, np.exp(centre), 0.0, nodes)
                better = ok & (vbest > best)
                best = np.where(better, vbest, best)
                bu = np.where(better, centre, bu)
                interior = np.where(better, (centre > lu0 + 1e-9) & (centre < lu1 - 1e-9), interior)
            _, R, rho = self._ratio(field_, kappa, np.exp(bu), 0.0, nodes)
            return {"alpha": best, "R": R, "rho": rho, "interior": interior}

        v0, v1 = vbox
        lu = np.linspace(lu0, lu1, n)
        vg = np.linspace(v0, v1, n)
        U, V = np.meshgrid(lu, vg, indexing="ij")
        val, _, _ = self._ratio(field_, kappa[:, None, None], np.exp(U)[None], V[None], nodes)
        val = np.where(np.isfinite(val), val, -np.inf)
        cands = _top_local_maxima_2d(val, 2)
        best = np.full(K, -np.inf)
        bu, bv = np.zeros(K), np.zeros(K)
        interior = np.zeros(K, bool)
        lin = np.linspace(-1, 1, 5)
        for ci in range(cands.shape[1]):
            idx = cands[:, ci]
            ok = idx >= 0
            ii, jj = np.unravel_index(np.clip(idx, 0, n * n - 1), (n, n))
            cu, cv = lu[ii], vg[jj]
            hu = np.full(K, lu[1] - lu[0])
            hv = np.full(K, vg[1] - vg[0])
            for _ in range(self.n_zoom):
                gu = np.clip(cu[:, None, None] + hu[:, None, None] * lin[None, :, None], lu0, lu1)
                gv = np.clip(cv[:, None, None] + hv[:, None, None] * lin[None, None, :], v0, v1)
                gu, gv = np.broadcast_arrays(gu, gv)
                vv, _, _ = self._ratio(field_, kappa[:, None, None], np.exp(gu), gv, nodes)
                vv = np.where(np.isfinite(vv), vv, -np.inf).reshape(K, -1)
                j = np.argmax(vv, 1)
                cu = gu.reshape(K, -1)[np.arange(K), j]
                cv = gv.reshape(K, -1)[np.arange(K), j]
                hu, hv = hu / 2.0, hv / 2.0
            vbest, _, _ = self._ratio(field_, kappa, np.exp(cu), cv, nodes)
            better = ok & (vbest > best)
            best = np.where(better, vbest, best)
            bu, bv = np.where(better, cu, bu), np.where(better, cv, bv)
            inside = (cu > lu0 + 1e-9) & (cu < lu1 - 1e-9) & (cv > v0 + 1e-9) & (cv < v1 - 1e-9)
            interior = np.where(better, inside, interior)
        _, R, rho = self._ratio(field_, kappa, np.exp(bu), bv, nodes)
        return {"alpha": best, "R": R, "rho": rho, "interior": interior}

    def solve(
        self,
        f: float,
        strategy: Strategy = "hard",
        *,
        alpha_range: tuple[float, float] = (0.05, 50.0),
    ) -> TheoryCurve:
        """Solve the saddle point on a margin grid covering ``alpha_range`` (in alpha_prune).

        Parameters
        ----------
        f : float
            Fraction kept, in (0, 1].
        strategy : {"hard", "easy", "none"}
            Keep the hardest (smallest probe margin) or easiest examples.
        alpha_range : tuple of float
            Range of alpha_prune the margin grid must cover.

        Returns
        -------
        TheoryCurve
        """
        field_ = PrunedField(f, strategy)
        if not (0.0 < alpha_range[0] < alpha_range[1]):
            raise ValueError(
                f"ReplicaTheory.solve: parameter alpha_range must be 0 < lo < hi, got {alpha_range}"
            )
        nodes = None if self.theta == 0.0 else self._nodes_z(field_)
        # theta = 0 keep-easy: the teacher itself has margin gamma on every kept example, so the
        # max margin stays above gamma for any alpha; the grid is laid out above that floor.
        floor = field_.gamma if (self.theta == 0.0 and field_.strategy == "easy") else 0.0
        if not np.isfinite(floor):
            floor = 0.0
        k0, k1 = self.kappa_range
        a_lo, a_hi = alpha_range[0] / 1.5, alpha_range[1] * 1.5
        # coarse pass: bracket the margins whose alpha_c covers alpha_range
        for _ in range(12):
            kc = np.geomspace(k0, k1, 24)
            ac = self._solve_kappa(field_, floor + kc, nodes)["alpha"]
            lo_ok = ac[0] >= a_hi
            hi_ok = ac[-1] <= a_lo
            if lo_ok and hi_ok:
                break
            k0 = k0 if lo_ok else k0 / 10.0
            k1 = k1 if hi_ok else k1 * 1.5
        i0 = int(np.nonzero(ac >= a_hi)[0].max()) if lo_ok else 0
        i1 = int(np.nonzero(ac <= a_lo)[0].min()) if hi_ok else kc.size - 1
        kappa = floor + np.geomspace(kc[i0], kc[max(i1, i0 + 1)], self.n_kappa)
        sol = self._solve_kappa(field_, kappa, nodes)
        return TheoryCurve(
            kappa=kappa,
            alpha_prune=sol["alpha"],
            R=sol["R"],
            rho=sol["rho"],
            interior=sol["interior"],
            f=float(f),
            strategy=str(strategy),
            theta=self.theta,
        )


def _phi2(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate standard normal CDF P(X < h, Y < k) with correlation |rho| < 1 (Owen's T)."""
    h = np.where(h == 0.0, 1e-300, h)
    k = np.where(k == 0.0, 1e-300, k)
    q = np.sqrt(1.0 - rho * rho)
    with np.errstate(over="ignore"):
        ah = (k - rho * h) / (h * q)
        ak = (h - rho * k) / (k * q)
    beta = np.where(h * k > 0, 0.0, 0.5)
    return 0.5 * (ndtr(h) + ndtr(k)) - owens_t(h, ah) - owens_t(k, ak) - beta


def _trunc_sq_hinge(m, A, sig, w0):
    r""":math:`\mathbb E[(m - A W - \sigma\xi)_+^2\,\mathbf 1(W > w_0)]` for independent
    standard normals W, ξ (closed form via truncated bivariate normal moments)."""
    tau = np.sqrt(A * A + sig * sig)
    h = m / tau
    rho = -A / tau  # corr(η, W') for W' = -W, η = (A W + σ ξ)/τ; region {η < h, W' < -w0}
    k = -w0 + 0.0 * h
    q = np.sqrt(1.0 - rho * rho)
    c1 = (k - rho * h) / q
    c2 = (h - rho * k) / q
    P = _phi2(h, k, rho)
    ph, pk = _phi(h), _phi(k)
    nc1, nc2 = ndtr(c1), ndtr(c2)
    M1 = -ph * nc1 - rho * pk * nc2
    M2 = P - h * ph * nc1 - rho * pk * (rho * k * nc2 - q * _phi(c2))
    return tau * tau * (h * h * P - 2.0 * h * M1 + M2)


def _top_local_maxima_1d(val: np.ndarray, k: int) -> np.ndarray:
    """Indices of up to k largest local maxima along the last axis (-1 = none)."""
    pad = np.pad(val, ((0, 0), (1, 1)), constant_values=-np.inf)
    is_max = (val >= pad[:, :-2]) & (val >= pad[:, 2:]) & np.isfinite(val)
    score = np.where(is_max, val, -np.inf)
    order = np.argsort(-score, axis=1)[:, :k]
    found = np.take_along_axis(score, order, 1) > -np.inf
    return np.where(found, order, -1)


def _top_local_maxima_2d(val: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of up to k largest local maxima (8-neighbourhood) of (K, n, n) arrays."""
    K, n1, n2 = val.shape
    pad = np.pad(val, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    is_max = np.isfinite(val)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di == 0 and dj == 0:
                continue
            is_max &= val >= pad[:, 1 + di : 1 + di + n1, 1 + dj : 1 + dj + n2]
    score = np.where(is_max, val, -np.inf).reshape(K, -1)
    order = np.argsort(-score, axis=1)[:, :k]
    found = np.take_along_axis(score, order, 1) > -np.inf
    return np.where(found, order, -1)


# --------------------------------------------------------------------------------------------
# Exact max-margin perceptron and the simulation
# --------------------------------------------------------------------------------------------
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
    if strategy not in _STRATEGIES:
        raise ValueError(
            f"simulate_once: parameter strategy must be one of {_STRATEGIES}, got {strategy!r}"
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
    out = g.agg(
        eps_mean=("eps", "mean"),
        eps_sd=("eps", "std"),
        n=("eps", "count"),
        kappa_mean=("kappa", "mean"),
        kappa_sd=("kappa", "std"),
    ).reset_index()
    out["eps_se"] = out["eps_sd"] / np.sqrt(out["n"])
    out["kappa_se"] = out["kappa_sd"] / np.sqrt(out["n"])
    return out


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


# --------------------------------------------------------------------------------------------
# Claims of the paper, measured on theory curves
# --------------------------------------------------------------------------------------------
def solve_all(
    thetas: list[float],
    fs: list[float],
    alpha_tot: np.ndarray,
    *,
    n_jobs: int = 1,
    **theory_kw,
) -> pd.DataFrame:
    """Theory curves ε(α_tot) for every (θ, f, strategy); f = 1 is solved once at θ = 0.

    Independent problems run in parallel with joblib. ``theory_kw`` goes to
    :class:`ReplicaTheory` (keys prefixed ``theta0_`` apply to θ = 0 only).
    """
    from joblib import Parallel, delayed

    alpha_tot = np.asarray(alpha_tot, float)
    jobs = []
    if 1.0 in fs:
        jobs.append((0.0, 1.0, "none"))
    for th in thetas:
        jobs += [(float(th), f, s) for f in fs if f < 1.0 for s in ("hard", "easy")]

    def kw(th):
        base = {k: v for k, v in theory_kw.items() if not k.startswith("theta0_")}
        if th == 0.0:
            base.update({k[7:]: v for k, v in theory_kw.items() if k.startswith("theta0_")})
        return base

    def one(th, f, s):
        a = f * alpha_tot
        cur = ReplicaTheory(th, **kw(th)).solve(f, s, alpha_range=(a.min() / 1.2, a.max() * 1.2))
        df = cur.at(a)
        df.insert(0, "alpha_tot", alpha_tot)
        df.insert(0, "strategy", s)
        df.insert(0, "f", f)
        df.insert(0, "theta", th)
        df["converged"] = cur.converged
        return df

    out = Parallel(n_jobs=n_jobs)(delayed(one)(*j) for j in jobs)
    df = pd.concat(out, ignore_index=True)
    # f = 1 does not depend on the probe: copy the θ = 0 solution to every θ
    f1 = df[df.f == 1.0]
    extra = [f1.assign(theta=float(th)) for th in thetas if th != 0.0]
    return pd.concat([df, *extra], ignore_index=True)


def crossovers(curves: pd.DataFrame, theta: float = 0.0) -> pd.DataFrame:
    """Per f < 1: who wins at the smallest and largest α_tot, and the crossover α_tot.

    The crossover is the first α_tot (log-linear interpolation of ε_hard - ε_easy) at which
    keep-hard starts beating keep-easy; NaN when the sign never changes.
    """
    rows = []
    c = curves[curves.theta == theta]
    for f, g in c[c.f < 1.0].groupby("f"):
        h = g[g.strategy == "hard"].sort_values("alpha_tot")
        e = g[g.strategy == "easy"].sort_values("alpha_tot")
        a = h.alpha_tot.to_numpy()
        d = h.eps.to_numpy() - e.eps.to_numpy()
        ok = np.isfinite(d)
        a, d = a[ok], d[ok]
        cross = np.nan
        idx = np.nonzero((d[:-1] > 0) & (d[1:] <= 0))[0]
        if idx.size:
            i = idx[0]
            la = np.log(a[i]) + (np.log(a[i + 1]) - np.log(a[i])) * d[i] / (d[i] - d[i + 1])
            cross = float(np.exp(la))
        rows.append(
            {
                "theta": theta,
                "f": f,
                "easy_wins_small": bool(d[0] > 0),
                "hard_wins_large": bool(d[-1] < 0),
                "crossover_alpha_tot": cross,
            }
        )
    return pd.DataFrame(rows).sort_values("f", ascending=False, ignore_index=True)


def pareto_envelope(
    curves: pd.DataFrame,
    alpha_prune: np.ndarray,
    theta: float = 0.0,
    strategies: tuple[str, ...] = ("hard", "none"),
) -> pd.DataFrame:
    """Lower envelope over (f, strategy in ``strategies``) of ε as a function of α_prune.

    Each curve is interpolated (log-log) at the requested α_prune inside its α_tot range only
    (a pruned set cannot be larger than the data it came from). Columns: ``alpha_prune, eps,
    f_best, strategy_best, alpha_tot_best``.
    """
    c = curves[(curves.theta == theta) & curves.strategy.isin(strategies)]
    ap = np.asarray(alpha_prune, float)
    best = np.full(ap.shape, np.inf)
    fb = np.full(ap.shape, np.nan)
    sb = np.full(ap.shape, "", dtype=object)
    for (f, s), g in c.groupby(["f", "strategy"]):
        g = g.sort_values("alpha_prune")
        x, y = np.log(g.alpha_prune.to_numpy()), np.log(g.eps.to_numpy())
        ok = np.isfinite(y)
        x, y = x[ok], y[ok]
        e = np.exp(np.interp(np.log(ap), x, y, left=np.nan, right=np.nan))
        better = np.isfinite(e) & (e < best)
        best = np.where(better, e, best)
        fb = np.where(better, f, fb)
        sb = np.where(better, s, sb)
    return pd.DataFrame(
        {
            "alpha_prune": ap,
            "eps": best,
            "f_best": fb,
            "strategy_best": sb,
            "alpha_tot_best": ap / fb,
        }
    )


@dataclass(frozen=True)
class PowerLawFit:
    r"""OLS fit :math:`\log\varepsilon = \log A - \nu\log\alpha` (statsmodels).

    ``exponent`` is ν (positive = falling), ``ci`` its 95 % confidence interval, ``se`` its
    standard error, ``n`` the number of points. On deterministic theory curves the interval
    measures lack of fit (curvature), not noise.
    """

    exponent: float
    se: float
    ci: tuple[float, float]
    prefactor: float
    r2: float
    n: int

    def predict(self, alpha: np.ndarray) -> np.ndarray:
        return self.prefactor * np.asarray(alpha, float) ** (-self.exponent)


def fit_power_law(
    alpha: np.ndarray, eps: np.ndarray, weights: np.ndarray | None = None
) -> PowerLawFit:
    """Fit ε = A α^(-ν) by (weighted) least squares on log-log axes with statsmodels."""
    import statsmodels.api as sm

    alpha = np.asarray(alpha, float)
    eps = np.asarray(eps, float)
    ok = np.isfinite(alpha) & np.isfinite(eps) & (alpha > 0) & (eps > 0)
    if ok.sum() < 3:
        raise ValueError(f"fit_power_law: need >= 3 positive finite points, got {int(ok.sum())}")
    X = sm.add_constant(np.log(alpha[ok]))
    y = np.log(eps[ok])
    model = sm.WLS(y, X, weights=weights[ok]) if weights is not None else sm.OLS(y, X)
    res = model.fit()
    lo, hi = res.conf_int(0.05)[1]
    return PowerLawFit(
        exponent=float(-res.params[1]),
        se=float(res.bse[1]),
        ci=(float(-hi), float(-lo)),
        prefactor=float(np.exp(res.params[0])),
        r2=float(res.rsquared),
        n=int(ok.sum()),
    )


def evaluate_claims(
    curves: pd.DataFrame,
    *,
    fit_range: tuple[float, float],
    thetas: tuple[float, ...] = (0.0,),
    n_envelope: int = 25,
) -> tuple[dict[str, bool | float], dict[str, object]]:
    """Measure the paper's qualitative claims (Sec. 2, Figs. 1-2) on theory curves.

    Returns ``(claims, details)``: ``claims`` maps a short key to a bool or number; ``details``
    holds the crossover tables, envelopes (keep hard + f = 1, over ``fit_range`` in α_prune) and
    power-law fits behind them.
    """
    claims: dict[str, bool | float] = {}
    details: dict[str, object] = {"crossovers": {}, "envelopes": {}, "fits": {}}
    ap = np.geomspace(fit_range[0], fit_range[1], n_envelope)
    fmin = float(curves.f.min())
    for th in thetas:
        cx = crossovers(curves, th)
        env = pareto_envelope(curves, ap, th)
        details["crossovers"][th] = cx
        details["envelopes"][th] = env
        f1 = curves[(curves.theta == th) & (curves.f == 1.0)]
        m = (f1.alpha_prune >= fit_range[0]) & (f1.alpha_prune <= fit_range[1])
        fit_f1 = fit_power_law(f1.alpha_prune[m], f1.eps[m])
        fit_env = fit_power_law(env.alpha_prune, env.eps)
        details["fits"][th] = {"f1": fit_f1, "envelope": fit_env}
        fb = env.f_best.to_numpy()
        claims[f"theta{th:g}.easy_small_hard_large"] = bool(
            cx.easy_wins_small.all() and cx.hard_wins_large.all()
        )
        small = cx[cx.f <= 0.5].sort_values("f", ascending=False).crossover_alpha_tot.to_numpy()
        claims[f"theta{th:g}.crossover_grows_as_f_shrinks"] = bool(
            np.all(np.isfinite(small)) and np.all(np.diff(small) > 0)
        )
        claims[f"theta{th:g}.best_f_falls"] = bool(
            np.all(np.diff(fb) <= 0) and np.unique(fb).size >= 3
        )
        claims[f"theta{th:g}.envelope_exponent"] = fit_env.exponent
        claims[f"theta{th:g}.f1_exponent"] = fit_f1.exponent
        claims[f"theta{th:g}.envelope_beats_power_law"] = bool(fit_env.ci[0] > fit_f1.ci[1])
        claims[f"theta{th:g}.gain_at_max"] = float(
            np.interp(np.log(ap[-1]), np.log(f1.alpha_prune), f1.eps) / env.eps.iloc[-1]
        )
        claims[f"theta{th:g}.smallest_f_used"] = float(np.nanmin(fb))
    if len(thetas) > 1:
        gains = [claims[f"theta{th:g}.gain_at_max"] for th in thetas]
        claims["probe.gain_saturates"] = bool(np.all(np.diff(gains) < 0))
        claims["probe.minimum_useful_f"] = bool(
            claims[f"theta{thetas[0]:g}.smallest_f_used"] == fmin
            and all(claims[f"theta{th:g}.smallest_f_used"] > fmin for th in thetas[1:])
        )
    return claims, details
