"""The :class:`ScalingLaw` base class shared by every law family.

A law is a pure object: it maps a parameter vector ``theta`` (in the *fitted* parametrisation,
e.g. log-coefficients) and a mapping of inputs ``X`` to a predicted log-loss, and provides the
Jacobian of that prediction with respect to ``theta``. It knows nothing of files, fitting or
plotting; :mod:`scalingkit.fit` does the optimisation.

Writing a new law
-----------------
Subclass :class:`ScalingLaw`, set ``name``, ``param_names`` and ``input_names``, and implement
the two kernels on *prepared* inputs and 2-D ``theta`` of shape ``(S, P)``::

    def _log_predict(self, theta, Z):        # -> (S, n)
    def _log_predict_grad(self, theta, Z):   # -> (f (S, n), J (S, n, P))

Optionally override ``_log_predict_pullback(theta, Z) -> (f, pullback)`` where
``pullback(v)`` returns ``sum_i v[s, i] * J[s, i, :]`` (S, P) without forming ``J``; the fitter
only needs this contraction, so it is the place to make a law fast.

``Z`` is whatever :meth:`ScalingLaw.prepare` returns (by default the validated dict of float
arrays); override :meth:`prepare` to precompute features once (e.g. ``log N``), since the fitter
calls it once and the kernels thousands of times. Override :meth:`natural` to map ``theta`` to
the paper's parameters (e.g. ``A = exp(a)``). The public methods below accept ``theta`` of shape
``(P,)`` or ``(S, P)`` and raw ``X``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "LogCoefficientLawND",
    "ScalingLaw",
    "as_theta",
    "check_inputs",
    "domain_names",
    "lse_softmax",
]


def as_theta(theta: Any, n_params: int, name: str = "theta") -> tuple[np.ndarray, bool]:
    """Coerce ``theta`` to a float array of shape ``(S, P)``.

    Parameters
    ----------
    theta : array_like, shape (P,) or (S, P)
        Parameter vector(s).
    n_params : int
        Expected number of parameters ``P``.
    name : str
        Name used in error messages.

    Returns
    -------
    theta2d : ndarray, shape (S, P)
    was_1d : bool
        True when the input was a single vector (callers squeeze their output).
    """
    arr = np.asarray(theta, dtype=float)
    if arr.ndim == 1:
        arr2 = arr[None, :]
        was_1d = True
    elif arr.ndim == 2:
        arr2 = arr
        was_1d = False
    else:
        raise ValueError(f"{name}: expected shape (P,) or (S, P), got {arr.shape}")
    if arr2.shape[1] != n_params:
        raise ValueError(f"{name}: expected {n_params} parameters, got {arr2.shape[1]}")
    return arr2, was_1d


def check_inputs(
    X: Mapping[str, Any],
    names: tuple[str, ...],
    *,
    positive: tuple[str, ...] = (),
    matrix: tuple[str, ...] = (),
    law: str = "law",
) -> dict[str, np.ndarray]:
    """Validate and convert the inputs a law reads.

    Parameters
    ----------
    X : mapping
        Input name -> array. Extra keys are ignored.
    names : tuple of str
        Keys the law reads.
    positive : tuple of str
        Keys whose values must be strictly positive (e.g. because the law takes their log).
    matrix : tuple of str
        Keys that hold a 2-D ``(n, k)`` array (e.g. mixture weights); all others are 1-D.
    law : str
        Law name used in error messages.

    Returns
    -------
    dict of str -> ndarray
        Float arrays, all with the same number of rows ``n``.

    Raises
    ------
    ValueError
        One line naming the law and the offending input.
    """
    if not isinstance(X, Mapping):
        raise ValueError(
            f"{law}: X must be a mapping of input name -> array, got {type(X).__name__}"
        )
    out: dict[str, np.ndarray] = {}
    n: int | None = None
    for key in names:
        if key not in X:
            raise ValueError(f"{law}: missing input {key!r} (needs {list(names)})")
        arr = np.asarray(X[key], dtype=float)
        want = 2 if key in matrix else 1
        if arr.ndim != want:
            raise ValueError(f"{law}: input {key!r} must be {want}-D, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{law}: input {key!r} has non-finite values")
        if key in positive and np.any(arr <= 0):
            raise ValueError(f"{law}: input {key!r} must be > 0 (min {arr.min():g})")
        if n is None:
            n = arr.shape[0]
        elif arr.shape[0] != n:
            raise ValueError(f"{law}: input {key!r} has {arr.shape[0]} rows, expected {n}")
        out[key] = arr
    return out


def lse_softmax(z: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Log-sum-exp over ``axis`` and the matching softmax weights ``exp(z - lse)``."""
    m = np.max(z, axis=axis, keepdims=True)
    ez = np.exp(z - m)
    s = ez.sum(axis=axis, keepdims=True)
    return (np.log(s) + m).squeeze(axis), ez / s


def domain_names(k: int, domains: Sequence[str] | None) -> tuple[str, ...]:
    """``domains`` as a k-tuple of str (default ``d0 .. d{k-1}``); ValueError on a length mismatch."""
    if domains is None:
        return tuple(f"d{j}" for j in range(k))
    names = tuple(str(d) for d in domains)
    if len(names) != k:
        raise ValueError(f"domains: expected {k} names, got {len(names)}")
    return names


class ScalingLaw:
    """Base class: a scaling law ``log L̂ = f(theta; X)`` with an analytic Jacobian.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"chinchilla"``.
    param_names : tuple of str
        Names of the fitted parameters, in the order of ``theta``.
    input_names : tuple of str
        Keys of ``X`` the law reads.
    positive_inputs : tuple of str
        Inputs that must be > 0.
    matrix_inputs : tuple of str
        Inputs that are 2-D ``(n, k)`` arrays.
    """

    name: str = "law"
    param_names: tuple[str, ...] = ()
    input_names: tuple[str, ...] = ()
    positive_inputs: tuple[str, ...] = ()
    matrix_inputs: tuple[str, ...] = ()

    # ---- to implement in subclasses -------------------------------------------------------
    def _log_predict(self, theta: np.ndarray, Z: Any) -> np.ndarray:
        """log L̂ for 2-D ``theta`` (S, P) on prepared inputs; returns (S, n)."""
        return self._log_predict_grad(theta, Z)[0]

    def _log_predict_grad(self, theta: np.ndarray, Z: Any) -> tuple[np.ndarray, np.ndarray]:
        """log L̂ (S, n) and its Jacobian d log L̂ / d theta (S, n, P) on prepared inputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement _log_predict_grad")

    def _log_predict_pullback(self, theta: np.ndarray, Z: Any) -> tuple[np.ndarray, Any]:
        """log L̂ (S, n) and a function ``v (S, n) -> sum_i v_si J_si (S, P)``.

        This is what the fitter calls. The default builds the Jacobian with
        :meth:`_log_predict_grad`; override it when the contraction is cheaper than ``J``.
        """
        f, J = self._log_predict_grad(theta, Z)
        return f, lambda v: np.einsum("sn,snp->sp", v, J)

    def prepare(self, X: Mapping[str, Any]) -> Any:
        """Validate ``X`` and precompute whatever the kernels need (default: the float arrays)."""
        return check_inputs(
            X,
            self.input_names,
            positive=self.positive_inputs,
            matrix=self.matrix_inputs,
            law=self.name,
        )

    def n_obs(self, Z: Any) -> int:
        """Number of observations ``n`` in prepared inputs ``Z``."""
        if isinstance(Z, Mapping):
            return int(np.shape(next(iter(Z.values())))[0])
        raise NotImplementedError(f"{type(self).__name__} must implement n_obs for its prepare()")

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """The paper's parameters as a dict (default: ``theta`` itself, by name)."""
        th, was_1d = as_theta(theta, self.n_params)
        return {k: (th[0, i] if was_1d else th[:, i]) for i, k in enumerate(self.param_names)}

    # ---- public API ------------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        """Number of fitted parameters ``P``."""
        return len(self.param_names)

    def log_predict(self, theta: Any, X: Mapping[str, Any]) -> np.ndarray:
        """Predicted log-loss: theta (P,) -> (n,); theta (S, P) -> (S, n)."""
        th, was_1d = as_theta(theta, self.n_params)
        f = self._log_predict(th, self.prepare(X))
        return f[0] if was_1d else f

    def log_predict_grad(self, theta: Any, X: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Predicted log-loss and Jacobian: f (S, n), J (S, n, P); squeezed for 1-D theta."""
        th, was_1d = as_theta(theta, self.n_params)
        f, J = self._log_predict_grad(th, self.prepare(X))
        return (f[0], J[0]) if was_1d else (f, J)

    def predict(self, theta: Any, X: Mapping[str, Any]) -> np.ndarray:
        """Predicted loss ``exp(log_predict(theta, X))``."""
        return np.exp(self.log_predict(theta, X))

    def compute_optimal(self, params: Mapping[str, Any], compute: Any) -> Any:
        """Compute-optimal allocation under ``C = 6ND`` (laws with a closed form override this).

        See :mod:`scalingkit.laws.allocation`; the default raises ``NotImplementedError``.
        """
        raise NotImplementedError(
            f"{self.name}: no closed-form compute-optimal allocation (law {type(self).__name__})"
        )

    def exponents(self, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Exponents ``(a, b)`` of ``N_opt ∝ C^a``, ``D_opt ∝ C^b`` (see :meth:`compute_optimal`)."""
        raise NotImplementedError(
            f"{self.name}: no closed-form compute-optimal exponents (law {type(self).__name__})"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(params={self.param_names}, inputs={self.input_names})"


class LogCoefficientLawND(ScalingLaw):
    """Base of the laws in model size N and tokens D with log-space coefficients.

    Fitted parameters ``θ = (a, b, e, α, β)`` with ``A = e^a``, ``B = e^b``, ``E = e^e``, the
    parametrisation of Hoffmann et al. (2022, arXiv 2203.15556, App. D.2), Besiroglu et al.
    (2024, arXiv 2404.10102) and Brandfonbrener et al. (2024, arXiv 2411.12925). Inputs
    ``params`` (N) and ``tokens`` (D), both > 0, prepared once as their logarithms.
    Subclasses implement only the kernels.
    """

    param_names = ("a", "b", "e", "alpha", "beta")
    natural_names = ("A", "B", "E", "alpha", "beta")
    input_names = ("params", "tokens")
    positive_inputs = ("params", "tokens")

    def prepare(self, X: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Validate ``params``/``tokens`` and precompute their logarithms."""
        d = check_inputs(X, self.input_names, positive=self.positive_inputs, law=self.name)
        return {"log_n": np.log(d["params"]), "log_d": np.log(d["tokens"])}

    def natural(self, theta: Any) -> dict[str, np.ndarray]:
        """``{"A": e^a, "B": e^b, "E": e^e, "alpha": α, "beta": β}``."""
        th, was_1d = as_theta(theta, 5)
        out = {
            "A": np.exp(th[:, 0]),
            "B": np.exp(th[:, 1]),
            "E": np.exp(th[:, 2]),
            "alpha": th[:, 3].copy(),
            "beta": th[:, 4].copy(),
        }
        return {k: (v[0] if was_1d else v) for k, v in out.items()}

    @staticmethod
    def from_natural(A: float, B: float, E: float, alpha: float, beta: float) -> np.ndarray:
        """``θ = (log A, log B, log E, α, β)`` from the paper's parameters."""
        return np.array([np.log(A), np.log(B), np.log(E), alpha, beta], dtype=float)
