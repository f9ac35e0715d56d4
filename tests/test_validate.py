"""The one validation helper: every check raises one line of the documented shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scalingkit import data
from scalingkit.data import validate as v
from scalingkit.errors import DataValidationError, FitInputError

REQ = "; a power law needs finite values > 0"


def test_value_problems_name_source_column_role_row_and_the_rest():
    col = pd.Series([1.0, -2.0, 3.0, np.inf, 0.0, np.nan, 5.0, -1.0])
    with pytest.raises(DataValidationError) as err:
        v.check_values(col, source="runs.csv", column="N", role="params")
    assert str(err.value) == (
        "runs.csv: column 'N' (params), row 1: non-positive value -2.0 "
        "(4 more bad rows: 3, 4, 5, …)" + REQ
    )
    with pytest.raises(DataValidationError, match=r"^runs.csv: column 'N', row 3: non-finite "
                       r"value inf \(1 more bad row: 5\); expected finite numbers$"):  # fmt: skip
        v.require_finite(pd.DataFrame({"N": col}), ["N"], "runs.csv")
    # missing values may be allowed; other problems still count
    ok = v.check_values([1.0, np.nan, 2.0], source="s", column="c", allow_missing=True)
    assert np.isnan(ok[1]) and ok[2] == 2.0


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("abc", "non-numeric value 'abc'"),
        ("NA", "missing value"),
        ("", "missing value"),
        ("-3", "non-positive value -3"),
        ("inf", "non-finite value inf"),
    ],
)
def test_text_cells_are_classified(cell, problem):
    col = pd.Series(["1.5", cell], dtype=object)
    vals, probs = v.classify_values(col)
    assert vals[0] == 1.5 and probs[0] == "" and probs[1] == problem


def test_csv_rows_are_named_by_line_and_errors_can_be_fit_input_errors(tmp_path: Path):
    path = tmp_path / "runs.csv"
    path.write_text("N,L\n1e8,3.0\n\n2e8,-1\n3e8,2.0\n")  # line 3 is blank: the bad row is line 4
    df = pd.read_csv(path)
    assert list(v.csv_line_numbers(path, len(df))) == [2, 4, 5]
    with pytest.raises(FitInputError, match=rf"^{path}: column 'L' \(loss\), line 4: "
                       r"non-positive value -1.0; a power law needs"):  # fmt: skip
        v.check_values(df["L"], source=str(path), column="L", role="loss",
                       where=v.line_labels(path, len(df)), error=FitInputError)  # fmt: skip


def test_dataframe_rows_are_named_by_label():
    df = pd.DataFrame({"loss": [2.0, 0.0]}, index=["run-a", "run-b"])
    with pytest.raises(DataValidationError, match=r"^DataFrame: column 'loss', row 'run-b': "):
        data.require_positive(df, ["loss"], "DataFrame")


def test_missing_columns_name_what_is_there():
    df = pd.DataFrame({"params": [1.0], "loss": [2.0]})
    with pytest.raises(DataValidationError) as err:
        data.require_columns(df, ["params", "tokens", "flops"], "runs.csv", hint="map tokens=...")
    assert str(err.value) == (
        "runs.csv: missing column(s) 'tokens', 'flops'; available columns: 'params', 'loss'; "
        "map tokens=..."
    )
    data.require_columns(df, ["loss"], "runs.csv")  # present: no error


def test_validation_error_shapes():
    e = v.validation_error("m.csv", "mixture weights of 1 row(s) do not sum to 1")
    assert isinstance(e, DataValidationError) and str(e) == (
        "m.csv: mixture weights of 1 row(s) do not sum to 1"
    )
    e = v.validation_error("f", "bad", where="row 2", more=["row 4"], n_more=1)
    assert str(e) == "f: row 2: bad (1 more bad row: 4)"
    assert "\n" not in str(v.validation_error("f", "x", column="c", requirement="need y"))


def test_require_numeric_accepts_any_sign_and_rejects_text():
    df = pd.DataFrame({"x": [-1.0, 0.0, 2.0], "t": ["1", "b", "3"]})
    data.require_numeric(df, ["x"], "s")
    with pytest.raises(DataValidationError, match=r"column 't', row 1: non-numeric value 'b'"):
        data.require_numeric(df, ["t"], "s")


def test_the_user_fit_messages_have_this_shape(tmp_path: Path):
    """``scalingkit fit``'s CSV checks say exactly what :func:`check_values` says, so the user
    fit can adopt the helper without changing a message."""
    from scalingkit.runner import userfit

    path = tmp_path / "runs.csv"
    path.write_text(
        "params,tokens,loss\n1e8,1e9,3\n2e8,2e9,x\n\n3e8,3e9,NA\n4e8,4e9,inf\n5e8,5e9,0\n6e8,6e9,-2\n"
    )
    with pytest.raises(FitInputError) as theirs:
        userfit.read_runs(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    with pytest.raises(FitInputError) as ours:
        v.check_values(raw["loss"], source=str(path), column="loss", role="loss",
                       where=v.line_labels(path, len(raw)), error=FitInputError)  # fmt: skip
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value).endswith(
        "line 3: non-numeric value 'x' (4 more bad lines: 5, 6, 7, …); " + REQ[2:]
    )
