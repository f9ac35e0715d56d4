"""Kaplan-form scaling law and the shifted power law between two losses.

Both appear in Brandfonbrener, Anand, Vyas, Malach & Kakade (2024), "Loss-to-Loss Prediction:
Scaling Laws for All Datasets", arXiv:2411.12925:

* the per-corpus scaling law (their Eq. 1, the Kaplan et al. 2020 form),
  ``L(N, D) = E + ((A / N)^(α/β) + B / D)^β``, fitted in the authors' parametrisation
  ``θ = (a, b, e, α, β)`` with ``A = e^a``, ``B = e^b``, ``E = e^e``;
* the loss-to-loss relation (their Eq. 3-5), a shifted power law
  ``y = K (x − E_x)^κ + E_y`` between two losses with irreducible terms ``E_x``, ``E_y``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._base import LogCoefficientLawND, ScalingLaw, as_theta, check_inputs
from .allocation import Allocation, budgets_array, has_interior_optimum, masked, natural_arrays

__all__ = ["KaplanLaw", "ShiftedPowerLaw", "TranslatedKaplanLaw"]


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Numerically stable logistic function."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


class KaplanLaw(LogCoefficientLawND):
    r"""Kaplan-form law ``L(N, D) = E + ((A/N)^(α/β) + B/D)^β`` in log-space parameters.

    Brandfonbrener et al. (2024, arXiv:2411.12925, Eq. 1), after Kaplan et al. (2020,
    arXiv:2001.08361, Eq. 1.5). Fitted parameters ``θ = (a, b, e, α, β)`` with ``A = e^a``,
    ``B = e^b``, ``E = e^e`` (the authors' parametrisation and initial grid). Evaluated in
    log-sum-exp form for stability:

    .. math::

        u = \tfrac{α}{β}(a - \log N),\quad v = b - \log D,\quad
        s = \operatorname{logaddexp}(u, v),\quad
        \log \hat L = \operatorname{logaddexp}(e, β s).

    The Jacobian is analytic: with ``σ_E = sigmoid(e − βs)``, ``w = 1 − σ_E`` and
    ``p = sigmoid(u − v)``: ``∂/∂a = wαp``, ``∂/∂b = wβ(1 − p)``, ``∂/∂e = σ_E``,
    ``∂/∂α = wp(a − log N)``, ``∂/∂β = w(s − pu)``.

    Inputs ``params`` (N) and ``tokens`` (D), both > 0.

    Examples
    --------
    >>> law = KaplanLaw()
    >>> theta = law.from_natural(A=6.8e7, B=9.3e8, E=2.17, alpha=0.41, beta=0.45)
    >>> round(float(law.predict(theta, {"params": [3.3e9], "tokens": [5.0e10]})[0]), 3)
    2.424
    """

    name = "kaplan"

    @staticmethod
    def _terms(theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        a, b, e, alpha, beta = (theta[:, i : i + 1] for i in range(5))
        dn = a - Z["log_n"][None, :]  # (S, n)
        u = (alpha / beta) * dn
        v = b - Z["log_d"][None, :]
        s = np.logaddexp(u, v)
        t = beta * s
        return e, alpha, beta, dn, u, v, s, t

    def _log_predict(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]) -> np.ndarray:
        e, *_, t = self._terms(theta, Z)
        return np.logaddexp(e, t)

    def _log_predict_pullback(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]):
        """``log L̂`` and ``v -> sum_i v_i J_i`` without the Jacobian.

        With ``σ_E = e^{e - log L̂}``, ``w = 1 - σ_E = e^{βs - log L̂}``, ``p = e^{u - s}``
        (the sigmoids of the class docstring, as exponentials of non-positive numbers),
        ``Σ v J = (α Σ vwp, β(Σ vw - Σ vwp), Σ vσ_E, a Σ vwp - Σ vwp log N,
        Σ vws - (α/β)(a Σ vwp - Σ vwp log N))``.
        """
        e, alpha, beta, _dn, u, _v, s, t = self._terms(theta, Z)
        f = np.logaddexp(e, t)
        w = np.subtract(t, f)
        np.exp(w, out=w)
        np.subtract(u, s, out=u)
        p = np.exp(u, out=u)
        log_n = Z["log_n"]

        def pullback(v: np.ndarray) -> np.ndarray:
            vw = v * w
            vwp = vw * p
            swp = vwp.sum(axis=1)
            sw = vw.sum(axis=1)
            sdn = theta[:, 0] * swp - np.einsum("sn,n->s", vwp, log_n)
            g = np.empty((v.shape[0], 5))
            g[:, 0] = alpha[:, 0] * swp
            g[:, 1] = beta[:, 0] * (sw - swp)
            g[:, 2] = np.einsum("sn,sn->s", v, 1.0 - w)
            g[:, 3] = sdn
            g[:, 4] = np.einsum("sn,sn->s", vw, s) - (alpha / beta)[:, 0] * sdn
            return g

        return f, pullback

    def _log_predict_grad(
        self, theta: np.ndarray, Z: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        e, alpha, beta, dn, u, v, s, t = self._terms(theta, Z)
        f = np.logaddexp(e, t)
        sig_e = _sigmoid(e - t)
        w = 1.0 - sig_e
        p = _sigmoid(u - v)
        S, n = f.shape
        J = np.empty((S, n, 5))
        J[:, :, 0] = w * alpha * p
        J[:, :, 1] = w * beta * (1.0 - p)
        J[:, :, 2] = sig_e
        J[:, :, 3] = w * p * dn
        J[:, :, 4] = w * (s - p * u)
        return f, J

    def exponents(self, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        r"""Exponents of :math:`N_{opt} \propto C^a`, :math:`D_{opt} \propto C^b`.

        With :math:`r = α/β`: :math:`a = 1/(1 + r)`, :math:`b = r/(1 + r)` (from the closed
        form of :meth:`compute_optimal`); NaN without an interior optimum.
        """
        A, B, _, al, be = natural_arrays(params, self.natural_names, self.name)
        ok = has_interior_optimum(A=A, B=B, alpha=al, beta=be)
        with np.errstate(all="ignore"):
            r = al / be
            a = 1.0 / (1.0 + r)
            b = r / (1.0 + r)
        return np.where(ok, a, np.nan), np.where(ok, b, np.nan)

    def compute_optimal(self, params: Mapping[str, Any], compute: Any) -> Allocation:
        r"""Compute-optimal allocation under :math:`C = 6ND`, in closed form.

        For :math:`L = E + ((A/N)^{r} + B/D)^\beta` with :math:`r = \alpha/\beta` (Kaplan et
        al. 2020, arXiv 2001.08361, Eq. 1.5; Brandfonbrener et al. 2024, arXiv 2411.12925,
        Eq. 1): with :math:`D = C/(6N)` the reducible term is :math:`f(N)^\beta`,
        :math:`f(N) = A^r N^{-r} + 6BN/C`, increasing in :math:`f` for :math:`\beta > 0`, and
        :math:`f'(N) = 0` gives

        .. math:: N_{opt} = \Big(\frac{r A^r C}{6B}\Big)^{1/(1+r)},\qquad
                  D_{opt} = \frac{C}{6 N_{opt}},

        and :math:`L_{opt} = E + ((A/N_{opt})^r + B/D_{opt})^\beta`. Arguments, result and NaN
        rules (draws with α ≤ 0, β ≤ 0, A ≤ 0, B ≤ 0 or non-finite) are those of
        :meth:`scalingkit.laws.ChinchillaLaw.compute_optimal`.
        """
        A, B, E, al, be = natural_arrays(params, self.natural_names, self.name)
        C = budgets_array(compute, self.name)
        ok = has_interior_optimum(A=A, B=B, alpha=al, beta=be)
        with np.errstate(all="ignore"):
            r = al / be
            log_n = (np.log(r) + r * np.log(A) + np.log(C) - np.log(6.0 * B)) / (1.0 + r)
            n = np.exp(log_n)
            d = C / (6.0 * n)
            loss = E + ((A / n) ** r + B / d) ** be
        return masked(ok, C, n, d, loss)


class TranslatedKaplanLaw(ScalingLaw):
    r"""A Kaplan law of one corpus carried to another by a shifted power law.

    Brandfonbrener et al. (2024, arXiv:2411.12925, "translating a scaling law"): with the source
    law ``L_0 = E_0 + ((A/N)^(α/β) + B/D)^β`` held fixed, the train-to-train relation
    ``L_1 = K (L_0 − E_0)^κ + E_1`` gives

    .. math:: L_1(N, D) = E_1 + K \bigl((A/N)^{α/β} + B/D\bigr)^{βκ},

    again of Kaplan form with the same ``A``, ``B``, ``α/β`` (so the same compute-optimal
    allocation). Fitted parameters ``θ = (e_1, k, κ)`` with ``E_1 = e^{e_1}``, ``K = e^k``;
    with ``t_0 = β \operatorname{logaddexp}(u, v)`` the source's log reducible loss,
    ``log L̂_1 = logaddexp(e_1, k + κ t_0)``.

    Parameters
    ----------
    source_theta : array_like, shape (5,)
        The source law's ``(log A, log B, log E, α, β)`` (:class:`KaplanLaw`).
    """

    name = "translated_kaplan"
    param_names = ("e1", "k", "kappa")
    natural_names = ("E1", "K", "kappa")
    input_names = ("params", "tokens")
    positive_inputs = ("params", "tokens")

    def __init__(self, source_theta: ArrayLike) -> None:
        th, _ = as_theta(source_theta, 5, name="source_theta")
        if th.shape[0] != 1:
            raise ValueError("TranslatedKaplanLaw: source_theta must be one parameter vector")
        self.source_theta = th[0].copy()

    def prepare(self, X: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Validate inputs and precompute the source law's log reducible loss ``t_0``."""
        d = check_inputs(X, self.input_names, positive=self.positive_inputs, law=self.name)
        a, b, _, alpha, beta = self.source_theta
        u = (alpha / beta) * (a - np.log(d["params"]))
        v = b - np.log(d["tokens"])
        return {"t0": beta * np.logaddexp(u, v)}

    def _log_predict(self, theta: np.ndarray, Z: Mapping[str, np.ndarray]) -> np.ndarray:
        r = theta[:, 1:2] + theta[:, 2:3] * Z["t0"][None, :]
        return np.logaddexp(theta[:, 0:1], r)

    def _log_predict_grad(
        self, theta: np.ndarray, Z: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        t0 = Z["t0"][None, :]
        r = theta[:, 1:2] + theta[:, 2:3] * t0
        f = np.logaddexp(theta[:, 0:1], r)
        sig = _sigmoid(theta[:, 0:1] - r)
        S, n = f.shape
        J = np.empty((S, n, 3))
        J[:, :, 0] = sig
        J[:, :, 1] = 1.0 - sig
        J[:, :, 2] = (1.0 - sig) * t0
        return f, J

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """``{"E1": e^{e_1}, "K": e^k, "kappa": κ}``."""
        th, was_1d = as_theta(theta, 3)
        out = {"E1": np.exp(th[:, 0]), "K": np.exp(th[:, 1]), "kappa": th[:, 2].copy()}
        return {k: (v[0] if was_1d else v) for k, v in out.items()}

    def kaplan_params(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        r"""The translated law as a Kaplan law in natural parameters.

        :math:`E_1 + K X^{βκ}` with :math:`X = (A/N)^{r} + B/D` equals
        :math:`E' + ((A'/N)^{r} + B'/D)^{β'}` for :math:`β' = βκ`, :math:`α' = ακ` (the same
        :math:`r = α/β`), :math:`B' = K^{1/β'} B`, :math:`A' = K^{1/(rβ')} A`, :math:`E' = E_1`.

        Parameters
        ----------
        params : mapping
            ``E1, K, kappa`` (as from :meth:`natural`); floats or arrays.

        Returns
        -------
        dict
            ``A, B, E, alpha, beta`` of :class:`KaplanLaw`.
        """
        E1, K, kappa = natural_arrays(params, self.natural_names, self.name)
        a, b, _, alpha, beta = self.source_theta
        with np.errstate(all="ignore"):
            beta1 = beta * kappa
            r = alpha / beta
            return {
                "A": K ** (1.0 / (r * beta1)) * np.exp(a),
                "B": K ** (1.0 / beta1) * np.exp(b),
                "E": E1,
                "alpha": alpha * kappa,
                "beta": beta1,
            }

    def exponents(self, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Exponents ``(a, b)`` of ``N_opt ∝ C^a``, ``D_opt ∝ C^b`` (those of the source law
        where ``K, κ > 0``; see :meth:`KaplanLaw.exponents`)."""
        return KaplanLaw().exponents(self._kaplan_checked(params))

    def compute_optimal(self, params: Mapping[str, Any], compute: Any) -> Allocation:
        r"""Compute-optimal allocation under :math:`C = 6ND` (closed form).

        The translated law is a Kaplan law with the source's :math:`A, B, α/β`
        (:meth:`kaplan_params`), so its :math:`N_{opt}(C)` is the source law's
        (:meth:`KaplanLaw.compute_optimal`; Brandfonbrener et al. 2024, arXiv 2411.12925) and
        :math:`L_{opt} = E_1 + K ((A/N_{opt})^{α/β} + B/D_{opt})^{βκ}`. NaN where ``K ≤ 0``,
        ``κ ≤ 0`` (no interior optimum) or the source law has none.
        """
        return KaplanLaw().compute_optimal(
            self._kaplan_checked(params), budgets_array(compute, self.name)
        )

    def _kaplan_checked(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        kp = self.kaplan_params(params)
        _, K, kappa = natural_arrays(params, self.natural_names, self.name)
        ok = (K > 0) & (kappa > 0) & np.isfinite(K) & np.isfinite(kappa)
        kp["beta"] = np.where(ok, kp["beta"], np.nan)  # NaN beta: no interior optimum
        return kp


class ShiftedPowerLaw:
    r"""Shifted power law between two losses, ``y = K (x − E_x)^κ + E_y``.

    Brandfonbrener et al. (2024, arXiv:2411.12925, Eq. 3-5). The irreducible terms ``E_x`` and
    ``E_y`` come from per-loss scaling-law fits; ``κ`` and ``K`` are then the slope and
    exp(intercept) of an ordinary least-squares line

    .. math:: \log(y - E_y) = κ \log(x - E_x) + \log K,

    fitted to paired observations. Standard errors are the usual OLS (homoscedastic) ones.

    Parameters
    ----------
    e_x, e_y : float
        Irreducible losses of the predictor loss ``x`` and of the predicted loss ``y``.

    Attributes (after :meth:`fit`)
    ------------------------------
    kappa_, K_ : float
        Fitted exponent and scale.
    kappa_se_, log_K_se_ : float
        OLS standard errors of ``κ`` and of ``log K``.
    r_squared_ : float
        R² of the log-log regression.
    n_ : int
        Number of pairs used.
    """

    def __init__(self, e_x: float, e_y: float) -> None:
        self.e_x = float(e_x)
        self.e_y = float(e_y)

    def _shifted_log(
        self, v: ArrayLike, e: float, name: str, *, strict: bool = True
    ) -> NDArray[np.float64]:
        arr = np.asarray(v, dtype=float)
        if arr.ndim != 1:
            raise ValueError(f"ShiftedPowerLaw: {name} must be 1-D, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"ShiftedPowerLaw: {name} has non-finite values")
        if strict and np.any(arr <= e):
            k = int(np.sum(arr <= e))
            raise ValueError(
                f"ShiftedPowerLaw: {k} value(s) of {name} are <= its irreducible loss {e:.6g}; "
                "log(loss − E) is undefined"
            )
        return np.log(arr - e)

    def fit(self, x: ArrayLike, y: ArrayLike) -> ShiftedPowerLaw:
        """Least squares of ``log(y − E_y)`` on ``log(x − E_x)``; returns ``self``."""
        lx = self._shifted_log(x, self.e_x, "x")
        ly = self._shifted_log(y, self.e_y, "y")
        if lx.shape != ly.shape:
            raise ValueError(f"ShiftedPowerLaw: x and y lengths differ ({lx.size} vs {ly.size})")
        from ..fit.stats import ols_line  # the one OLS implementation (imported late: fit -> laws)

        n = lx.size
        if n < 3:
            raise ValueError(f"ShiftedPowerLaw: need at least 3 pairs, got {n}")
        if np.all(lx == lx[0]):
            raise ValueError("ShiftedPowerLaw: x has no spread; the slope κ is undefined")
        line = ols_line(lx, ly)
        self.kappa_ = float(line.slope)
        self.log_K_ = float(line.intercept)
        self.K_ = float(np.exp(line.intercept))
        self.kappa_se_ = float(line.slope_se)
        self.log_K_se_ = float(line.intercept_se)
        self.r_squared_ = float(line.r_squared)
        self.n_ = int(n)
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        """``K (x − E_x)^κ + E_y``; NaN where ``x <= E_x``."""
        if not hasattr(self, "kappa_"):
            raise RuntimeError("ShiftedPowerLaw: call fit() before predict()")
        arr = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore"):
            base = np.where(arr > self.e_x, arr - self.e_x, np.nan)
            return self.K_ * base**self.kappa_ + self.e_y

    def to_dict(self) -> dict[str, float | int]:
        """JSON-safe summary of the fit."""
        return {
            "e_x": self.e_x,
            "e_y": self.e_y,
            "kappa": self.kappa_,
            "K": self.K_,
            "kappa_se": self.kappa_se_,
            "log_K_se": self.log_K_se_,
            "r_squared": self.r_squared_,
            "n": self.n_,
        }

    def __repr__(self) -> str:
        if hasattr(self, "kappa_"):
            return (
                f"ShiftedPowerLaw(E_x={self.e_x:.4f}, E_y={self.e_y:.4f}, "
                f"κ={self.kappa_:.4f}, K={self.K_:.4f}, n={self.n_})"
            )
        return f"ShiftedPowerLaw(E_x={self.e_x:.4f}, E_y={self.e_y:.4f}, unfitted)"
