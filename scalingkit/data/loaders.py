"""Typed loaders of the papers' data: tidy DataFrames with documented columns and units.

Every loader fetches its registry file(s) (:func:`~scalingkit.data.fetch`, hash-verified) and
validates them with :mod:`scalingkit.data.validate`: a malformed file raises one
:class:`~scalingkit.errors.DataValidationError` line naming the file, the column and the CSV
line of the first bad value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .fetch import fetch
from .validate import Where, line_labels, require_columns, require_positive

__all__ = [
    "MIXTURE_DOMAINS",
    "load_chinchilla",
    "load_loss_to_loss_extrapolation",
    "load_loss_to_loss_opt_params",
    "load_loss_to_loss_sweep",
    "load_regmix",
    "load_slimpajama_mixtures",
]


def _read_registered_csv(key: str, required: Sequence[str]) -> tuple[pd.DataFrame, str, Where]:
    """Fetch, read and check the columns of a registry CSV: (frame, source, row namer)."""
    path = fetch(key)
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not a readable CSV ({exc})") from None
    require_columns(df, required, str(path))
    return df, str(path), line_labels(path, len(df))


# ---------------------------------------------------------------------------------------------
# Loaders


def load_chinchilla() -> pd.DataFrame:
    """Chinchilla's Figure 4 runs as re-extracted by Besiroglu et al. (2024, arXiv:2404.10102).

    Returns
    -------
    pandas.DataFrame
        245 rows, in file order:

        ``params``  model size N (parameters)
        ``tokens``  training tokens D = C / (6 N)
        ``flops``   training compute C (FLOP)
        ``loss``    final training loss (nats per token)
    """
    raw = ["Model Size", "Training FLOP", "loss"]
    df, source, where = _read_registered_csv("chinchilla", raw)
    require_positive(df, raw, source, where=where)  # the file's own column names
    out = pd.DataFrame(
        {
            "params": df["Model Size"].astype(float),
            "flops": df["Training FLOP"].astype(float),
            "loss": df["loss"].astype(float),
        }
    )
    out.insert(1, "tokens", out["flops"] / (6.0 * out["params"]))
    return out[["params", "tokens", "flops", "loss"]]


_L2L_REQUIRED = ["name", "data", "params", "tokens", "flops"]


def _load_loss_to_loss_runs(key: str) -> pd.DataFrame:
    df, source, where = _read_registered_csv(key, _L2L_REQUIRED)
    require_positive(df, ["params", "tokens", "flops"], source, where=where)
    loss_cols = [c for c in df.columns if c.endswith("CrossEntropyLoss") or c.endswith("ce_loss")]
    require_positive(df, loss_cols, source, allow_missing=True, where=where)
    return df


def load_loss_to_loss_sweep() -> pd.DataFrame:
    """The 529 training runs of Brandfonbrener et al. (2024, arXiv:2411.12925).

    Columns keep the authors' names so that every quantity can be traced to their notebooks:

    ``name``     run identifier
    ``data``     training corpus: fineweb-100b, fineweb-edu-100b, proof-pile-2,
                 slimpajama-chunk1, smollm-corpus, starcoder
    ``params``   non-embedding parameters N;  ``tokens``  training tokens D;  ``flops``  compute C
    ``n_layers``, ``d_model``, ``iso_flop`` (the isoFLOP budget the run belongs to)
    ``eval/<set>_val/CrossEntropyLoss``   validation losses (nats per token) on each corpus
    ``eval/downstream_ce_loss/<task>_ce_loss``   downstream cross-entropies
    plus accuracies and other logged metrics.
    """
    return _load_loss_to_loss_runs("loss_to_loss.sweep")


def load_loss_to_loss_extrapolation() -> pd.DataFrame:
    """The six held-out ~3.3B-parameter, 1e21-FLOP runs (one per corpus); sweep columns."""
    return _load_loss_to_loss_runs("loss_to_loss.extrapolation")


def load_loss_to_loss_opt_params() -> pd.DataFrame:
    """The authors' fitted scaling-law parameters per (training corpus, loss): a cross-check only.

    Columns: ``A``, ``B``, ``E``, ``alpha``, ``beta`` (fitted law), ``loss`` (their objective),
    ``r_squared``, ``kaplan`` (True: Kaplan form, False: Chinchilla form), ``data`` (training
    corpus), ``loss_name`` (loss column), ``extrap_pred`` / ``extrap_loss`` (their 1e21-FLOP
    prediction and the observed loss).
    """
    df, source, where = _read_registered_csv(
        "loss_to_loss.opt_params",
        ["A", "B", "E", "alpha", "beta", "loss", "kaplan", "data", "loss_name"],
    )
    require_positive(df, ["A", "B", "alpha", "beta"], source, where=where)
    return df


MIXTURE_DOMAINS = ("arxiv", "book", "c4", "github", "commoncrawl", "stackexchange", "wikipedia")


def load_slimpajama_mixtures() -> pd.DataFrame:
    """SlimPajama 7-domain LLM runs used by Shukor et al. (2025, arXiv:2507.09404).

    Returns
    -------
    pandas.DataFrame
        2452 rows:

        ``weight_<domain>``  training mixture weight of each of the 7 domains (sum to 1)
        ``params``           model size N (parameters; 6 sizes, 122M to 2.7B)
        ``tokens``           training tokens D
        ``<domain>_loss``    validation loss on each domain, and ``openhermes_loss`` (nats/token)

        Some losses are missing (NaN) upstream; ``df.attrs["missing_losses"]`` counts them per
        column. A run missing one loss is still valid for the others.
    """
    weights = [f"weight_{d}" for d in MIXTURE_DOMAINS]
    losses = [f"{d}_loss" for d in MIXTURE_DOMAINS] + ["openhermes_loss"]
    df, source, where = _read_registered_csv(
        "mixtures.slimpajama", [*weights, "model_size", "n_tokens", *losses]
    )
    require_positive(df, ["model_size", "n_tokens"], source, where=where)
    df = df.rename(columns={"model_size": "params", "n_tokens": "tokens"})
    require_positive(df, losses, source, allow_missing=True, where=where)
    w = df[weights].to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataValidationError(f"{source}: weight columns hold negative or non-finite values")
    off = np.abs(w.sum(axis=1) - 1.0) > 1e-6
    if off.any():
        raise DataValidationError(
            f"{source}: mixture weights of {int(off.sum())} row(s) do not sum to 1 (first row {int(np.flatnonzero(off)[0])})"
        )
    df = df[[*weights, "params", "tokens", *losses]].copy()
    df.attrs["missing_losses"] = {c: int(df[c].isna().sum()) for c in losses if df[c].isna().any()}
    df.attrs["source"] = source
    return df


_REGMIX_SCALES = {"train": ("1m",), "test": ("1m", "60m", "1B")}


def load_regmix(split: str = "train", scale: str = "1m") -> pd.DataFrame:
    """RegMix runs (Liu et al. 2024, arXiv:2407.01492): mixture weights and Pile losses.

    Parameters
    ----------
    split : {"train", "test"}
        ``train``: the 512 1M-parameter runs used to fit the regression; ``test``: held-out
        mixtures.
    scale : {"1m", "60m", "1B"}
        Model size of the runs (train only has ``"1m"``).

    Returns
    -------
    pandas.DataFrame
        One row per mixture: ``index`` (run id), ``weight_<domain>`` for the 17 Pile training
        domains (sum to 1 up to the 3-decimal rounding of the upstream files), and
        ``<domain>_loss`` for the 13 Pile validation sets (nats per token).
    """
    if split not in _REGMIX_SCALES:
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
    if scale not in _REGMIX_SCALES[split]:
        raise ValueError(
            f"scale: expected one of {_REGMIX_SCALES[split]} for split={split!r}, got {scale!r}"
        )
    mix, mix_source, _ = _read_registered_csv(f"regmix.{split}_mixture_{scale}", ["index"])
    loss, loss_source, loss_where = _read_registered_csv(
        f"regmix.{split}_pile_loss_{scale}", ["index"]
    )
    weight_cols = [c for c in mix.columns if c.startswith("train_the_pile_")]
    loss_cols = [
        c for c in loss.columns if c.startswith("metric/the_pile_") and c.endswith("_val_loss")
    ]
    if not weight_cols:
        raise DataValidationError(f"{mix_source}: no 'train_the_pile_*' weight columns")
    if not loss_cols:
        raise DataValidationError(f"{loss_source}: no 'metric/the_pile_*_val_loss' columns")
    mix = mix[["index", *weight_cols]].rename(
        columns={c: "weight_" + c.removeprefix("train_the_pile_") for c in weight_cols}
    )
    loss = loss[["index", *loss_cols]].rename(
        columns={
            c: c.removeprefix("metric/the_pile_").removesuffix("_val_loss") + "_loss"
            for c in loss_cols
        }
    )
    require_positive(loss, [c for c in loss.columns if c != "index"], loss_source, where=loss_where)
    w = mix.drop(columns="index").to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any() or (np.abs(w.sum(axis=1) - 1) > 0.01).any():
        raise DataValidationError(
            f"{mix_source}: mixture weights must be non-negative and sum to 1"
        )
    merged = mix.merge(loss, on="index", how="inner", validate="one_to_one")
    if len(merged) != len(mix) or len(merged) != len(loss):
        raise DataValidationError(
            f"{mix_source}: {len(mix)} mixtures but {len(loss)} loss rows and {len(merged)} matched on 'index'"
        )
    return merged.reset_index(drop=True)
