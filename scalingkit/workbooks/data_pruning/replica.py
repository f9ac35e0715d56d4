r"""Data pruning in the teacher-student perceptron: the replica theory of the max-margin student.

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

import numpy as np
import pandas as pd
from numpy.polynomial.legendre import leggauss
from scipy.special import ndtr, owens_t

from .curve import TheoryCurve
from .field import PrunedField, Strategy, gauss_hinge2, phi

__all__ = ["ReplicaTheory", "solve_all"]


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
    ph, pk = phi(h), phi(k)
    nc1, nc2 = ndtr(c1), ndtr(c2)
    M1 = -ph * nc1 - rho * pk * nc2
    M2 = P - h * ph * nc1 - rho * pk * (rho * k * nc2 - q * phi(c2))
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
