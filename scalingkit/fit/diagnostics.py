r"""Diagnostics of a fit: when "converged" does not mean "meaningful".

:func:`diagnose_fit` runs every check below on a :class:`~scalingkit.fit.FitResult` and returns
a list of :class:`Diagnostic` (``code``, ``severity``, a one-line ``message``, the parameters
concerned). :func:`~scalingkit.fit.fit_multistart` attaches it to every result
(``result.diagnostics``, ``to_dict()["diagnostics"]``). Two severities:

``error``
    The numbers are not a valid estimate of the law: the best start did not converge
    (``not_converged``); a term of the law collapsed (``collapsed``: a coefficient such as
    :math:`E \to 0`, or a term driven to nothing, contributes less than
    :data:`COLLAPSE_SHARE` of the predicted loss at every run, so the law fitted has fewer
    terms than it claims); a parameter sits on a bound, or within :data:`PRESSED_TOLERANCE`
    of the box width of one with the objective falling towards it (``at_bound``: a
    constrained optimum, its interval truncated); the runs lie on a single ray :math:`D \propto N^k` in
    :math:`(\log N, \log D)` (``single_ray``: orthogonal spread below :data:`RAY_SPREAD`; the
    data never trade N against D at fixed compute, so the exponents and the allocation are not
    identifiable); the Gauss-Newton matrix :math:`J^\top J` of the predictions at the optimum is
    near-singular (``singular_hessian``: smallest eigenvalue of its correlation form below
    :data:`HESSIAN_EIGENVALUE`; some combination of parameters is not pinned down by the data).
``warning``
    The estimate stands but deserves a look: a parameter within :data:`BOUND_TOLERANCE` of a
    bound (``near_bound``); parameters of the best start that did not move from their initial
    values (``start_not_moved``: a start on a flat region); bootstrap refits that disagree with
    the point fit (``bootstrap_disagrees``: the estimate outside its own bootstrap interval, or
    fewer than :data:`BOOTSTRAP_CONVERGED` of the refits converged).

The Gauss-Newton matrix is the curvature a least-squares fit of the same residuals sees
(:math:`J = \partial \log\hat L/\partial\theta` for log residuals, :math:`\hat L\,\partial
\log\hat L/\partial\theta` for linear ones), normalised to unit diagonal so the test does not
depend on the parameters' units. ``scalingkit fit`` exits 1 when a diagnostic is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .optimizer import check_bounds

if TYPE_CHECKING:
    from .result import FitResult

__all__ = [
    "BOOTSTRAP_CONVERGED",
    "BOUND_TOLERANCE",
    "COLLAPSE_SHARE",
    "ERROR",
    "HESSIAN_EIGENVALUE",
    "LOG_COEFFICIENTS",
    "PRESSED_TOLERANCE",
    "RAY_SPREAD",
    "WARNING",
    "Diagnostic",
    "diagnose_fit",
    "has_errors",
    "ray_spread",
]

ERROR, WARNING = "error", "warning"
#: A term contributing less than this share of the predicted loss at every run has collapsed.
COLLAPSE_SHARE = 1e-4
#: Distance to a bound, relative to the box width (or to max(1, |bound|) for a one-sided box),
#: within which a parameter is "near" it.
BOUND_TOLERANCE = 1e-2
#: A parameter within this share of the box width of a bound, where moving it onto the bound
#: does not raise the objective, is pressed against it (an ``at_bound`` error, like one on it).
PRESSED_TOLERANCE = 1e-2
#: Orthogonal standard deviation of (log N, log D) below which the design is a single ray.
RAY_SPREAD = 0.05
#: Smallest eigenvalue of the unit-diagonal Gauss-Newton matrix below which it is near-singular.
HESSIAN_EIGENVALUE = 1e-7
#: A coordinate of the best start "did not move" if it changed by less than this x (1 + |start|).
MOVE_TOLERANCE = 1e-4
#: Share of converged bootstrap refits below which the bootstrap is flagged.
BOOTSTRAP_CONVERGED = 0.9
#: Fitted parameters that are logarithms of a coefficient (the term vanishes as they go to −∞).
LOG_COEFFICIENTS = ("a", "b", "e", "e1", "k")


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a fit.

    Attributes
    ----------
    code : str
        E.g. ``"collapsed"``, ``"single_ray"`` (the module docstring lists them).
    severity : {"error", "warning"}
    message : str
        One line, in plain words, with the numbers.
    parameters : tuple of str
        The (natural) parameters concerned, if any.
    value : float, optional
        The measured quantity the test compared with its threshold.
    """

    code: str
    severity: str
    message: str
    parameters: tuple[str, ...] = ()
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"code", "severity", "message", "parameters", "value"}``."""
        v = None if self.value is None or not np.isfinite(self.value) else float(self.value)
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "parameters": list(self.parameters),
            "value": v,
        }

    def __str__(self) -> str:
        return f"{'ERROR' if self.severity == ERROR else 'warning'}: {self.message}"


def has_errors(diagnostics: Sequence[Diagnostic] | None) -> bool:
    """Whether any diagnostic is an error."""
    return any(d.severity == ERROR for d in diagnostics or ())


def _names(law: Any, theta: np.ndarray) -> list[str]:
    """Natural names by position of the fitted parameters (fitted names if they do not align)."""
    nat = list(law.natural(theta))
    return nat if len(nat) == law.n_params else list(law.param_names)


def _g(v: float) -> str:
    return f"{v:.3g}"


def _collapsed(law: Any, theta: np.ndarray, X: Mapping[str, Any]) -> list[Diagnostic]:
    base = law.predict(theta, X)
    names = _names(law, theta)
    out = []
    for i, p in enumerate(law.param_names):
        if not (p in LOG_COEFFICIENTS or p.startswith("c_")):
            continue
        th = theta.copy()
        th[i] -= 1000.0  # the coefficient times e^-1000: the term removed
        with np.errstate(all="ignore"):
            share = float(np.nanmax(np.abs(law.predict(th, X) - base) / base))
        if not share < COLLAPSE_SHARE:
            continue
        coef = float(np.exp(theta[i]))
        out.append(
            Diagnostic(
                "collapsed",
                ERROR,
                f"{names[i]} has collapsed ({names[i]} = {_g(coef)}): its term contributes at "
                f"most {share:.1e} of the predicted loss at any run, so the fitted law has "
                f"fewer terms than it claims and {names[i]}'s estimate and interval mean nothing",
                (names[i],),
                share,
            )
        )
    return out


def _pressed(res: FitResult, X: Mapping[str, Any], y: Any, i: int, b: float) -> bool:
    """Whether moving parameter ``i`` towards its bound ``b`` (half-way, or onto it) lowers the
    objective: the optimum is pressed against the bound and the optimizer stopped just short
    of it."""
    if y is None:
        return False
    from .objective import objective

    th = np.asarray(res.theta, dtype=float)
    half, on = th.copy(), th.copy()
    half[i] = 0.5 * (th[i] + b)
    on[i] = b
    with np.errstate(all="ignore"):
        f0, f1, f2 = objective(res.law, np.stack([th, half, on]), X, y, res.objective_spec)
    return bool(np.nanmin([f1, f2]) < f0)


def _bounds(res: FitResult, X: Mapping[str, Any], y: Any, bounds: Any) -> list[Diagnostic]:
    law, theta = res.law, np.asarray(res.theta, dtype=float)
    bnd = check_bounds(bounds, law.n_params)
    if bnd is None:
        return []
    names = _names(law, theta)
    out = []
    for i, (lo, hi) in enumerate(zip(*bnd, strict=True)):
        for side, b in (("lower", lo), ("upper", hi)):
            if not np.isfinite(b):
                continue
            width = hi - lo if np.isfinite(lo) and np.isfinite(hi) else max(1.0, abs(b))
            dist = abs(theta[i] - b)
            p = law.param_names[i]
            where = f"{p} = {_g(theta[i])}, {side} bound {_g(b)}"
            on = dist <= 1e-9 * max(1.0, abs(b))
            if on or (dist <= PRESSED_TOLERANCE * width and _pressed(res, X, y, i, b)):
                out.append(
                    Diagnostic(
                        "at_bound",
                        ERROR,
                        f"{names[i]} is {'on' if on else 'pressed against'} its {side} bound "
                        f"({where}): the optimum is constrained, its interval is truncated and "
                        "the other parameters compensate",
                        (names[i],),
                        float(dist),
                    )
                )
            elif dist <= BOUND_TOLERANCE * width:
                out.append(
                    Diagnostic(
                        "near_bound",
                        WARNING,
                        f"{names[i]} is within {dist / width:.1e} of the box width of its "
                        f"{side} bound ({where})",
                        (names[i],),
                        float(dist / width),
                    )
                )
    return out


def ray_spread(params: Any, tokens: Any) -> tuple[float, float]:
    """Orthogonal SD of the runs about their principal line in ``(log N, log D)``, and the
    line's slope ``k`` (``D ∝ N^k``)."""
    Z = np.column_stack([np.log(np.asarray(params, float)), np.log(np.asarray(tokens, float))])
    Z = Z - Z.mean(axis=0)
    w, V = np.linalg.eigh(Z.T @ Z / max(len(Z), 1))
    v = V[:, 1]
    slope = float(v[1] / v[0]) if v[0] != 0 else float("inf")
    return float(np.sqrt(max(w[0], 0.0))), slope


def _design(X: Mapping[str, Any]) -> list[Diagnostic]:
    if "params" not in X or "tokens" not in X or len(np.asarray(X["params"])) < 2:
        return []
    spread, k = ray_spread(X["params"], X["tokens"])
    if spread >= RAY_SPREAD:
        return []
    return [
        Diagnostic(
            "single_ray",
            ERROR,
            f"the runs lie on a single ray D ∝ N^{k:.2f} (spread about it {spread:.2%} in log "
            "space): the data never trade model size against tokens at fixed compute, so the "
            "exponents and the compute-optimal allocation are not identifiable",
            (),
            spread,
        )
    ]


def _hessian(res: FitResult, X: Mapping[str, Any], skip: set[int]) -> list[Diagnostic]:
    law, theta = res.law, res.theta
    f, J = law.log_predict_grad(theta, X)
    if res.objective_spec.residual == "linear":
        J = np.exp(f)[:, None] * J
    keep = [i for i in range(law.n_params) if i not in skip]
    M = J[:, keep].T @ J[:, keep]
    d = np.sqrt(np.diag(M))
    names = _names(law, theta)
    if np.any(~(d > 0)):
        flat = [names[keep[i]] for i in np.flatnonzero(~(d > 0))]
        return [
            Diagnostic(
                "singular_hessian",
                ERROR,
                f"the predictions do not depend on {', '.join(flat)} at the optimum "
                "(a zero column of the Jacobian): not identifiable",
                tuple(flat),
                0.0,
            )
        ]
    R = M / np.outer(d, d)
    w, V = np.linalg.eigh(R)
    if not w[0] < HESSIAN_EIGENVALUE:
        return []
    v = np.abs(V[:, 0])
    involved = [names[keep[i]] for i in np.argsort(-v) if v[i] > 0.25]
    return [
        Diagnostic(
            "singular_hessian",
            ERROR,
            f"the Gauss-Newton matrix at the optimum is near-singular (smallest eigenvalue "
            f"{w[0]:.1e} of its unit-diagonal form, condition {w[-1] / max(w[0], 1e-300):.1e}): "
            f"the data do not pin down a combination of {', '.join(involved)}; their "
            "intervals are unreliable",
            tuple(involved),
            float(w[0]),
        )
    ]


def _start(res: FitResult) -> list[Diagnostic]:
    ms = res.multistart
    if ms is None:
        return []
    i = ms.best(converged_only=res.converged)
    if i < 0:
        return []
    x0, x1 = ms.starts[i], ms.theta[i]
    stuck = np.abs(x1 - x0) <= MOVE_TOLERANCE * (1.0 + np.abs(x0))
    if not stuck.any():
        return []
    names = _names(res.law, res.theta)
    which = [res.law.param_names[j] for j in np.flatnonzero(stuck)]
    start = ", ".join(f"{res.law.param_names[j]} = {_g(x0[j])}" for j in np.flatnonzero(stuck))
    what = "did not move at all" if stuck.all() else f"did not move in {', '.join(which)}"
    return [
        Diagnostic(
            "start_not_moved",
            WARNING,
            f"the best start {what} ({start}; {int(ms.n_iter[i])} iterations): it may sit on "
            "a flat region of the objective; try other starting values",
            tuple(names[j] for j in np.flatnonzero(stuck)),
            float(stuck.sum()),
        )
    ]


def _bootstrap(res: FitResult) -> list[Diagnostic]:
    bs = res.bootstrap
    if bs is None or not len(bs.converged):
        return []
    out = []
    share = bs.n_converged / len(bs.converged)
    if share < BOOTSTRAP_CONVERGED:
        out.append(
            Diagnostic(
                "bootstrap_disagrees",
                WARNING,
                f"only {bs.n_converged} of {len(bs.converged)} bootstrap refits converged "
                f"({share:.0%}): the intervals rest on refits that stopped early",
                (),
                share,
            )
        )
    if res.ci:
        outside = [k for k, (lo, hi) in res.ci.items() if not lo <= res.params[k] <= hi]
        if outside:
            out.append(
                Diagnostic(
                    "bootstrap_disagrees",
                    WARNING,
                    f"the estimate of {', '.join(outside)} lies outside its own "
                    f"{len(bs.converged)}-refit bootstrap interval: the refits found other "
                    "optima than the point fit",
                    tuple(outside),
                    float(len(outside)),
                )
            )
    return out


def diagnose_fit(
    result: FitResult,
    X: Mapping[str, Any],
    y: Any = None,
    *,
    bounds: Sequence[tuple[float | None, float | None]] | None = None,
) -> list[Diagnostic]:
    """Every check of the module docstring on ``result`` fitted to inputs ``X``.

    Parameters
    ----------
    result : FitResult
    X : mapping
        The law's inputs the fit used (``params`` and ``tokens`` enable the design check).
    y : array_like, optional
        The observed losses; with them, a parameter just short of a bound where the objective
        falls towards the bound is reported as on it (``at_bound``).
    bounds : sequence of (low, high), optional
        The box of the fit, in the fitted parametrisation.

    Returns
    -------
    list of Diagnostic
        Errors first; empty when nothing is wrong.
    """
    status = getattr(result.fit_status, "value", str(result.fit_status))
    if status == "failed":
        return [Diagnostic("failed", ERROR, result.message)]
    out: list[Diagnostic] = []
    if status != "converged":
        out.append(
            Diagnostic("not_converged", ERROR, f"the fit is NOT converged: {result.message}")
        )
    theta = np.asarray(result.theta, dtype=float)
    collapsed = _collapsed(result.law, theta, X)
    out += collapsed
    out += _bounds(result, X, y, bounds)
    out += _design(X)
    names = _names(result.law, theta)
    skip = {names.index(p) for d in collapsed for p in d.parameters}
    out += _hessian(result, X, skip)
    out += _start(result)
    out += _bootstrap(result)
    return sorted(out, key=lambda d: d.severity != ERROR)
