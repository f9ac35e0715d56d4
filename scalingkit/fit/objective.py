r"""The fitting objective: a robust or squared loss of log or linear residuals, batched.

For start ``s`` with per-point weights :math:`w_{si}` (1 without weights),

.. math::

    F_s(\theta) = \sum_i w_{si}\, \rho\big(r_i(\theta)\big)
    \quad(\texttt{reduction="sum"}),\qquad
    \text{or}\quad \frac{\sum_i w_{si}\,\rho(r_i)}{\sum_i w_{si}}\quad(\texttt{"mean"}),

with residuals ``residual="log"``: :math:`r_i = \log y_i - \log \hat L_i(\theta)` (Hoffmann
et al. 2022, arXiv 2203.15556, eq. 3; Besiroglu et al. 2024, arXiv 2404.10102, eq. 2) or
``residual="linear"``: :math:`r_i = y_i - \hat L_i(\theta)` (Shukor et al. 2025, arXiv
2507.09404, eq. 2.6), and per-point loss ``loss="huber"``: :math:`\rho = h_\delta` (Huber 1964)
or ``loss="squared"``: :math:`\rho(r) = \tfrac12 r^2`. The defaults (log, Huber δ = 1e-3, sum)
are Besiroglu et al.'s objective. Bootstrap resamples are integer multiplicity weights ``w`` of
shape ``(B, n)``; the data are never copied.

The gradient uses the law's pullback :math:`v \mapsto \sum_i v_i\, \partial \log\hat L_i /
\partial\theta`: :math:`\nabla F = -\sum_i w_i \rho'(r_i)\, \partial\log\hat L_i/\partial\theta`
for log residuals and, by the chain rule :math:`\partial \hat L/\partial\theta = \hat L\,
\partial \log\hat L/\partial\theta`, :math:`-\sum_i w_i \rho'(r_i) \hat L_i\, \partial\log\hat
L_i/\partial\theta` for linear ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..laws import ScalingLaw

__all__ = [
    "LOSSES",
    "REDUCTIONS",
    "RESIDUALS",
    "BatchedObjective",
    "ObjectiveSpec",
    "check_spec",
    "default_threads",
    "huber",
    "huber_grad",
    "objective",
    "squared",
]

RESIDUALS = ("log", "linear")
LOSSES = ("huber", "squared")
REDUCTIONS = ("sum", "mean")

_CHUNK_ELEMS = 1 << 23  # max S*n*P doubles in one Jacobian block (64 MiB)
# Rows per block so that a block holds ~32k points: its temporaries (256-512 KiB) stay in L2.
# Larger blocks are ~10 % faster once warm, but the first solve in a process pays page faults
# (glibc serves such sizes by mmap until its threshold adapts): 64k points doubled the cold
# grid time; whole-batch temporaries are ~3x slower.
_BLOCK_ELEMS = 1 << 15


def default_threads() -> int:
    """Worker processes of a large batched fit: ``$SCALINGKIT_THREADS`` or min(2, cpu count).

    (:func:`~scalingkit.fit.optimizer.minimize_multistart` splits the starts between this many
    forked workers; the results do not depend on the number.)"""
    env = os.environ.get("SCALINGKIT_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError as exc:
            raise ValueError(f"SCALINGKIT_THREADS: expected an integer, got {env!r}") from exc
    return max(1, min(2, os.cpu_count() or 1))


# ---------------------------------------------------------------------------------------------
# Per-point losses


def huber(r: Any, huber_delta: float = 1e-3) -> np.ndarray:
    r"""Huber loss, elementwise.

    .. math:: h_\delta(r) = \tfrac12 r^2 \text{ if } |r| \le \delta,\;
              \delta(|r| - \tfrac12\delta) \text{ otherwise}

    (Huber 1964; used on log residuals by Hoffmann et al. 2022, arXiv 2203.15556, eq. 3.)
    """
    r = np.asarray(r, dtype=float)
    a = np.abs(r)
    return np.where(a <= huber_delta, 0.5 * r * r, huber_delta * (a - 0.5 * huber_delta))


def huber_grad(r: Any, huber_delta: float = 1e-3) -> np.ndarray:
    """Derivative of :func:`huber`: ``clip(r, -huber_delta, huber_delta)``."""
    return np.clip(np.asarray(r, dtype=float), -huber_delta, huber_delta)


def squared(r: Any) -> np.ndarray:
    r"""Squared loss :math:`\tfrac12 r^2`, elementwise (its derivative is ``r``)."""
    r = np.asarray(r, dtype=float)
    return 0.5 * r * r


@dataclass(frozen=True)
class ObjectiveSpec:
    r"""Which objective a fit minimises: :math:`F` of the module docstring.

    Parameters
    ----------
    residual : {"log", "linear"}
        ``log y − log L̂`` (Hoffmann et al. 2022, eq. 3) or ``y − L̂`` (Shukor et al. 2025,
        eq. 2.6).
    loss : {"huber", "squared"}
        Huber :math:`h_\delta` (Huber 1964) or :math:`\tfrac12 r^2`.
    huber_delta : float
        Huber threshold δ, on the residual's scale (unused by the squared loss).
    reduction : {"sum", "mean"}
        Sum of per-point losses (Besiroglu et al.'s correction) or their weighted mean.

    The defaults are Besiroglu et al.'s objective (2024, arXiv 2404.10102, eq. 2). A bad option
    raises a one-line ``ValueError`` naming it.
    """

    residual: str = "log"
    loss: str = "huber"
    huber_delta: float = 1e-3
    reduction: str = "sum"

    def __post_init__(self) -> None:
        if self.residual not in RESIDUALS:
            raise ValueError(f"residual: expected 'log' or 'linear', got {self.residual!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss: expected 'huber' or 'squared', got {self.loss!r}")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction: expected 'sum' or 'mean', got {self.reduction!r}")
        try:
            delta = float(self.huber_delta)
        except (TypeError, ValueError):
            delta = float("nan")
        if self.loss == "huber" and not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"huber_delta: must be a positive number, got {self.huber_delta!r}")
        object.__setattr__(self, "huber_delta", delta)

    def rho(self, r: np.ndarray) -> np.ndarray:
        """The per-point loss of the residuals ``r``."""
        return huber(r, self.huber_delta) if self.loss == "huber" else squared(r)

    def formula(self, *, weighted: bool = False, ascii: bool = False) -> str:
        """The objective in one line, e.g. ``"sum_i Huber_δ(log y_i − log L̂_i), δ = 0.001"``.

        ``ascii=True`` spells it without non-ASCII characters (``Huber_delta``, ``Lhat``), for
        netCDF3 attributes.
        """
        r = "log y_i − log L̂_i" if self.residual == "log" else "y_i − L̂_i"
        term = f"Huber_δ({r})" if self.loss == "huber" else f"½({r})²"
        if self.reduction == "sum":
            text = f"sum_i {'w_i ' if weighted else ''}{term}"
        else:
            text = f"sum_i w_i {term} / sum_i w_i" if weighted else f"mean_i {term}"
        text += f", δ = {self.huber_delta:g}" if self.loss == "huber" else ""
        if ascii:
            for a, b in (("δ", "delta"), ("−", "-"), ("L̂", "Lhat"), ("½", "0.5 "), ("²", "^2")):
                text = text.replace(a, b)
        return text

    def words(self) -> str:
        """The objective in plain words, e.g. ``"the sum over runs of the Huber loss (δ = 0.001)
        of the log residual log L − log L̂"``."""
        kind = (
            f"the Huber loss (δ = {self.huber_delta:g})"
            if self.loss == "huber"
            else "half the square"
        )
        res = "log residual log L − log L̂" if self.residual == "log" else "residual L − L̂ (linear)"
        return f"the {self.reduction} over runs of {kind} of the {res}"

    def short(self) -> str:
        """A compact label, e.g. ``"sum of Huber δ=0.001"`` (``", linear residuals"`` added
        for linear ones)."""
        kind = f"Huber δ={self.huber_delta:g}" if self.loss == "huber" else "squared loss"
        res = "" if self.residual == "log" else ", linear residuals"
        return f"{self.reduction} of {kind}{res}"

    def to_dict(self) -> dict[str, Any]:
        """``huber_delta``, ``reduction``, ``residual``, ``loss`` (the keys of ``fit.json``)."""
        return {
            "huber_delta": self.huber_delta,
            "reduction": self.reduction,
            "residual": self.residual,
            "loss": self.loss,
        }


def check_spec(spec: ObjectiveSpec | None) -> ObjectiveSpec:
    """``spec``, or the default :class:`ObjectiveSpec` for None; a ``TypeError`` otherwise."""
    if spec is None:
        return ObjectiveSpec()
    if not isinstance(spec, ObjectiveSpec):
        raise TypeError(f"objective: expected an ObjectiveSpec, got {type(spec).__name__}")
    return spec


# ---------------------------------------------------------------------------------------------
# The batched objective


class BatchedObjective:
    """The objective of one law on one data set, evaluated for many parameter vectors at once.

    Parameters
    ----------
    law : ScalingLaw
    X : mapping
        Inputs of the law (name -> array of length n).
    y : array_like (n,)
        Observed losses (> 0 for ``residual="log"``; finite for ``"linear"``).
    spec : ObjectiveSpec, optional
        Residual, loss, Huber threshold and reduction (default: :class:`ObjectiveSpec()`).
    weights : array_like (n,) or (n_starts, n), optional
        Per-point multiplicities, shared or one row per start.
    n_starts : int
        Number of starts (rows of a 2-D ``weights``).

    Attributes
    ----------
    n_eval : int
        Parameter vectors evaluated so far.
    """

    def __init__(
        self,
        law: ScalingLaw,
        X: Mapping[str, Any],
        y: Any,
        spec: ObjectiveSpec | None = None,
        *,
        weights: Any = None,
        n_starts: int = 1,
    ) -> None:
        if not isinstance(law, ScalingLaw):
            raise TypeError(f"law: expected a ScalingLaw, got {type(law).__name__}")
        self.spec = spec = check_spec(spec)
        self.law = law
        self.Z = law.prepare(X)
        n = law.n_obs(self.Z)
        yv = np.asarray(y, dtype=float)
        if yv.ndim != 1 or yv.shape[0] != n:
            raise ValueError(f"y: expected shape ({n},) to match X, got {yv.shape}")
        if spec.residual == "log":
            if not np.all(np.isfinite(yv)) or np.any(yv <= 0):
                raise ValueError("y: losses must be finite and > 0 (the fit is on log y)")
            self.logy = np.log(yv)
        else:
            if not np.all(np.isfinite(yv)):
                raise ValueError("y: losses must be finite")
            self.logy = None
        self.y = yv
        self.n = n
        self.P = law.n_params
        self.per_start = False
        if weights is None:
            self.w = None
        else:
            w = np.asarray(weights, dtype=float)
            if w.ndim == 1:
                if w.shape[0] != n:
                    raise ValueError(f"weights: expected shape ({n},) or (S, {n}), got {w.shape}")
            elif w.ndim == 2:
                if w.shape != (n_starts, n):
                    raise ValueError(f"weights: expected shape ({n_starts}, {n}), got {w.shape}")
                self.per_start = True
            else:
                raise ValueError(f"weights: expected 1-D or 2-D, got shape {w.shape}")
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError("weights: must be finite and >= 0")
            self.w = w
        if spec.reduction == "mean":
            if self.w is None:
                self.norm = np.full(n_starts, float(n))
            elif self.per_start:
                self.norm = self.w.sum(axis=1)
            else:
                self.norm = np.full(n_starts, self.w.sum())
            if np.any(self.norm <= 0):
                raise ValueError("weights: every start needs a positive total weight")
        else:
            self.norm = None
        self.n_eval = 0

    @property
    def formula(self) -> str:
        """:meth:`ObjectiveSpec.formula` of this objective."""
        return self.spec.formula(weighted=self.w is not None)

    def _weights(self, idx: np.ndarray) -> np.ndarray | None:
        """Weight rows of starts ``idx``: (k, n), shared (n,), or None."""
        if self.w is None:
            return None
        return self.w[idx] if self.per_start else self.w

    def _norm(self, idx: np.ndarray) -> np.ndarray | None:
        return None if self.norm is None else self.norm[idx]

    def _residual(self, f: np.ndarray) -> np.ndarray:
        if self.spec.residual == "log":
            return np.subtract(self.logy, f, out=f)
        return self.y[None, :] - np.exp(f)

    def value(self, theta: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Objective for rows ``theta`` (k, P) of starts ``idx`` (k,)."""
        f = self.law._log_predict(theta, self.Z)
        r = self._residual(f)
        h = self.spec.rho(r)
        w = self._weights(idx)
        v = h.sum(axis=1) if w is None else np.einsum("sn,sn->s", h, np.broadcast_to(w, h.shape))
        if self.norm is not None:
            v = v / self.norm[idx]
        self.n_eval += theta.shape[0]
        return v

    def value_grad(self, theta: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective (k,) and gradient (k, P) for rows ``theta`` of starts ``idx``.

        Rows are processed in blocks of about 32k points (so that the temporaries stay in
        cache, which is ~3x faster than whole-batch arrays). Each row's numbers depend only on
        that row (not on the blocking or on the other rows), so results are identical however
        the starts are split between calls or worker processes.
        """
        return self.value_grad_rows(theta, self._weights(idx), self._norm(idx))

    def value_grad_rows(
        self, theta: np.ndarray, w: np.ndarray | None, norm: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`value_grad` with the rows' weights ``w`` ((k, n), (n,) or None) and
        normalisers ``norm`` ((k,) or None) given directly (the optimizer keeps them
        compacted along with its running starts, so no gather per call)."""
        k = theta.shape[0]
        self.n_eval += k
        step = max(1, min(_BLOCK_ELEMS // max(1, self.n), _CHUNK_ELEMS // max(1, self.n * self.P)))
        if k <= step:
            return self._value_grad_block(theta, w, norm)
        per_row = w is not None and w.ndim == 2
        v = np.empty(k)
        g = np.empty((k, self.P))
        for i in range(0, k, step):
            j = i + step
            v[i:j], g[i:j] = self._value_grad_block(
                theta[i:j],
                w[i:j] if per_row else w,
                None if norm is None else norm[i:j],
            )
        return v, g

    def _value_grad_block(
        self, theta: np.ndarray, w: np.ndarray | None, norm: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        f, pullback = self.law._log_predict_pullback(theta, self.Z)
        if self.spec.residual == "log":
            r = np.subtract(self.logy, f, out=f)
            scale = None
        else:
            scale = np.exp(f)  # dL̂/dθ = L̂ d log L̂/dθ
            r = np.subtract(self.y, scale)
        if self.spec.loss == "huber":
            # h = psi (r - psi/2)  (= r^2/2 inside, δ(|r| - δ/2) outside), psi = clip(r)
            delta = self.spec.huber_delta
            psi = np.clip(r, -delta, delta)
            half = np.multiply(psi, -0.5)
            half += r
        else:
            psi = r
            half = np.multiply(r, 0.5)
        if w is not None:
            psi *= w
        v = np.einsum("sn,sn->s", psi, half)
        if scale is not None:
            psi *= scale
        g = pullback(psi)
        g *= -1.0
        if norm is not None:
            v /= norm
            g /= norm[:, None]
        return v, g


def objective(
    law: ScalingLaw,
    theta: Any,
    X: Mapping[str, Any],
    y: Any,
    spec: ObjectiveSpec | None = None,
    *,
    weights: Any = None,
) -> np.ndarray | float:
    r"""The objective :math:`F(\theta)` of the module docstring, for theta (P,) or (S, P).

    Parameters
    ----------
    law : ScalingLaw
    theta : array_like (P,) or (S, P)
        Parameters in the law's fitted parametrisation.
    X, y
        Inputs and observed losses.
    spec, weights
        See :class:`BatchedObjective`.

    Returns
    -------
    float or ndarray (S,)
    """
    th = np.asarray(theta, dtype=float)
    th2 = th[None, :] if th.ndim == 1 else th
    w = None if weights is None else np.asarray(weights, dtype=float)
    obj = BatchedObjective(law, X, y, spec, weights=w, n_starts=th2.shape[0])
    v = obj.value(th2, np.arange(th2.shape[0]))
    return float(v[0]) if th.ndim == 1 else v
