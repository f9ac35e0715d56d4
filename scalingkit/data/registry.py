"""The registry of the papers' public data files (``data/registry.toml``), parsed once.

Each ``[[file]]`` entry pins one upstream file: its local ``path`` (the layout of the mirror and
of the cache), the ``url`` at a fixed ``commit``, its ``sha256``, ``license``, ``citation`` and
``description``. :func:`load_registry` validates the file and caches the parsed entries per
(path, modification time, size), so every loader in a process shares one parse while an edited
or a different registry (``SCALINGKIT_REGISTRY``) is still read afresh.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError, UnknownDataKeyError

__all__ = [
    "REGISTRY_ENV",
    "RegistryEntry",
    "load_registry",
    "registry_entry",
    "registry_path",
    "registry_table",
]

#: Environment variable naming another registry file (tests, private mirrors).
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


def registry_path() -> Path:
    """Path of the registry file.

    ``SCALINGKIT_REGISTRY`` overrides it; otherwise the repository's ``data/registry.toml``
    (editable installs) or the copy bundled in the wheel (``scalingkit/data/_registry.toml``).
    """
    override = os.environ.get(REGISTRY_ENV)
    if override:
        return Path(override)
    repo_copy = Path(__file__).resolve().parents[2] / "data" / "registry.toml"
    if repo_copy.is_file():
        return repo_copy
    return Path(__file__).resolve().parent / "_registry.toml"


def _parse_entries(path: Path) -> dict[str, RegistryEntry]:
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


@functools.lru_cache(maxsize=16)
def _parse_cached(path: str, mtime_ns: int, size: int) -> dict[str, RegistryEntry]:
    # keyed on the file's identity: an edited or replaced registry is parsed again
    return _parse_entries(Path(path))


def load_registry(path: str | os.PathLike[str] | None = None) -> dict[str, RegistryEntry]:
    """Read and validate the registry (parsed once per file version, then cached).

    Parameters
    ----------
    path : path-like, optional
        Registry TOML file; defaults to :func:`registry_path`.

    Returns
    -------
    dict of str to RegistryEntry
        Entries keyed by their ``key``, in file order (a fresh dict; the entries are frozen).

    Raises
    ------
    DataError
        One line naming the registry file: not found, not TOML, an entry lacking a field, a
        malformed sha256, a URL not pinned to its commit, a duplicate key, or no entries.
    """
    path = Path(path) if path is not None else registry_path()
    try:
        st = path.stat()
    except OSError:
        return _parse_entries(path)  # raises the one-line "registry file not found"
    return dict(_parse_cached(str(path.resolve()), st.st_mtime_ns, st.st_size))


def registry_entry(key: str) -> RegistryEntry:
    """Return the registry entry for ``key`` or raise :class:`UnknownDataKeyError`."""
    entries = load_registry()
    if key not in entries:
        known = ", ".join(entries)
        raise UnknownDataKeyError(
            f"unknown data key '{key}' (registry {registry_path()}); known keys: {known}"
        )
    return entries[key]


def registry_table() -> pd.DataFrame:
    """The registry as a table (one row per file), for listings and the data tour."""
    return pd.DataFrame([asdict(e) for e in load_registry().values()])
