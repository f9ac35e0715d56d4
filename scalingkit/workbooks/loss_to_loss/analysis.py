"""Loss-to-loss prediction: Brandfonbrener, Anand, Vyas, Malach & Kakade (2024), arXiv:2411.12925.

The workbook's logic, in the order of the paper's procedure:

1. :func:`tidy_losses` puts the ragged sweep (different runs per training corpus) in long form.
2. :func:`fit_corpus_laws` fits the Kaplan-form law ``L = E + ((A/N)^(α/β) + B/D)^β``
   (:class:`~scalingkit.laws.KaplanLaw`) to every (training corpus, loss) pair: mean Huber loss
   (δ = 1e-3) of ``log L − log L̂`` over the runs trained on that corpus, the authors' 16-start
   grid, L-BFGS. Its ``E`` is the irreducible loss that enters the shifted power laws.
3. :func:`pair_runs` pairs runs across corpora by model configuration and token count
   (an inner join on ``params`` and ``tokens``; each key occurs at most once per corpus).
4. :func:`fit_family` fits ``y = K (x − E_x)^κ + E_y`` (:class:`~scalingkit.laws.ShiftedPowerLaw`)
   for each pair of losses of one family: :func:`train_to_train_specs`,
   :func:`train_to_test_specs`, :func:`test_to_test_specs`; with the held-out 1e21-FLOP runs it
   also predicts their loss through the fitted curve.
5. :func:`scaling_law_extrapolation` predicts the same runs from the single-corpus laws.
6. :func:`translation_experiment` translates a full scaling law on one corpus to another corpus
   from a handful of its runs (:class:`~scalingkit.laws.TranslatedKaplanLaw`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import fit as _fit
from ...laws.kaplan import KaplanLaw, ShiftedPowerLaw, TranslatedKaplanLaw

__all__ = [
    "CORPORA",
    "CORPUS_LABELS",
    "DOWNSTREAM_LOSSES",
    "LOSS_COLUMNS",
    "VAL_LOSS",
    "FamilySpec",
    "authors_irreducible_losses",
    "compare_with_authors",
    "compute_optimal",
    "corpus_key",
    "curve_frame",
    "family_points",
    "fit_corpus_laws",
    "fit_family",
    "fit_own_validation_laws",
    "irreducible_losses",
    "irreducible_samples",
    "loss_column",
    "pair_runs",
    "scaling_law_extrapolation",
    "test_to_test_specs",
    "tidy_losses",
    "train_to_test_specs",
    "train_to_train_specs",
    "translation_experiment",
]

#: Training corpora, in the authors' order of the ``data`` column.
CORPORA: tuple[str, ...] = (
    "fineweb-100b",
    "fineweb-edu-100b",
    "proof-pile-2",
    "slimpajama-chunk1",
    "smollm-corpus",
    "starcoder",
)

#: Display names used in the paper's tables and figures.
CORPUS_LABELS: dict[str, str] = {
    "fineweb-100b": "FineWeb",
    "fineweb-edu-100b": "FineWeb-Edu",
    "proof-pile-2": "ProofPile 2",
    "slimpajama-chunk1": "SlimPajama",
    "smollm-corpus": "SmolLM",
    "starcoder": "StarCoder",
}

#: Each corpus's own validation loss (short loss name); the "train loss" of the paper.
VAL_LOSS: dict[str, str] = {
    "fineweb-100b": "fineweb_100b_val",
    "fineweb-edu-100b": "fineweb_edu_100b_val",
    "proof-pile-2": "proof_pile_2_val",
    "slimpajama-chunk1": "slimpajama_val",
    "smollm-corpus": "smollm_val",
    "starcoder": "starcoder_val",
}

#: Downstream cross-entropy losses (the paper's test losses), short names.
DOWNSTREAM_LOSSES: tuple[str, ...] = (
    "arc_challenge",
    "arc_easy",
    "boolq",
    "hellaswag",
    "mmlu_humanities",
    "mmlu_other",
    "mmlu_social_sciences",
    "mmlu_stem",
    "openbook_qa",
    "piqa",
    "sciq",
    "winogrande",
)

#: Short loss name -> sweep column, for every loss the authors fitted (``opt_params_data.csv``
#: also holds ``val_loss``, a duplicate of each corpus's own validation column).
LOSS_COLUMNS: dict[str, str] = {
    **{v: f"eval/{v}/CrossEntropyLoss" for v in VAL_LOSS.values()},
    "fineweb_1T_val": "eval/fineweb_1T_val/CrossEntropyLoss",
    "c4_val": "eval/c4_val/CrossEntropyLoss",
    **{t: f"eval/downstream_ce_loss/{t}_test_ce_loss" for t in DOWNSTREAM_LOSSES},
    "olmo_suite": "olmo_suite_ce_loss",
    "mmlu_suite": "mmlu_suite_ce_loss",
}

_ID_COLUMNS = ("name", "data", "params", "tokens", "flops", "iso_flop")


_CORPUS_KEYS = {
    "fineweb-100b": "fineweb",
    "fineweb-edu-100b": "fineweb_edu",
    "proof-pile-2": "proof_pile_2",
    "slimpajama-chunk1": "slimpajama",
    "smollm-corpus": "smollm",
    "starcoder": "starcoder",
}


def corpus_key(corpus: str) -> str:
    """Short, stable key of a corpus for result names, e.g. ``"fineweb_edu"``."""
    try:
        return _CORPUS_KEYS[corpus]
    except KeyError:
        raise KeyError(f"unknown corpus {corpus!r}; expected one of {', '.join(CORPORA)}") from None


def loss_column(loss: str) -> str:
    """Sweep column of a short loss name (e.g. ``"hellaswag"``)."""
    try:
        return LOSS_COLUMNS[loss]
    except KeyError:
        raise KeyError(
            f"unknown loss {loss!r}; expected one of {', '.join(LOSS_COLUMNS)}"
        ) from None


def _check_corpus(corpus: str, runs: pd.DataFrame, source: str) -> pd.DataFrame:
    sub = runs[runs["data"] == corpus]
    if sub.empty:
        known = ", ".join(sorted(map(str, runs["data"].unique())))
        raise ValueError(f"{source}: no runs trained on corpus {corpus!r} (have: {known})")
    return sub


# ---------------------------------------------------------------------------------------------
# 1. Tidy long form


def tidy_losses(
    runs: pd.DataFrame, losses: Iterable[str] | None = None, *, source: str = "sweep"
) -> pd.DataFrame:
    """Long-form table of the losses of every run: one row per (run, loss).

    Parameters
    ----------
    runs : pandas.DataFrame
        The sweep (or the extrapolation runs) as returned by
        :func:`scalingkit.data.load_loss_to_loss_sweep`.
    losses : iterable of str, optional
        Short loss names (keys of :data:`LOSS_COLUMNS`); default all of them.
    source : str
        Name used in error messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``corpus`` (training corpus), ``params``, ``tokens``, ``flops``,
        ``iso_flop``, ``loss`` (short name), ``value`` (nats per token). Missing values are
        dropped (the released sweep has none).
    """
    names = list(LOSS_COLUMNS) if losses is None else list(losses)
    cols = [loss_column(n) for n in names]
    missing = [c for c in (*_ID_COLUMNS, *cols) if c not in runs.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(map(repr, missing))}")
    wide = runs[list(_ID_COLUMNS) + cols].rename(
        columns={"name": "run", "data": "corpus", **dict(zip(cols, names, strict=True))}
    )
    long = wide.melt(
        id_vars=["run", "corpus", "params", "tokens", "flops", "iso_flop"],
        value_vars=names,
        var_name="loss",
        value_name="value",
    )
    return long.dropna(subset=["value"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# 2. Per-corpus scaling-law fits


def fit_corpus_laws(
    runs: pd.DataFrame,
    losses: Sequence[str],
    corpora: Sequence[str] = CORPORA,
    *,
    starts: np.ndarray | None = None,
    huber_delta: float = 1e-3,
    gtol: float = 1e-10,
    ftol: float = 1e-13,
    n_bootstrap: int = 0,
    seed: int | None = None,
    **fit_kwargs,
) -> pd.DataFrame:
    r"""Fit ``L = E + ((A/N)^(α/β) + B/D)^β`` to every (training corpus, loss) pair.

    Brandfonbrener et al. (2024, arXiv:2411.12925, Eq. 1 and Appendix): objective the *mean*
    Huber loss (``δ = 1e-3``) of ``log L − log L̂`` over all runs trained on the corpus,
    minimised by L-BFGS from each start of the 16-point grid
    (:meth:`KaplanLaw.initial_grid`); the best converged start is kept.

    Parameters
    ----------
    runs : pandas.DataFrame
        The sweep.
    losses : sequence of str
        Short loss names to fit (keys of :data:`LOSS_COLUMNS`).
    corpora : sequence of str
        Training corpora.
    starts : ndarray, shape (S, 5), optional
        Initial points in ``(log A, log B, log E, α, β)``; default the authors' grid.
    huber_delta : float
        Huber threshold on log residuals.
    gtol, ftol : float
        Stopping tolerances (projected-gradient max-norm; relative reduction). The mean Huber
        objective is of order 1e-5 here, so scipy's defaults (1e-5, 2.2e-9) stop at the start;
        1e-10 / 1e-13 reach the authors' objective values.
    n_bootstrap : int
        Bootstrap resamples of the runs for the uncertainty of ``E`` (0: none); refits start
        from the best fit (:func:`scalingkit.fit.fit_multistart`).
    seed : int, optional
        Bootstrap seed.
    **fit_kwargs
        Passed to :func:`scalingkit.fit.fit_multistart` (e.g. ``maxiter``, ``gtol``).

    Returns
    -------
    pandas.DataFrame
        Index ``(corpus, loss)``; columns ``a, b, e, alpha, beta`` (fitted parametrisation),
        ``A, B, E`` (natural), ``objective``, ``converged``, ``n_converged``, ``n_starts``,
        ``n_runs``; with a bootstrap ``E_se``, ``E_ci_low``, ``E_ci_high`` (95 % percentile)
        and ``E_samples`` (the bootstrap values of E, an array per row), else NaN / None.
    """
    law = KaplanLaw()
    grid = law.initial_grid() if starts is None else np.asarray(starts, dtype=float)
    rows = []
    for corpus in corpora:
        sub = _check_corpus(corpus, runs, "fit_corpus_laws")
        X = {"params": sub["params"].to_numpy(float), "tokens": sub["tokens"].to_numpy(float)}
        for loss in losses:
            col = loss_column(loss)
            if col not in sub.columns:
                raise ValueError(f"fit_corpus_laws: sweep has no column {col!r} (loss {loss!r})")
            y = sub[col].to_numpy(float)
            ok = np.isfinite(y)
            Xk = {k: v[ok] for k, v in X.items()}
            extra = dict(fit_kwargs, gtol=gtol, ftol=ftol)
            if n_bootstrap:
                extra.update(n_bootstrap=n_bootstrap, seed=seed)
            res = _fit.fit_multistart(
                law,
                Xk,
                y[ok],
                grid,
                huber_delta=huber_delta,
                reduction="mean",
                method="L-BFGS-B",
                **extra,
            )
            theta = np.asarray(res.theta, dtype=float)
            row = {
                "corpus": corpus,
                "loss": loss,
                **dict(zip(law.param_names, theta, strict=True)),
                "A": float(np.exp(theta[0])),
                "B": float(np.exp(theta[1])),
                "E": float(np.exp(theta[2])),
                "objective": float(res.objective),
                "converged": bool(res.converged),
                "n_converged": int(res.n_converged),
                "n_starts": int(res.n_starts),
                "n_runs": int(ok.sum()),
                "E_se": np.nan,
                "E_ci_low": np.nan,
                "E_ci_high": np.nan,
                "E_samples": None,
            }
            if res.se is not None and res.ci is not None:
                row["E_se"] = float(res.se["E"])
                row["E_ci_low"], row["E_ci_high"] = (float(v) for v in res.ci["E"])
                row["E_samples"] = res.samples["E"].to_numpy(dtype=float)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["corpus", "loss"])


def fit_own_validation_laws(
    runs: pd.DataFrame, corpora: Sequence[str] = CORPORA, **kwargs
) -> pd.DataFrame:
    """:func:`fit_corpus_laws` for each corpus on its *own* validation loss only (6 fits).

    These give the ``E`` of the train-to-train curves; ``kwargs`` as for
    :func:`fit_corpus_laws` (e.g. ``n_bootstrap``, ``seed``).
    """
    return pd.concat([fit_corpus_laws(runs, [VAL_LOSS[c]], [c], **kwargs) for c in corpora])


def irreducible_losses(fits: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``{(corpus, loss): E}`` from :func:`fit_corpus_laws` (or the authors' table)."""
    return {k: float(v) for k, v in fits["E"].items()}


def irreducible_samples(fits: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """``{(corpus, loss): bootstrap draws of E}`` for the fits that were bootstrapped."""
    if "E_samples" not in fits.columns:
        return {}
    return {k: v for k, v in fits["E_samples"].items() if v is not None}


def authors_irreducible_losses(opt_params: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``{(corpus, loss): E}`` of the authors' Kaplan-form fits (``opt_params_data.csv``).

    Used only to check the OLS step in isolation (their E in, their κ and K out).
    """
    by_column = {c: n for n, c in LOSS_COLUMNS.items()}
    kap = opt_params[opt_params["kaplan"].astype(bool) & opt_params["loss_name"].isin(by_column)]
    return {
        (str(d), by_column[str(c)]): float(e)
        for d, c, e in zip(kap["data"], kap["loss_name"], kap["E"], strict=True)
    }


def compare_with_authors(
    fits: pd.DataFrame, opt_params: pd.DataFrame, *, atol: float = 1e-9
) -> pd.DataFrame:
    """Join our fits with the authors' Kaplan-form fits (``opt_params_data.csv``).

    Parameters
    ----------
    fits : pandas.DataFrame
        From :func:`fit_corpus_laws`.
    opt_params : pandas.DataFrame
        From :func:`scalingkit.data.load_loss_to_loss_opt_params` (a cross-check, never an
        input to our fits).
    atol : float
        Absolute tolerance of "our objective is at most theirs".

    Returns
    -------
    pandas.DataFrame
        Index ``(corpus, loss)``; ``objective_ours``, ``objective_theirs``, ``ours_le_theirs``,
        ``E_ours``, ``E_theirs``, ``E_rel_diff`` = ``|E_ours − E_theirs| / E_theirs``.
    """
    theirs = opt_params[opt_params["kaplan"].astype(bool)]
    by_column = {c: n for n, c in LOSS_COLUMNS.items()}
    theirs = theirs[theirs["loss_name"].isin(by_column)]
    theirs = pd.DataFrame(
        {
            "corpus": theirs["data"].to_numpy(),
            "loss": theirs["loss_name"].map(by_column).to_numpy(),
            "objective_theirs": theirs["loss"].to_numpy(float),
            "E_theirs": theirs["E"].to_numpy(float),
        }
    ).set_index(["corpus", "loss"])
    out = fits[["objective", "E"]].rename(columns={"objective": "objective_ours", "E": "E_ours"})
    out = out.join(theirs, how="inner")
    out["ours_le_theirs"] = out["objective_ours"] <= out["objective_theirs"] + atol
    out["E_rel_diff"] = (out["E_ours"] - out["E_theirs"]).abs() / out["E_theirs"]
    return out


# ---------------------------------------------------------------------------------------------
# 3. Pairing


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
        sub = _check_corpus(corpus, runs, "pair_runs")
        col = loss_column(loss)
        if col not in sub.columns:
            raise ValueError(f"pair_runs: sweep has no column {col!r} (loss {loss!r})")
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


# ---------------------------------------------------------------------------------------------
# 4. Families of loss-to-loss curves


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
            x_run = _check_corpus(spec.x_corpus, extrapolation, "extrapolation")
            y_run = _check_corpus(spec.y_corpus, extrapolation, "extrapolation")
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


def _ols_rows(lx: np.ndarray, ly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise OLS slope and intercept of ``ly`` on ``lx`` (both (B, n))."""
    mx = lx.mean(axis=1, keepdims=True)
    my = ly.mean(axis=1, keepdims=True)
    slope = np.sum((lx - mx) * (ly - my), axis=1) / np.sum((lx - mx) ** 2, axis=1)
    return slope, my[:, 0] - slope * mx[:, 0]


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
    kappa, logk = _ols_rows(np.log(x[None, :] - ex_b[:, None]), np.log(y[None, :] - ey_b[:, None]))
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


# ---------------------------------------------------------------------------------------------
# 5. Single-corpus scaling-law extrapolation


def scaling_law_extrapolation(
    fits: pd.DataFrame, extrapolation: pd.DataFrame, keys: Iterable[tuple[str, str]]
) -> pd.DataFrame:
    """Predict the held-out runs' losses from the per-corpus scaling laws.

    Parameters
    ----------
    fits : pandas.DataFrame
        From :func:`fit_corpus_laws`.
    extrapolation : pandas.DataFrame
        Held-out runs (one per corpus).
    keys : iterable of (corpus, loss)
        Which fitted laws to extrapolate.

    Returns
    -------
    pandas.DataFrame
        ``corpus``, ``loss``, ``params``, ``tokens``, ``y_star`` (observed), ``y_pred``,
        ``rel_error``.
    """
    law = KaplanLaw()
    rows = []
    for corpus, loss in keys:
        run = _check_corpus(corpus, extrapolation, "extrapolation").iloc[0]
        theta = fits.loc[(corpus, loss), list(law.param_names)].to_numpy(float)
        X = {"params": [float(run["params"])], "tokens": [float(run["tokens"])]}
        y_pred = float(law.predict(theta, X)[0])
        y_star = float(run[loss_column(loss)])
        rows.append(
            {
                "corpus": corpus,
                "loss": loss,
                "params": float(run["params"]),
                "tokens": float(run["tokens"]),
                "y_star": y_star,
                "y_pred": y_pred,
                "rel_error": (y_pred - y_star) / y_star,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# 6. Translating a scaling law


def compute_optimal(
    law: KaplanLaw | TranslatedKaplanLaw,
    theta: np.ndarray,
    flops: Sequence[float] | np.ndarray,
    *,
    n_grid: int = 4001,
    log10_n_range: tuple[float, float] = (6.0, 13.0),
) -> pd.DataFrame:
    """Compute-optimal model size and loss of a fitted law, ``C = 6 N D``.

    The minimum over ``N`` of ``L(N, C / (6N))`` on a log-spaced grid (vectorised over budgets).

    Returns
    -------
    pandas.DataFrame
        ``flops``, ``params``, ``tokens``, ``loss`` (one row per budget).
    """
    c = np.asarray(flops, dtype=float)
    n = np.logspace(*log10_n_range, n_grid)
    N = np.broadcast_to(n[None, :], (c.size, n.size)).ravel()
    D = (c[:, None] / (6.0 * n[None, :])).ravel()
    loss = law.predict(theta, {"params": N, "tokens": D}).reshape(c.size, n.size)
    i = np.argmin(loss, axis=1)
    n_opt = n[i]
    return pd.DataFrame(
        {
            "flops": c,
            "params": n_opt,
            "tokens": c / (6.0 * n_opt),
            "loss": loss[np.arange(c.size), i],
        }
    )


def _translation_starts() -> np.ndarray:
    g = np.meshgrid([-1.0, 0.0, 0.5, 1.0], [-0.5, 0.0, 0.5], [0.8, 1.0, 1.2], indexing="ij")
    return np.column_stack([a.ravel() for a in g])


def translation_experiment(
    runs: pd.DataFrame,
    extrapolation: pd.DataFrame,
    fits: pd.DataFrame,
    source: str,
    targets: Sequence[str],
    *,
    selection: str = "per_budget",
    n_budgets: int = 2,
    huber_delta: float = 1e-3,
    gtol: float = 1e-10,
    ftol: float = 1e-13,
    **fit_kwargs,
) -> pd.DataFrame:
    r"""Translate the scaling law of ``source`` to each target corpus from a few of its runs.

    Brandfonbrener et al. (2024, arXiv:2411.12925, "translating a scaling law"): substituting
    the source law ``L_0(N, D)`` into the train-to-train curve gives
    ``L_1(N, D) = E_1 + K ((A/N)^(α/β) + B/D)^(βκ)``, a law for the target corpus with only
    three free parameters (:class:`~scalingkit.laws.TranslatedKaplanLaw`). We fit those three
    (mean Huber δ on log loss) to the target runs of the ``n_budgets`` smallest isoFLOP
    budgets, and compare with a full five-parameter Kaplan fit to the *same* runs (the
    authors' 16-start grid). Both predict (i) the held-out 1e21-FLOP run and (ii) the
    compute-optimal loss at every larger sweep budget, where the reference is the law fitted
    on all target runs.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``n_runs`` used, ``E1``, ``kappa``, ``K`` of the translation;
        ``pred_translated``, ``pred_direct``, ``y_star`` and their relative errors at 1e21
        FLOPs; ``pred_from_observed``: the fitted curve applied to the observed loss of the
        source corpus's held-out model (train-to-train style), and its relative error; ``opt_mare_translated``, ``opt_mare_direct``: mean |relative error| of the
        compute-optimal losses at the unused sweep budgets; ``converged_translated``,
        ``converged_direct``.
    """
    fit_kwargs = dict(fit_kwargs, gtol=gtol, ftol=ftol)
    kaplan = KaplanLaw()
    theta0 = fits.loc[(source, VAL_LOSS[source]), list(kaplan.param_names)].to_numpy(float)
    translated = TranslatedKaplanLaw(theta0)
    rows = []
    for target in targets:
        sub = _check_corpus(target, runs, "translation_experiment")
        budgets = np.sort(sub["iso_flop"].unique())
        if selection == "per_budget":
            # one run per budget: the model size closest (in log N) to the source law's
            # compute-optimal size there -- chosen from source information only.
            n_opt = compute_optimal(kaplan, theta0, budgets)["params"].to_numpy()
            dist = np.abs(
                np.log(sub["params"].to_numpy(float))
                - np.log(n_opt[np.searchsorted(budgets, sub["iso_flop"].to_numpy(float))])
            )
            pick = pd.Series(dist, index=sub.index).groupby(sub["iso_flop"]).idxmin()
            few = sub.loc[pick.to_numpy()]
            later = budgets
        elif selection == "smallest_budgets":
            if not 1 <= n_budgets < budgets.size:
                raise ValueError(
                    f"translation_experiment: n_budgets must be in [1, {budgets.size - 1}] "
                    f"for {target!r}, got {n_budgets}"
                )
            few = sub[sub["iso_flop"].isin(budgets[:n_budgets])]
            later = budgets[n_budgets:]
        else:
            raise ValueError(
                f"translation_experiment: selection must be 'per_budget' or "
                f"'smallest_budgets', got {selection!r}"
            )
        col = loss_column(VAL_LOSS[target])
        X = {"params": few["params"].to_numpy(float), "tokens": few["tokens"].to_numpy(float)}
        y = few[col].to_numpy(float)
        res_t = _fit.fit_multistart(
            translated, X, y, _translation_starts(), huber_delta=huber_delta, reduction="mean",
            method="L-BFGS-B", **fit_kwargs,
        )  # fmt: skip
        res_d = _fit.fit_multistart(
            kaplan, X, y, kaplan.initial_grid(), huber_delta=huber_delta, reduction="mean",
            method="L-BFGS-B", **fit_kwargs,
        )  # fmt: skip
        theta_t = np.asarray(res_t.theta, float)
        theta_d = np.asarray(res_d.theta, float)
        theta_full = fits.loc[(target, VAL_LOSS[target]), list(kaplan.param_names)].to_numpy(float)

        star = _check_corpus(target, extrapolation, "extrapolation").iloc[0]
        X_star = {"params": [float(star["params"])], "tokens": [float(star["tokens"])]}
        y_star = float(star[col])
        p_t = float(translated.predict(theta_t, X_star)[0])
        p_d = float(kaplan.predict(theta_d, X_star)[0])
        # the same curve applied to the *observed* source loss of the held-out model
        # (train-to-train prediction from a few target runs)
        src_star = _check_corpus(source, extrapolation, "extrapolation").iloc[0]
        x0_star = float(src_star[loss_column(VAL_LOSS[source])])
        e0 = float(np.exp(theta0[2]))
        nat = translated.natural(theta_t)
        p_o = (
            float(nat["K"] * (x0_star - e0) ** nat["kappa"] + nat["E1"]) if x0_star > e0 else np.nan
        )

        ref = compute_optimal(kaplan, theta_full, later)["loss"].to_numpy()
        opt_t = compute_optimal(translated, theta_t, later)["loss"].to_numpy()
        opt_d = compute_optimal(kaplan, theta_d, later)["loss"].to_numpy()
        rows.append(
            {
                "source": source,
                "target": target,
                "n_runs": len(few),
                "E1": float(nat["E1"]),
                "kappa": float(nat["kappa"]),
                "K": float(nat["K"]),
                "y_star": y_star,
                "pred_translated": p_t,
                "pred_direct": p_d,
                "rel_error_translated": (p_t - y_star) / y_star,
                "rel_error_direct": (p_d - y_star) / y_star,
                "pred_from_observed": p_o,
                "rel_error_from_observed": (p_o - y_star) / y_star,
                "opt_mare_translated": float(np.mean(np.abs(opt_t - ref) / ref)),
                "opt_mare_direct": float(np.mean(np.abs(opt_d - ref) / ref)),
                "converged_translated": bool(res_t.converged),
                "converged_direct": bool(res_d.converged),
            }
        )
    return pd.DataFrame(rows)
