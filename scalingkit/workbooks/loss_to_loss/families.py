r"""Loss-to-loss curves: pairs of runs and the shifted power law between their losses.

Brandfonbrener et al. (2024, arXiv:2411.12925, Eq. 3-5) pair runs trained on two corpora by
model size and token count (:func:`pair_runs`) and fit ``y = K (x − E_x)^κ + E_y``
(:class:`~scalingkit.laws.ShiftedPowerLaw`) for each pair of losses of a family:
train-to-train, train-to-test and test-to-test (:class:`FamilySpec`). With the held-out
1e21-FLOP runs each curve also predicts their loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import require_columns
from ...data.corpora import CORPORA, DOWNSTREAM_LOSSES, VAL_LOSS, loss_column
from ...fit import ols_loglog
from ...laws.kaplan import ShiftedPowerLaw
from .corpora import corpus_runs

__all__ = [
    "FamilySpec",
    "curve_frame",
    "family_points",
    "family_summary",
    "fit_family",
    "max_relative_deviation",
    "pair_runs",
    "test_to_test_specs",
    "train_to_test_specs",
    "train_to_train_specs",
]


def pair_runs(
    runs: pd.DataFrame,
    x_corpus: str,
    x_loss: str,
    y_corpus: str,
    y_loss: str,
    *,
    on: Sequence[str] = ("params", "tokens"),
) -> pd.DataFrame:
    """Pair runs trained on two corpora by model configuration and token count.

    The authors pair models "by training compute": the run with the same model size and number
    of tokens on the other corpus (an inner join on ``params`` and ``tokens``). Runs without a
    partner are left out. When ``x_corpus == y_corpus`` each run is paired with itself
    (train-to-test).

    Parameters
    ----------
    runs : pandas.DataFrame
        Sweep (wide form).
    x_corpus, y_corpus : str
        Training corpora of the predictor and the predicted runs.
    x_loss, y_loss : str
        Short loss names read on each side.
    on : sequence of str
        Join keys; each key must identify at most one run per corpus.

    Returns
    -------
    pandas.DataFrame
        Columns ``params``, ``tokens``, ``iso_flop``, ``x``, ``y``, sorted by ``params``,
        ``tokens``.
    """
    keys = list(on)
    sides = []
    for corpus, loss, tag in ((x_corpus, x_loss, "x"), (y_corpus, y_loss, "y")):
        sub = corpus_runs(runs, corpus, "pair_runs")
        col = loss_column(loss)
        require_columns(sub, [col], f"pair_runs (loss {loss!r})")
        dup = sub.duplicated(keys)
        if dup.any():
            raise ValueError(
                f"pair_runs: {int(dup.sum())} run(s) on {corpus!r} share their {keys} with "
                "another run; pairing would be ambiguous"
            )
        side = sub[[*keys, "iso_flop", col]].rename(columns={col: tag})
        sides.append(side.dropna(subset=[tag]))
    pairs = sides[0].merge(sides[1].drop(columns="iso_flop"), on=keys, how="inner")
    return pairs.sort_values(keys).reset_index(drop=True)


@dataclass(frozen=True)
class FamilySpec:
    """One loss-to-loss curve: ``x`` = loss ``x_loss`` of runs trained on ``x_corpus``."""

    family: str
    x_corpus: str
    x_loss: str
    y_corpus: str
    y_loss: str


def train_to_train_specs(corpora: Sequence[str] = CORPORA) -> list[FamilySpec]:
    """All ordered pairs: validation loss of corpus 0's runs vs that of corpus 1's runs."""
    return [
        FamilySpec("train-to-train", c0, VAL_LOSS[c0], c1, VAL_LOSS[c1])
        for c0 in corpora
        for c1 in corpora
        if c0 != c1
    ]


def train_to_test_specs(
    corpora: Sequence[str] = CORPORA, test_losses: Sequence[str] = DOWNSTREAM_LOSSES
) -> list[FamilySpec]:
    """Runs trained on one corpus: their validation loss vs a test loss of the same run."""
    return [FamilySpec("train-to-test", c, VAL_LOSS[c], c, t) for c in corpora for t in test_losses]


def test_to_test_specs(
    corpora: Sequence[str] = CORPORA, test_losses: Sequence[str] = DOWNSTREAM_LOSSES
) -> list[FamilySpec]:
    """The same test loss for runs trained on corpus 0 vs corpus 1 (all ordered pairs)."""
    return [
        FamilySpec("test-to-test", c0, t, c1, t)
        for t in test_losses
        for c0 in corpora
        for c1 in corpora
        if c0 != c1
    ]


def fit_family(
    runs: pd.DataFrame,
    specs: Iterable[FamilySpec],
    E: Mapping[tuple[str, str], float],
    *,
    extrapolation: pd.DataFrame | None = None,
    E_samples: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> pd.DataFrame:
    r"""Fit the shifted power law ``y = K (x − E_x)^κ + E_y`` for each curve of a family.

    Brandfonbrener et al. (2024, arXiv:2411.12925, Eq. 3-5): ``E_x = E[(x_corpus, x_loss)]``,
    ``E_y = E[(y_corpus, y_loss)]`` come from the per-corpus scaling-law fits; ``κ`` and
    ``log K`` from ordinary least squares of ``log(y − E_y)`` on ``log(x − E_x)`` over paired
    runs (:func:`pair_runs`).

    Parameters
    ----------
    runs : pandas.DataFrame
        Sweep.
    specs : iterable of FamilySpec
        The curves to fit.
    E : mapping
        ``(corpus, loss) -> E``.
    extrapolation : pandas.DataFrame, optional
        The held-out 1e21-FLOP runs (one per corpus). When given, each curve predicts the
        ``y`` of the held-out run on ``y_corpus`` from the ``x`` of the held-out run on
        ``x_corpus`` (the same (N, D)); columns ``x_star``, ``y_star``, ``y_pred``, ``rel_error``
        = ``(y_pred − y_star) / y_star`` are added.
    E_samples : mapping, optional
        ``(corpus, loss) -> bootstrap draws of E`` (:func:`fit_corpus_laws` with
        ``n_bootstrap``). When both ends of a curve have draws, the OLS is repeated for each
        draw and ``kappa_boot_se``, ``K_boot_se`` (and ``y_pred_boot_se``) report the spread
        that the uncertainty of E induces; ``n_boot`` draws used, ``n_boot_dropped`` dropped.

    Returns
    -------
    pandas.DataFrame
        One row per spec: ``family``, ``x_corpus``, ``x_loss``, ``y_corpus``, ``y_loss``,
        ``e_x``, ``e_y``, ``kappa``, ``K``, ``kappa_se``, ``log_K_se``, ``r_squared``, ``n``
        (pairs used) and ``n_dropped`` (pairs with a loss at or below its E, left out; with
        fewer than 3 usable pairs κ and K are NaN).
    """
    rows = []
    for spec in specs:
        for key in ((spec.x_corpus, spec.x_loss), (spec.y_corpus, spec.y_loss)):
            if key not in E:
                raise KeyError(f"fit_family: no irreducible loss E for (corpus, loss) = {key}")
        e_x, e_y = E[(spec.x_corpus, spec.x_loss)], E[(spec.y_corpus, spec.y_loss)]
        pairs = pair_runs(runs, spec.x_corpus, spec.x_loss, spec.y_corpus, spec.y_loss)
        # a loss at or below its fitted E has no log(loss − E): such pairs are left out and
        # counted (it happens only for noisy downstream losses, e.g. BoolQ)
        keep = (pairs["x"] > e_x) & (pairs["y"] > e_y)
        n_dropped = int((~keep).sum())
        pairs = pairs[keep]
        if len(pairs) >= 3:
            curve = ShiftedPowerLaw(e_x, e_y).fit(pairs["x"], pairs["y"])
        else:
            curve = _unfitted_curve(e_x, e_y, len(pairs))
        row = {
            "family": spec.family,
            "x_corpus": spec.x_corpus,
            "x_loss": spec.x_loss,
            "y_corpus": spec.y_corpus,
            "y_loss": spec.y_loss,
            "e_x": e_x,
            "e_y": e_y,
            "kappa": curve.kappa_,
            "K": curve.K_,
            "kappa_se": curve.kappa_se_,
            "log_K_se": curve.log_K_se_,
            "r_squared": curve.r_squared_,
            "n": curve.n_,
            "n_dropped": n_dropped,
        }
        if extrapolation is not None:
            x_run = corpus_runs(extrapolation, spec.x_corpus, "extrapolation")
            y_run = corpus_runs(extrapolation, spec.y_corpus, "extrapolation")
            x_star = float(x_run[loss_column(spec.x_loss)].iloc[0])
            y_star = float(y_run[loss_column(spec.y_loss)].iloc[0])
            y_pred = float(curve.predict(np.array([x_star]))[0])
            row.update(
                x_star=x_star, y_star=y_star, y_pred=y_pred, rel_error=(y_pred - y_star) / y_star
            )
        if E_samples is not None and curve.n_ >= 3:
            kx, ky = (spec.x_corpus, spec.x_loss), (spec.y_corpus, spec.y_loss)
            if E_samples.get(kx) is not None and E_samples.get(ky) is not None:
                row.update(
                    _propagate(
                        pairs["x"].to_numpy(float),
                        pairs["y"].to_numpy(float),
                        np.asarray(E_samples[kx], float),
                        np.asarray(E_samples[ky], float),
                        row.get("x_star"),
                    )
                )
        rows.append(row)
    return pd.DataFrame(rows)


def _unfitted_curve(e_x: float, e_y: float, n: int) -> ShiftedPowerLaw:
    """A curve with NaN parameters, for a spec with fewer than 3 usable pairs."""
    curve = ShiftedPowerLaw(e_x, e_y)
    curve.kappa_ = curve.K_ = curve.log_K_ = np.nan
    curve.kappa_se_ = curve.log_K_se_ = curve.r_squared_ = np.nan
    curve.n_ = n
    return curve


def _propagate(
    x: np.ndarray, y: np.ndarray, ex_b: np.ndarray, ey_b: np.ndarray, x_star: float | None
) -> dict[str, float]:
    """Spread of κ, K (and of the prediction at ``x_star``) over bootstrap draws of E_x, E_y.

    Draws with an ``E`` at or above a paired loss (log undefined) are dropped and counted.
    """
    m = min(ex_b.size, ey_b.size)
    ex_b, ey_b = ex_b[:m], ey_b[:m]
    ok = (ex_b < x.min()) & (ey_b < y.min())
    if x_star is not None:
        ok &= ex_b < x_star
    out = {"n_boot": int(ok.sum()), "n_boot_dropped": int(m - ok.sum())}
    if ok.sum() < 2:
        return out | {"kappa_boot_se": np.nan, "K_boot_se": np.nan}
    ex_b, ey_b = ex_b[ok], ey_b[ok]
    line = ols_loglog(x, y, x0=ex_b[:, None], y0=ey_b[:, None])  # one OLS per draw
    kappa, logk = line.slope, line.intercept
    out |= {"kappa_boot_se": float(kappa.std(ddof=1)), "K_boot_se": float(np.exp(logk).std(ddof=1))}
    if x_star is not None:
        pred = np.exp(logk) * (x_star - ex_b) ** kappa + ey_b
        out["y_pred_boot_se"] = float(pred.std(ddof=1))
    return out


def family_points(runs: pd.DataFrame, specs: Iterable[FamilySpec]) -> pd.DataFrame:
    """Paired observations of every curve in long form (for figures).

    Returns
    -------
    pandas.DataFrame
        ``family``, ``x_corpus``, ``x_loss``, ``y_corpus``, ``y_loss``, ``params``, ``tokens``,
        ``iso_flop``, ``x``, ``y``.
    """
    frames = []
    for spec in specs:
        pairs = pair_runs(runs, spec.x_corpus, spec.x_loss, spec.y_corpus, spec.y_loss)
        frames.append(pairs.assign(**{k: getattr(spec, k) for k in FamilySpec.__annotations__}))
    return pd.concat(frames, ignore_index=True)


def curve_frame(table: pd.DataFrame, points: pd.DataFrame, n: int = 100) -> pd.DataFrame:
    """Fitted curves ``K (x − E_x)^κ + E_y`` evaluated on a grid spanning the observed ``x``
    (extended to the held-out ``x_star`` when present), for figures.

    Returns
    -------
    pandas.DataFrame
        The identifying columns of ``table`` plus ``x``, ``y`` (``n`` rows per curve).
    """
    ids = ["family", "x_corpus", "x_loss", "y_corpus", "y_loss"]
    span = points.groupby(ids)["x"].agg(["min", "max"])
    frames = []
    for _, row in table.iterrows():
        lo, hi = span.loc[tuple(row[ids])]
        if "x_star" in row and np.isfinite(row["x_star"]):
            lo, hi = min(lo, row["x_star"]), max(hi, row["x_star"])
        x = np.linspace(lo, hi, n)
        y = row["K"] * (x - row["e_x"]) ** row["kappa"] + row["e_y"]
        frames.append(pd.DataFrame({**{k: row[k] for k in ids}, "x": x, "y": y}))
    return pd.concat(frames, ignore_index=True)


def max_relative_deviation(ours: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Largest relative deviation of our κ or K from a reference table of the same curves.

    ``max over curves of max(|κ/κ_ref − 1|, |K/K_ref − 1|)``; both tables from
    :func:`fit_family` over the same specs (rows aligned).
    """
    dev = np.maximum(
        np.abs(ours["kappa"] / reference["kappa"] - 1), np.abs(ours["K"] / reference["K"] - 1)
    ).max()
    return float(dev)


def family_summary(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per family (name -> :func:`fit_family` table with ``rel_error``).

    Columns: curves, median R², mean and median |relative error| at 1e21 FLOPs, pairs dropped
    (a loss at or below its E), curves not fitted (fewer than 3 pairs).
    """
    return pd.DataFrame(
        {
            fam: {
                "curves": len(t),
                "median R²": t["r_squared"].median(),
                "1e21 mean |err|": t["rel_error"].abs().mean(),
                "1e21 median |err|": t["rel_error"].abs().median(),
                "pairs dropped (loss <= E)": int(t["n_dropped"].sum()),
                "curves not fitted (< 3 pairs)": int(t["kappa"].isna().sum()),
            }
            for fam, t in tables.items()
        }
    ).T
