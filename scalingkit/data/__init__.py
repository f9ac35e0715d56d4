"""Registry of the papers' public data files, hash-verified fetching, validation and loaders.

Every file scalingkit reads is listed in ``data/registry.toml`` with its upstream URL pinned to a
commit, its sha256, license and citation. :func:`fetch` returns a local path to a verified copy:

1. if the environment variable ``SCALINGKIT_DATA_DIR`` is set, the file is taken from that local
   mirror (same relative layout as the registry's ``path``) and its sha256 is checked;
2. otherwise it is downloaded once with :mod:`pooch` into the cache directory
   (``SCALINGKIT_CACHE_DIR``, default: the OS cache dir) and verified there.

Loaders return tidy :class:`pandas.DataFrame` objects with documented columns and units, and
raise :class:`DataValidationError` (one line naming the file, column and line) on malformed
input.

Submodules
----------
registry   :class:`RegistryEntry`, the registry file and its cached parse
fetch      :class:`DataStore` (registry + mirror + cache + environment), :func:`fetch`, :func:`verify`
           (the function :func:`fetch` shadows the submodule's name here: import from
           ``scalingkit.data``, or ``from scalingkit.data.fetch import DataStore``)
validate   the one validation helper and its message shape (``require_columns`` ...)
loaders    every ``load_*`` of the registry's files (and ``MIXTURE_DOMAINS``)
corpora    the loss-to-loss sweep's corpora, loss names and columns (``data.corpora.CORPORA``)
datasets   offline real data sets of the pruning workbook (:func:`load_real`, :func:`load_mnist1d`)
"""

from ..errors import (
    DataError,
    DataUnavailableError,
    DataValidationError,
    HashMismatchError,
    UnknownDataKeyError,
)
from . import corpora
from .datasets import MNIST1D_LENGTH, REAL_DATASETS, RealData, load_mnist1d, load_real
from .fetch import (
    CACHE_DIR_ENV,
    DATA_DIR_ENV,
    DataStore,
    Location,
    cache_dir,
    data_dir,
    fetch,
    file_sha256,
    pin_environment,
    resolve_dir,
    used_files,
    verify,
)
from .loaders import (
    MIXTURE_DOMAINS,
    load_chinchilla,
    load_loss_to_loss_extrapolation,
    load_loss_to_loss_opt_params,
    load_loss_to_loss_sweep,
    load_regmix,
    load_slimpajama_mixtures,
)
from .registry import (
    REGISTRY_ENV,
    RegistryEntry,
    load_registry,
    registry_entry,
    registry_path,
    registry_table,
)
from .validate import (
    check_values,
    classify_values,
    csv_line_numbers,
    require_columns,
    require_finite,
    require_numeric,
    require_positive,
    validation_error,
)

__all__ = [
    "CACHE_DIR_ENV",
    "DATA_DIR_ENV",
    "MIXTURE_DOMAINS",
    "MNIST1D_LENGTH",
    "REAL_DATASETS",
    "REGISTRY_ENV",
    "DataError",
    "DataStore",
    "DataUnavailableError",
    "DataValidationError",
    "HashMismatchError",
    "Location",
    "RealData",
    "RegistryEntry",
    "UnknownDataKeyError",
    "cache_dir",
    "check_values",
    "classify_values",
    "corpora",
    "csv_line_numbers",
    "data_dir",
    "fetch",
    "file_sha256",
    "load_chinchilla",
    "load_loss_to_loss_extrapolation",
    "load_loss_to_loss_opt_params",
    "load_loss_to_loss_sweep",
    "load_mnist1d",
    "load_real",
    "load_registry",
    "load_regmix",
    "load_slimpajama_mixtures",
    "pin_environment",
    "registry_entry",
    "registry_path",
    "registry_table",
    "require_columns",
    "require_finite",
    "require_numeric",
    "require_positive",
    "resolve_dir",
    "used_files",
    "validation_error",
    "verify",
]

# A relative SCALINGKIT_DATA_DIR / SCALINGKIT_CACHE_DIR is resolved now, before any notebook
# changes directory, and written back as an absolute path (inherited by child processes).
pin_environment()
