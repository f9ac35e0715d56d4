"""Workbook "Data tour": the public runs behind every workbook, one view of each.

``from scalingkit.workbooks import data_tour as wb`` gives ``wb.figures`` (imported on first
use). No knob depends on the mode (:data:`MODE_DEFAULTS` is empty).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["MODE_DEFAULTS"]

#: Defaults of the knobs that depend on the mode: none in this workbook.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {}


def __getattr__(name: str) -> Any:
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
