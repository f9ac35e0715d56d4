"""nbval runs of the notebooks write their results, so that one run serves two checks.

Every notebook nbval executes (quick mode, the defaults) writes its results sidecar to a
temporary folder named by ``$SCALINGKIT_NBVAL_RESULTS_DIR``; after the last notebook,
``tests/test_targets_recorded.py::test_quick_runs_record_every_target`` (moved to the end of the
run here) checks that every quick-mode target of every notebook was recorded. No notebook is run
twice for it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from scalingkit.reporting.recording import RESULTS_ENV

DIR_ENV = "SCALINGKIT_NBVAL_RESULTS_DIR"
CHECK = "test_targets_recorded.py::test_quick_runs_record_every_target"
_DIR = Path(tempfile.mkdtemp(prefix="scalingkit-nbval-results-"))
os.environ[DIR_ENV] = str(_DIR)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the quick-mode coverage check after every notebook."""
    last = [it for it in items if it.nodeid.endswith(CHECK)]
    items[:] = [it for it in items if not it.nodeid.endswith(CHECK)] + last


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's kernel starts (its first cell), point its ``report.save()`` at
    ``<dir>/<stem>.results.json``; the kernel inherits the environment when it starts."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ[RESULTS_ENV] = str(_DIR / f"{path.stem}.results.json")


def pytest_unconfigure(config: pytest.Config) -> None:
    os.environ.pop(RESULTS_ENV, None)
    shutil.rmtree(_DIR, ignore_errors=True)
