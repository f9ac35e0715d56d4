"""Test set-up: every test (and every notebook nbval runs) reads data from a local mirror.

``SCALINGKIT_DATA_DIR`` is taken as set; otherwise the offline mirror ``../shared/data`` beside the
project root is used. No test touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
_DEFAULT_MIRROR = ROOT.parent / "shared" / "data"

if not os.environ.get("SCALINGKIT_DATA_DIR") and _DEFAULT_MIRROR.is_dir():
    os.environ["SCALINGKIT_DATA_DIR"] = str(_DEFAULT_MIRROR)
# Results of notebooks run by nbval are not written anywhere.
os.environ.pop("SCALINGKIT_RESULTS_FILE", None)


def pytest_sessionstart(session: pytest.Session) -> None:
    mirror = os.environ.get("SCALINGKIT_DATA_DIR")
    if not mirror or not Path(mirror).is_dir():
        raise pytest.UsageError(
            "tests run offline: set SCALINGKIT_DATA_DIR to a mirror of the registry files "
            f"(e.g. {_DEFAULT_MIRROR}, or the cache filled by `scalingkit data fetch`)"
        )


@pytest.fixture
def mirror_dir() -> Path:
    """The offline data mirror the tests read from."""
    return Path(os.environ["SCALINGKIT_DATA_DIR"])
