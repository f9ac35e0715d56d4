"""Hash-verified local copies of registry files: one :class:`DataStore` owns the decisions.

After pooch: one object owns the registry, the mirror and cache directories and the
environment overrides, and the *decisions* (which local path, which URL, whether a file is
good) are pure functions of those, kept apart from the I/O (hashing, downloading, deleting).

:func:`fetch` returns a local path to a verified copy of a registry file:

1. if ``SCALINGKIT_DATA_DIR`` is set, the file is taken from that local mirror (same relative
   layout as the registry's ``path``) and its sha256 is checked;
2. otherwise it is downloaded once with :mod:`pooch` into the cache directory
   (``SCALINGKIT_CACHE_DIR``, default: the OS cache dir) and verified there.

A relative ``SCALINGKIT_DATA_DIR`` / ``SCALINGKIT_CACHE_DIR`` (e.g. ``../shared/data``) is made
absolute the first time it is read (when :mod:`scalingkit.data` is imported) against the
current directory, and written back to ``os.environ``: a later ``chdir`` and every child process
(papermill kernels run in a temporary folder) then see the same directory.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ..errors import DataError, DataUnavailableError, HashMismatchError, UnknownDataKeyError
from .registry import REGISTRY_ENV, RegistryEntry, load_registry, registry_path

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "DataStore",
    "Location",
    "cache_dir",
    "data_dir",
    "fetch",
    "file_sha256",
    "pin_environment",
    "resolve_dir",
    "used_files",
    "verify",
]

DATA_DIR_ENV = "SCALINGKIT_DATA_DIR"
CACHE_DIR_ENV = "SCALINGKIT_CACHE_DIR"

# Files verified in this process, in the order they were first loaded: key -> provenance.
_USED: dict[str, dict[str, str]] = {}


# ---------------------------------------------------------------------------------------------
# Pure decisions


def resolve_dir(value: str | None, cwd: str | os.PathLike[str]) -> Path | None:
    """The directory named by an environment value: ``None`` if unset or blank, else absolute.

    ``~`` is expanded and a relative value is taken relative to ``cwd`` (pure: no I/O).
    """
    text = (value or "").strip()
    if not text:
        return None
    path = Path(text).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else Path(cwd) / path))


@dataclass(frozen=True)
class Location:
    """Where a registry file lives locally and where it comes from.

    Attributes
    ----------
    key : str
    path : pathlib.Path
        The local copy (in the mirror or in the cache).
    source : {"mirror", "cache"}
        ``mirror``: must already exist (never downloaded); ``cache``: downloaded if absent.
    url : str
        The pinned upstream URL.
    sha256 : str
        The expected hash.
    """

    key: str
    path: Path
    source: Literal["mirror", "cache"]
    url: str
    sha256: str


# ---------------------------------------------------------------------------------------------
# I/O helpers


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


def _download(entry: RegistryEntry, target: Path) -> None:
    import pooch

    target.parent.mkdir(parents=True, exist_ok=True)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(
        "WARNING"
    )  # no "Downloading data from ..." line, e.g. before an offline failure
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
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------------------------------------
# The store


class DataStore:
    """Registry + mirror directory + cache directory: everything :func:`fetch` decides on.

    Parameters
    ----------
    registry : mapping of str to RegistryEntry
        The entries (see :func:`~scalingkit.data.load_registry`).
    data_dir : path-like, optional
        Offline mirror; when given, files come only from there (never downloaded).
    cache_dir : path-like, optional
        Download cache, used when there is no mirror (default: pooch's OS cache dir).
    registry_file : path-like, optional
        Where ``registry`` was read from (named in error messages).

    Examples
    --------
    >>> store = DataStore.from_env()                                  # doctest: +SKIP
    >>> store.locate("chinchilla").path                               # doctest: +SKIP
    PosixPath('/work/shared/data/chinchilla/svg_extracted_data.csv')
    """

    def __init__(
        self,
        registry: Mapping[str, RegistryEntry],
        *,
        data_dir: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        registry_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.registry = dict(registry)
        self.data_dir = None if data_dir is None else Path(data_dir)
        self._cache_dir = None if cache_dir is None else Path(cache_dir)
        self.registry_file = None if registry_file is None else Path(registry_file)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DataStore:
        """The store described by the environment (``SCALINGKIT_REGISTRY``, ``_DATA_DIR``,
        ``_CACHE_DIR``); read on every call, so a changed environment takes effect."""
        env = os.environ if environ is None else environ
        return cls(
            load_registry(),
            data_dir=data_dir(env),
            cache_dir=cache_dir(env, default=False),
            registry_file=registry_path(),
        )

    @property
    def cache_dir(self) -> Path:
        """The download cache (pooch's OS cache dir for scalingkit unless given)."""
        if self._cache_dir is None:
            import pooch

            self._cache_dir = Path(pooch.os_cache("scalingkit"))
        return self._cache_dir

    # ---- pure decisions --------------------------------------------------------------------
    def entry(self, key: str) -> RegistryEntry:
        """The registry entry of ``key`` or :class:`UnknownDataKeyError` naming the known keys."""
        if key not in self.registry:
            known = ", ".join(self.registry)
            where = f" (registry {self.registry_file})" if self.registry_file else ""
            raise UnknownDataKeyError(f"unknown data key '{key}'{where}; known keys: {known}")
        return self.registry[key]

    def locate(self, key: str) -> Location:
        """Which local path holds ``key`` and from which URL it would come (no I/O)."""
        e = self.entry(key)
        if self.data_dir is not None:
            return Location(key, self.data_dir / e.path, "mirror", e.url, e.sha256)
        return Location(key, self.cache_dir / e.path, "cache", e.url, e.sha256)

    @staticmethod
    def is_valid(location: Location, actual_sha256: str) -> bool:
        """Whether a file with hash ``actual_sha256`` is the registered file."""
        return actual_sha256 == location.sha256

    # ---- I/O ------------------------------------------------------------------------------
    def fetch(self, key: str) -> Path:
        """Local path of a hash-verified copy of ``key`` (see :func:`fetch`)."""
        loc = self.locate(key)
        entry = self.entry(key)
        path = loc.path
        if loc.source == "mirror":
            if not path.is_file():
                raise DataUnavailableError(
                    f"{path}: not found in the mirror {DATA_DIR_ENV}={self.data_dir}; "
                    f"copy {entry.url} there or unset {DATA_DIR_ENV} to download it"
                )
            actual = file_sha256(path)
            if not self.is_valid(loc, actual):
                raise HashMismatchError(
                    f"{path}: sha256 {actual[:12]}… does not match the registry's "
                    f"{entry.sha256[:12]}…; replace it with the upstream file {entry.url}"
                )
            _record_use(entry, path)
            return path
        if path.is_file() and not self.is_valid(loc, file_sha256(path)):
            path.unlink()  # a corrupt cached copy is never kept: download it again below
        if not path.is_file():
            _download(entry, path)
        _record_use(entry, path)
        return path

    def verify(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Hash-check files without raising: one row per key (``key, path, ok, message``)."""
        rows = []
        for key in keys if keys is not None else self.registry:
            try:
                path = self.fetch(key)
                rows.append({"key": key, "path": str(path), "ok": True, "message": "sha256 ok"})
            except DataError as exc:
                rows.append({"key": key, "path": "", "ok": False, "message": str(exc)})
        return pd.DataFrame(rows, columns=["key", "path", "ok", "message"])

    def __repr__(self) -> str:
        where = f"mirror={self.data_dir}" if self.data_dir else f"cache={self._cache_dir}"
        return f"DataStore({len(self.registry)} files, {where})"


# ---------------------------------------------------------------------------------------------
# Environment


def _env_dir(name: str, environ: Mapping[str, str] | None) -> Path | None:
    env = os.environ if environ is None else environ
    path = resolve_dir(env.get(name), os.getcwd())
    if path is not None and isinstance(env, MutableMapping) and env.get(name) != str(path):
        env[name] = str(path)  # pin it: later reads (after a chdir) and child processes agree
    return path


def data_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The local mirror named by ``SCALINGKIT_DATA_DIR`` (absolute), or ``None`` when unset.

    A relative value is resolved against the current directory and written back to the
    environment as an absolute path, so it keeps naming the same folder after a ``chdir``.
    """
    return _env_dir(DATA_DIR_ENV, environ)


def cache_dir(environ: Mapping[str, str] | None = None, *, default: bool = True) -> Path | None:
    """Download cache: ``SCALINGKIT_CACHE_DIR`` (absolute, pinned like :func:`data_dir`) or,
    with ``default=True``, the OS cache directory for scalingkit (else ``None``)."""
    path = _env_dir(CACHE_DIR_ENV, environ)
    if path is None and default:
        import pooch

        return Path(pooch.os_cache("scalingkit"))
    return path


def pin_environment(environ: MutableMapping[str, str] | None = None) -> None:
    """Make relative ``SCALINGKIT_DATA_DIR`` / ``SCALINGKIT_CACHE_DIR`` / ``SCALINGKIT_REGISTRY``
    absolute, in place.

    Called when :mod:`scalingkit.data` is imported, i.e. before any notebook changes directory.
    """
    data_dir(environ)
    cache_dir(environ, default=False)
    _env_dir(REGISTRY_ENV, environ)


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
    return DataStore.from_env().fetch(key)


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
    return DataStore.from_env().verify(keys)


def used_files() -> list[dict[str, str]]:
    """Provenance of every registry file verified in this process (key, path, sha256, url)."""
    return [dict(v) for v in _USED.values()]
