"""Shared assertions of the command-line tests."""

from __future__ import annotations

from pathlib import Path


def assert_input_error(code: int, err: str, expected: str, out: Path, one_line: bool = True):
    """An input error: exit status 2, ``expected`` in the message, one ``scalingkit: error:``
    line (unless ``one_line`` is False, e.g. argparse's usage text), nothing written."""
    assert code == 2, err
    assert expected in err, err
    if one_line:
        assert err.startswith("scalingkit: error: ") and err.count("\n") == 1, err
    assert not out.exists()
