"""Shukor et al.'s extrapolation protocol (arXiv 2507.09404v2, Sec. 2.3-4, Table 1) and variants.

The paper fits every law on its 412M / 834M / 1.1B / 1.4B runs inside Table 1's token windows
(4-20B, 7-26B, 7-36B, 13-46B) and evaluates ("Val", Table 2 / Table 8 "3B MRE(%)") on the 3B
runs at 20-100B tokens. In the SlimPajama CSV those sizes are the non-embedding counts 310M,
680M, 937M, 1.235B and 2.718B (same 60 / 40 / 40 / 20 / 4 mixtures; the mapping is derived, the
paper does not state it). Every run's last two checkpoints are identical copies (same step
count rounded, same losses); the copy is dropped so that no point counts twice.

:func:`protocol_split` labels every run ``"fit"``, ``"N=2.7B"`` (evaluated) or ``"unused"`` for
one of :data:`SPLITS`: ``"paper"`` and the sensitivity variants (our earlier choices among them).
:data:`OBJECTIVES` are the objectives compared: the paper's eq. 2.6 (mean Huber, δ = 1e-3, of
``L - L̂``, the ``shukor2025`` preset of :mod:`scalingkit.fit.presets`) and our earlier sum of
Huber on ``log L``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...data import require_columns
from ...fit import ObjectiveSpec, get_preset
from .runs import DOMAINS, loss_column, mixture_ids

__all__ = [
    "EVAL_MIN_TOKENS",
    "EVAL_SIZE",
    "OBJECTIVES",
    "SPLITS",
    "TABLE1_WINDOWS",
    "duplicate_checkpoints",
    "protocol_split",
]

#: CSV model size -> first token count of Table 1's window (paper sizes 412M, 834M, 1.1B, 1.4B).
TABLE1_WINDOWS: dict[float, float] = {310e6: 4e9, 680e6: 7e9, 937e6: 7e9, 1235e6: 13e9}
#: The evaluation size (paper 3B) and Table 1's first evaluated token count.
EVAL_SIZE = 2718e6
EVAL_MIN_TOKENS = 20e9
_SLACK = 0.01e9  # token counts such as 19.998B sit just below the printed window edges

#: Split name -> (description, fit sizes -> minimum tokens, keep the duplicate checkpoint).
SPLITS: dict[str, tuple[str, Mapping[float, float], bool]] = {
    "paper": ("paper: 310M-1.235B in Table 1's windows", TABLE1_WINDOWS, False),
    "keep_duplicate": (
        "paper, duplicate last checkpoint kept",
        TABLE1_WINDOWS,
        True,
    ),
    "all_checkpoints": (
        "310M-1.235B, every checkpoint",
        dict.fromkeys(TABLE1_WINDOWS, 0.0),
        False,
    ),
    "lt1b": (
        "N < 1B: 310M-937M in Table 1's windows",
        {s: d for s, d in TABLE1_WINDOWS.items() if s < 1e9},
        False,
    ),
    "plus_122m": (
        "paper + 122M (D >= 4B)",
        {122e6: 4e9, **TABLE1_WINDOWS},
        False,
    ),
    "notebook": (
        "earlier notebook: 122M-937M, every checkpoint",
        {122e6: 0.0, 310e6: 0.0, 680e6: 0.0, 937e6: 0.0},
        True,
    ),
}

_PRESET = get_preset("shukor2025")
#: Objective name -> (description, :class:`~scalingkit.fit.ObjectiveSpec`).
OBJECTIVES: dict[str, tuple[str, ObjectiveSpec]] = {
    "paper": ("eq. 2.6: mean Huber(L - L̂)", _PRESET.objective),
    "log_sum": (
        "earlier: sum Huber(log L - log L̂)",
        ObjectiveSpec(huber_delta=_PRESET.objective.huber_delta, reduction="sum"),
    ),
}


def duplicate_checkpoints(df: pd.DataFrame) -> pd.Series:
    """True for a run's last checkpoint when its losses equal those of the one before."""
    cols = [loss_column(d) for d in DOMAINS]
    require_columns(df, ["params", "tokens", *cols], "duplicate_checkpoints")
    mix = df["mixture"] if "mixture" in df else mixture_ids(df)
    order = np.lexsort((df["tokens"].to_numpy(), mix.to_numpy(), df["params"].to_numpy()))
    s = df.iloc[order]
    key = list(zip(s["params"], mix.iloc[order], strict=True))
    same_run = np.r_[False, [a == b for a, b in zip(key[1:], key[:-1], strict=True)]]
    last = np.r_[~np.asarray(same_run[1:]), True]
    v = s[cols].to_numpy(float)
    prev = np.vstack([np.full(len(cols), np.nan), v[:-1]])
    equal = np.all((v == prev) | (np.isnan(v) & np.isnan(prev)), axis=1)
    dup = np.zeros(len(df), bool)
    dup[order] = same_run & last & equal
    return pd.Series(dup, index=df.index, name="duplicate")


def protocol_split(df: pd.DataFrame, split: str = "paper") -> pd.DataFrame:
    """A copy of ``df`` with ``mixture``, ``duplicate`` and ``split`` for the named split.

    ``split`` is ``"fit"`` for the fitted points, ``"N=2.7B"`` for the evaluated 2.718B points
    (D >= 20B; the duplicate checkpoint dropped unless the split keeps it, and for the
    ``"notebook"`` split every 2.718B point) and ``"unused"`` otherwise.
    """
    if split not in SPLITS:
        raise ValueError(f"split: expected one of {', '.join(SPLITS)}, got {split!r}")
    require_columns(df, ["params", "tokens"], "protocol_split")
    _, windows, keep_dup = SPLITS[split]
    out = df.copy()
    out["mixture"] = mixture_ids(out)
    out["duplicate"] = duplicate_checkpoints(out)
    N, D = out["params"].to_numpy(float), out["tokens"].to_numpy(float)
    fit = np.zeros(len(out), bool)
    for size, d_min in windows.items():
        fit |= np.isclose(N, size, rtol=1e-6) & (D >= d_min - _SLACK)
    ev = np.isclose(N, EVAL_SIZE, rtol=1e-6)
    if split != "notebook":
        ev &= D >= EVAL_MIN_TOKENS - _SLACK
    if not keep_dup:
        fit &= ~out["duplicate"].to_numpy()
        ev &= ~out["duplicate"].to_numpy()
    lab = np.full(len(out), "unused", dtype=object)
    lab[fit] = "fit"
    lab[ev] = "N=2.7B"
    out["split"] = lab
    return out
