"""A sweep's points on disk: ``points/<key>/point.json`` and the rules for reusing one.

A stored point is reused only if it finished ``ok`` with the same notebook text (sha256), mode,
fixed parameters, scalingkit version and swept values; anything else runs again.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..._io import atomic_write_many
from ..._version import __version__
from .grid import SweepPoint

__all__ = ["POINT_FILE", "point_folder", "read_point", "reusable", "sweep_identity", "write_point"]

POINT_FILE = "point.json"


def sweep_identity(notebook_text: str, mode: str | None, fixed: Mapping[str, Any]) -> dict:
    """What a stored point must share with this run to be reused (besides its swept values)."""
    return {
        "notebook_sha256": hashlib.sha256(notebook_text.encode("utf-8")).hexdigest(),
        "mode": mode,
        "fixed": dict(fixed),
        "scalingkit_version": __version__,
    }


def point_folder(folder: Path, point: SweepPoint) -> Path:
    """``<sweep folder>/points/<key>``."""
    return folder / "points" / point.key


def read_point(folder: Path) -> dict[str, Any] | None:
    """The stored ``point.json`` of a point folder (None if absent or unreadable)."""
    try:
        return json.loads((folder / POINT_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def reusable(stored: dict[str, Any] | None, identity: Mapping[str, Any]) -> bool:
    """Whether ``stored`` finished ok and matches every item of ``identity``."""
    return (
        stored is not None
        and stored.get("status") == "ok"
        and all(stored.get(k) == v for k, v in identity.items())
    )


def write_point(
    folder: Path,
    stem: str,
    point: SweepPoint,
    identity: Mapping[str, Any],
    outcome: Mapping[str, Any],
) -> dict[str, Any]:
    """Write one finished point (``point.json``, executed notebook, HTML) atomically.

    Files of an earlier run of the point that this outcome lacks are removed. Returns the
    ``point.json`` payload.
    """
    payload = {
        **identity,
        "notebook": stem,
        "swept": point.swept,
        "status": "ok" if outcome["ok"] else "failed",
        "error": outcome["error"],
        "seconds": outcome["seconds"],
        "host": outcome.get("host", ""),
        "worker": outcome.get("worker", ""),
        "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "results": outcome["results"],
    }
    where = point_folder(folder, point)
    files: dict[Path, str] = {where / POINT_FILE: json.dumps(payload, indent=2) + "\n"}
    if outcome.get("ipynb"):
        files[where / f"{stem}.ipynb"] = outcome["ipynb"]
    if outcome.get("html"):
        files[where / f"{stem}.html"] = outcome["html"]
    for stale in (where / f"{stem}.ipynb", where / f"{stem}.html"):
        if stale not in files and stale.exists():  # from an earlier run of this point
            stale.unlink()
    atomic_write_many(files)
    return payload
