"""The JSON sanitiser shared by fits, user fits and reports."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import numpy as np
import pytest

from scalingkit import fit
from scalingkit._io import to_jsonable


class _Colour(StrEnum):
    RED = "red"


def test_to_jsonable_converts_numpy_paths_enums_and_non_finite():
    value = {
        "a": np.float64(1.5),
        "b": np.int32(3),
        "c": np.bool_(True),
        "d": np.array([[1.0, np.nan], [np.inf, 2.0]]),
        "e": (1, "x", None),
        "f": Path("/tmp/x.csv"),
        "g": _Colour.RED,
        2: [np.float32(0.5)],
    }
    out = to_jsonable(value)
    assert out == {
        "a": 1.5,
        "b": 3,
        "c": True,
        "d": [[1.0, None], [None, 2.0]],
        "e": [1, "x", None],
        "f": "/tmp/x.csv",
        "g": "red",
        "2": [0.5],
    }
    assert type(out["b"]) is int and type(out["c"]) is bool
    json.dumps(out, allow_nan=False)
    kept = to_jsonable({"x": float("nan")}, allow_nan=True)
    assert np.isnan(kept["x"])


def test_to_jsonable_names_what_it_cannot_convert():
    with pytest.raises(
        TypeError, match=r"^fit\['params'\]\[1\]: cannot convert object of type set"
    ):
        to_jsonable({"params": [1.0, {2}]}, where="fit")


def test_one_json_sanitiser_everywhere():
    """Fit results, user-fit results and run records go through the same function."""
    import inspect

    from scalingkit.reporting import recording
    from scalingkit.runner.userfit import result

    assert fit.to_jsonable is to_jsonable
    for module in (recording, result, fit.result):
        assert module.to_jsonable is to_jsonable, module.__name__
        assert "def _json" not in inspect.getsource(module)  # no sanitiser of its own
