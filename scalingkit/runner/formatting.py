"""The one number formatter, :func:`scalingkit.reporting.formatting.fmt`, for the runner's pages.

It lives in :mod:`scalingkit.reporting` because notebooks format their verdict tables and prose
with it too; the runner re-exports it here.
"""

from __future__ import annotations

from ..reporting.formatting import fmt

__all__ = ["fmt"]
