"""Provenance: what produced a notebook's numbers (package versions, git commit, data files)."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from .. import data as _data

__all__ = ["PACKAGES", "git_commit", "provenance", "provenance_dict"]

#: Distributions whose versions are recorded with every result.
PACKAGES = (
    "scalingkit",
    "numpy",
    "scipy",
    "pandas",
    "xarray",
    "statsmodels",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "papermill",
    "pooch",
)


def git_commit() -> str:
    """Commit of the scalingkit checkout, marked when it has uncommitted changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes)" if dirty else "")


def provenance_dict() -> dict[str, Any]:
    """``git_commit``, ``packages`` (name -> version) and ``data_files`` used so far."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"git_commit": git_commit(), "packages": versions, "data_files": _data.used_files()}


def provenance() -> pd.DataFrame:
    """What produced this notebook's numbers: package versions, git commit, data sha256s."""
    prov = provenance_dict()
    rows = [("git commit", "scalingkit", prov["git_commit"])]
    rows += [("package", k, v) for k, v in prov["packages"].items()]
    rows += [
        ("data file", f["key"], f"{f['path']} sha256={f['sha256']}") for f in prov["data_files"]
    ]
    return pd.DataFrame(rows, columns=["kind", "name", "value"])
