"""Registry of the papers' public data files, hash-verified fetching, and typed loaders.

Every file scalingkit reads is listed in ``data/registry.toml`` with its upstream URL pinned to a
commit, its sha256, license and citation. :func:`fetch` returns a local path to a verified copy:

1. if the environment variable ``SCALINGKIT_DATA_DIR`` is set, the file is taken from that local
   mirror (same relative layout as the registry's ``path``) and its sha256 is checked;
2. otherwise it is downloaded once with :mod:`pooch` into the cache directory
   (``SCALINGKIT_CACHE_DIR``, default: the OS cache dir) and verified there.

Loaders return tidy :class:`pandas.DataFrame` objects with documented columns and units, and
raise :class:`DataValidationError` (one line naming the file and column) on malformed input.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import (
    DataError,
    DataUnavailableError,
    DataValidationError,
    HashMismatchError,
    UnknownDataKeyError,
)

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "DataError",
    "DataUnavailableError",
    "DataValidationError",
    "HashMismatchError",
    "RegistryEntry",
    "UnknownDataKeyError",
    "cache_dir",
    "data_dir",
    "fetch",
    "file_sha256",
    "load_chinchilla",
    "load_loss_to_loss_extrapolation",
    "load_loss_to_loss_opt_params",
    "load_loss_to_loss_sweep",
    "load_registry",
    "load_regmix",
    "load_slimpajama_mixtures",
    "registry_entry",
    "registry_path",
    "require_columns",
    "require_positive",
    "used_files",
    "verify",
]

DATA_DIR_ENV = "SCALINGKIT_DATA_DIR"
CACHE_DIR_ENV = "SCALINGKIT_CACHE_DIR"
REGISTRY_ENV = "SCALINGKIT_REGISTRY"

_REQUIRED_FIELDS = (
    "key",
    "path",
    "repository",
    "commit",
    "upstream_path",
    "url",
    "sha256",
    "license",
    "citation",
    "description",
)

# Files verified in this process, in the order they were first loaded: key -> provenance.
_USED: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class RegistryEntry:
    """One upstream file: where it comes from, how to check it, and how to cite it."""

    key: str
    path: str
    repository: str
    commit: str
    upstream_path: str
    url: str
    sha256: str
    license: str
    citation: str
    description: str


# ---------------------------------------------------------------------------------------------
# Registry


def registry_path() -> Path:
    """Path of the registry file.

    ``SCALINGKIT_REGISTRY`` overrides it; otherwise the repository's ``data/registry.toml``
    (editable installs) or the copy bundled in the wheel.
    """
    override = os.environ.get(REGISTRY_ENV)
    if override:
        return Path(override)
    repo_copy = Path(__file__).resolve().parents[2] / "data" / "registry.toml"
    if repo_copy.is_file():
        return repo_copy
    return Path(__file__).resolve().parent / "_registry.toml"


def load_registry(path: str | os.PathLike[str] | None = None) -> dict[str, RegistryEntry]:
    """Read and validate the registry.

    Parameters
    ----------
    path : path-like, optional
        Registry TOML file; defaults to :func:`registry_path`.

    Returns
    -------
    dict of str to RegistryEntry
        Entries keyed by their ``key``, in file order.
    """
    path = Path(path) if path is not None else registry_path()
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise DataError(f"{path}: registry file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from None
    entries: dict[str, RegistryEntry] = {}
    for i, item in enumerate(raw.get("file", [])):
        missing = [f for f in _REQUIRED_FIELDS if not str(item.get(f, "")).strip()]
        if missing:
            raise DataError(f"{path}: entry {i} lacks field(s) {', '.join(missing)}")
        sha = item["sha256"].lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise DataError(f"{path}: entry '{item['key']}' has a malformed sha256")
        if item["commit"] not in item["url"]:
            raise DataError(f"{path}: entry '{item['key']}' url is not pinned to its commit")
        if item["key"] in entries:
            raise DataError(f"{path}: duplicate key '{item['key']}'")
        entries[item["key"]] = RegistryEntry(**{f: str(item[f]) for f in _REQUIRED_FIELDS})
    if not entries:
        raise DataError(f"{path}: registry lists no [[file]] entries")
    return entries


def registry_entry(key: str) -> RegistryEntry:
    """Return the registry entry for ``key`` or raise :class:`UnknownDataKeyError`."""
    entries = load_registry()
    if key not in entries:
        known = ", ".join(entries)
        raise UnknownDataKeyError(
            f"unknown data key '{key}' (registry {registry_path()}); known keys: {known}"
        )
    return entries[key]


# ---------------------------------------------------------------------------------------------
# Fetching


def data_dir() -> Path | None:
    """The local mirror named by ``SCALINGKIT_DATA_DIR``, or ``None`` when unset."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """Download cache: ``SCALINGKIT_CACHE_DIR`` or the OS cache directory for scalingkit."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    import pooch

    return Path(pooch.os_cache("scalingkit"))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record_use(entry: RegistryEntry, path: Path) -> None:
    _USED.setdefault(
        entry.key,
        {
            "key": entry.key,
            "path": entry.path,
            "sha256": entry.sha256,
            "url": entry.url,
            "local": str(path),
        },
    )


def fetch(key: str) -> Path:
    """Return the local path of a hash-verified copy of a registry file.

    Parameters
    ----------
    key : str
        Registry key, e.g. ``"chinchilla"``.

    Returns
    -------
    pathlib.Path
        The verified file (in the mirror, or in the cache).

    Raises
    ------
    UnknownDataKeyError
        ``key`` is not in the registry.
    HashMismatchError
        The file's sha256 differs from the registry (a cached or downloaded copy is deleted).
    DataUnavailableError
        The mirror lacks the file, or the download failed (offline without a mirror).
    """
    entry = registry_entry(key)
    mirror = data_dir()
    if mirror is not None:
        path = mirror / entry.path
        if not path.is_file():
            raise DataUnavailableError(
                f"{path}: not found in the mirror {DATA_DIR_ENV}={mirror}; "
                f"copy {entry.url} there or unset {DATA_DIR_ENV} to download it"
            )
        actual = file_sha256(path)
        if actual != entry.sha256:
            raise HashMismatchError(
                f"{path}: sha256 {actual[:12]}… does not match the registry's {entry.sha256[:12]}…; "
                f"replace it with the upstream file {entry.url}"
            )
        _record_use(entry, path)
        return path

    cache = cache_dir()
    path = cache / entry.path
    if path.is_file() and file_sha256(path) != entry.sha256:
        path.unlink()  # a corrupt cached copy is never kept: download it again below
    if not path.is_file():
        _download(entry, cache)
    _record_use(entry, path)
    return path


def _download(entry: RegistryEntry, cache: Path) -> None:
    import pooch

    target = cache / entry.path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # pooch downloads to a temporary file and moves it in place only if the hash matches.
        pooch.retrieve(
            url=entry.url,
            known_hash=f"sha256:{entry.sha256}",
            fname=target.name,
            path=target.parent,
            progressbar=False,
        )
    except ValueError as exc:
        if "hash" in str(exc).lower():
            if target.exists():
                target.unlink()
            raise HashMismatchError(
                f"{target}: downloaded file from {entry.url} does not match the registry's sha256 "
                f"{entry.sha256[:12]}… (not kept); the upstream file changed or the download was corrupted"
            ) from None
        raise
    except Exception as exc:  # network errors come from requests / urllib under several names
        raise DataUnavailableError(
            f"{entry.path}: could not download {entry.url} ({type(exc).__name__}); "
            f"offline? set {DATA_DIR_ENV} to a local mirror with the same layout (e.g. ../shared/data)"
        ) from None


def verify(keys: Iterable[str] | None = None) -> pd.DataFrame:
    """Hash-check registry files without raising.

    Parameters
    ----------
    keys : iterable of str, optional
        Keys to check; all registry keys by default.

    Returns
    -------
    pandas.DataFrame
        One row per key: ``key``, ``path``, ``ok`` (bool), ``message``.
    """
    rows = []
    for key in keys if keys is not None else load_registry():
        try:
            path = fetch(key)
            rows.append({"key": key, "path": str(path), "ok": True, "message": "sha256 ok"})
        except DataError as exc:
            rows.append({"key": key, "path": "", "ok": False, "message": str(exc)})
    return pd.DataFrame(rows, columns=["key", "path", "ok", "message"])


def used_files() -> list[dict[str, str]]:
    """Provenance of every registry file verified in this process (key, path, sha256, url)."""
    return [dict(v) for v in _USED.values()]


def registry_table() -> pd.DataFrame:
    """The registry as a table (one row per file), for listings and the data tour."""
    return pd.DataFrame([asdict(e) for e in load_registry().values()])


# ---------------------------------------------------------------------------------------------
# Validation


def require_columns(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise :class:`DataValidationError` if any of ``columns`` is missing from ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"{source}: missing expected column(s) {', '.join(repr(c) for c in missing)}"
        )


def require_positive(
    df: pd.DataFrame, columns: Sequence[str], source: str, *, allow_missing: bool = False
) -> None:
    """Raise :class:`DataValidationError` unless ``columns`` hold finite, positive numbers.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    columns : sequence of str
        Columns a power law takes logarithms of.
    source : str
        File name or description used in the message.
    allow_missing : bool
        If True, NaN is accepted (a run missing that value); infinities and non-positive
        numbers are still rejected.
    """
    require_columns(df, columns, source)
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        nonnumeric = df[col].notna().to_numpy() & np.isnan(values)
        bad = nonnumeric | np.isinf(values) | (values <= 0)
        if not allow_missing:
            bad |= np.isnan(values)
        if bad.any():
            rows = np.flatnonzero(bad)
            shown = ", ".join(str(int(r)) for r in rows[:5]) + (" …" if rows.size > 5 else "")
            raise DataValidationError(
                f"{source}: column '{col}' has {rows.size} non-finite or non-positive value(s) "
                f"(rows {shown}); a power law needs finite positive values"
            )


def _read_registered_csv(key: str, required: Sequence[str]) -> tuple[pd.DataFrame, str]:
    path = fetch(key)
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not a readable CSV ({exc})") from None
    require_columns(df, required, str(path))
    return df, str(path)


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
    df, source = _read_registered_csv("chinchilla", ["Model Size", "Training FLOP", "loss"])
    out = pd.DataFrame(
        {
            "params": df["Model Size"].astype(float),
            "flops": df["Training FLOP"].astype(float),
            "loss": df["loss"].astype(float),
        }
    )
    require_positive(out, ["params", "flops", "loss"], source)
    out.insert(1, "tokens", out["flops"] / (6.0 * out["params"]))
    return out[["params", "tokens", "flops", "loss"]]


_L2L_REQUIRED = ["name", "data", "params", "tokens", "flops"]


def _load_loss_to_loss_runs(key: str) -> pd.DataFrame:
    df, source = _read_registered_csv(key, _L2L_REQUIRED)
    require_positive(df, ["params", "tokens", "flops"], source)
    loss_cols = [c for c in df.columns if c.endswith("CrossEntropyLoss") or c.endswith("ce_loss")]
    require_positive(df, loss_cols, source, allow_missing=True)
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
    df, source = _read_registered_csv(
        "loss_to_loss.opt_params",
        ["A", "B", "E", "alpha", "beta", "loss", "kaplan", "data", "loss_name"],
    )
    require_positive(df, ["A", "B", "alpha", "beta"], source)
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
    df, source = _read_registered_csv(
        "mixtures.slimpajama", [*weights, "model_size", "n_tokens", *losses]
    )
    df = df.rename(columns={"model_size": "params", "n_tokens": "tokens"})
    require_positive(df, ["params", "tokens"], source)
    require_positive(df, losses, source, allow_missing=True)
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
    mix, mix_source = _read_registered_csv(f"regmix.{split}_mixture_{scale}", ["index"])
    loss, loss_source = _read_registered_csv(f"regmix.{split}_pile_loss_{scale}", ["index"])
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
    require_positive(loss, [c for c in loss.columns if c != "index"], loss_source)
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
