"""Workbook "Data tour": the public runs behind every workbook, one view of each.

``from scalingkit.workbooks import data_tour as wb`` gives ``wb.figures`` and ``wb.regmix``
(imported on first use). No knob depends on the mode (:data:`MODE_DEFAULTS` is empty). Its
``targets.toml`` holds checks of the data (source kind ``sanity``), not paper values.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["MODE_DEFAULTS"]

#: Defaults of the knobs that depend on the mode: none in this workbook.
MODE_DEFAULTS: dict[str, dict[str, Any]] = {}


def __getattr__(name: str) -> Any:
    if name in ("figures", "regmix"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
