"""One number formatter for every page, notebook table and text table scalingkit writes."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["fmt"]


def fmt(
    value: Any,
    digits: int = 4,
    *,
    missing: str = "",
    bools: tuple[str, str] | None = ("yes", "no"),
) -> str:
    """Format a number with ``digits`` significant digits (``f"{v:.{digits}g}"``).

    Parameters
    ----------
    value : any
        A real number is formatted; anything else is ``str(value)``.
    digits : int
        Significant digits of real numbers (integers too: ``1234567`` with 4 digits is
        ``1.235e+06``).
    missing : str
        Text for ``None`` and NaN (the index and sweep pages leave the cell empty; the fit's text
        table says ``nan``). Infinities are ``inf`` / ``-inf``.
    bools : (str, str) or None
        Text for True and False; None formats them as ``True`` / ``False``.

    >>> fmt(0.000123456), fmt(float("nan")), fmt(None, missing="nan"), fmt(True), fmt("a")
    ('0.0001235', '', 'nan', 'yes', 'a')
    """
    if value is None:
        return missing
    if isinstance(value, bool):
        return str(value) if bools is None else bools[0 if value else 1]
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        return missing if math.isnan(v) else f"{v:.{digits}g}"
    return str(value)
