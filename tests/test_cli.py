"""The command line a new user discovers: help, --version, ``scalingkit list``, one exit status
per kind of failure (2 usage or input, 1 a failed run), and runs without alarming noise."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_factory import write_notebook

from scalingkit._version import __version__
from scalingkit.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: int = 300):
    """Run ``python -m scalingkit.cli`` in a subprocess (its own stdout and stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "scalingkit.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def test_version_and_bare_command_print_help(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"scalingkit {__version__}"
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: scalingkit") and "SCALINGKIT_DATA_DIR" in out
    for command in ("data", "list", "run", "sweep", "fit", "index", "refresh"):
        assert f"    {command}" in out


def _actions(parser: argparse.ArgumentParser, where: str = "scalingkit"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{where} {choice.dest}", choice
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{where} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield where, action


def test_every_command_option_and_argument_has_help() -> None:
    missing = [
        f"{where}: {action.dest}"
        for where, action in _actions(build_parser())
        if not (action.help or "").strip()
    ]
    assert missing == []


def test_list_prints_every_notebook_with_its_documented_parameters(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("00_data_tour: Data tour: the public runs behind every workbook\n")
    assert "  mode                str    'quick'  " in out
    assert "mixture_model_size  float  1.22e+08  model size N (parameters)" in out
    assert "chinchilla_replication: Chinchilla scaling" in out
    assert main(["list", "00_data_tour"]) == 0
    assert "chinchilla_replication" not in capsys.readouterr().out


def test_list_shows_mode_defaults_of_knobs_left_at_none(tmp_path: Path, capsys) -> None:
    # a workbook package with MODE_DEFAULTS: chinchilla's parameters cell sets knobs to None
    assert main(["list", "chinchilla_replication"]) == 0
    out = capsys.readouterr().out
    assert "None (quick " in out and ", full " in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "00_data_tour", "-p", "seed"], "-p expects name=value, got 'seed'"),
        (["run", "no_such_notebook"], "notebook 'no_such_notebook' not found"),
        (["run", "00_data_tour", "-p", "sed=1"], "unknown parameter 'sed'"),
        (["sweep", "00_data_tour", "--grid", "mode"], "--grid"),
        (["data", "fetch", "no-such-key"], "unknown data key(s) no-such-key"),
        (["data", "verify", "no-such-key"], "unknown data key(s) no-such-key"),
        (["refresh", "no_such_notebook"], "notebook 'no_such_notebook' not found"),
        (["list", "no_such_notebook"], "notebook 'no_such_notebook' not found"),
        (["index", "--out", "/no/such/folder"], "no such folder"),
        (["fit", "/no/such/runs.csv"], "/no/such/runs.csv"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(argv, message: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("scalingkit: error: ") and message in err and err.count("\n") == 1


def test_argparse_errors_exit_2_too(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--mode", "fast"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2


def test_a_failed_run_exits_1(tmp_path: Path) -> None:
    bad = write_notebook(tmp_path / "bad.ipynb", 'mode = "quick"', "raise ValueError('boom')")
    assert main(["run", str(bad), "--out", str(tmp_path / "r"), "--no-progress"]) == 1


FETCHES = (
    "from scalingkit import data, reporting as report\n"
    "report.start('fetches', mode=mode, parameters={})\n"
    "report.record('rows', len(data.load_chinchilla()))\n"
    "report.save()"
)


def test_a_run_from_another_folder_with_a_relative_data_dir_is_quiet(
    tmp_path: Path, mirror_dir: Path
) -> None:
    """`scalingkit run` from elsewhere, SCALINGKIT_DATA_DIR relative to that folder: the kernel
    (which runs in a scratch folder) finds the data, and stderr holds only the runner's lines
    (no TCP-encryption warning, no ZMQ traceback, no download chatter)."""
    nb = write_notebook(tmp_path / "fetches.ipynb", 'mode = "quick"', FETCHES)
    work = tmp_path / "elsewhere" / "deeper"
    work.mkdir(parents=True)
    relative = os.path.relpath(mirror_dir, work)
    assert not Path(relative).is_absolute()
    result = _cli(
        "run",
        str(nb),
        "--out",
        "out",
        "--no-progress",
        cwd=work,
        env={"SCALINGKIT_DATA_DIR": relative},
    )
    assert result.returncode == 0, result.stderr
    results = (work / "out" / "fetches.results.json").read_text()
    assert '"value": 245' in results
    noise = [line for line in result.stderr.splitlines() if not line.startswith("[scalingkit]")]
    assert noise == []
    for word in ("encryption", "Traceback", "heartbeat", "Downloading", "WARNING"):
        assert word not in result.stderr + result.stdout


def test_an_offline_download_fails_with_one_line_and_no_chatter(tmp_path: Path) -> None:
    registry = tmp_path / "registry.toml"
    registry.write_text(
        '[[file]]\nkey = "demo"\npath = "demo/x.csv"\nrepository = "o/r"\ncommit = "0"\n'
        'upstream_path = "x.csv"\nurl = "http://127.0.0.1:9/x.csv"\nsha256 = "'
        + "0" * 64
        + '"\nlicense = "none"\ncitation = "none"\ndescription = "unreachable"\n'
    )
    env = {"SCALINGKIT_REGISTRY": str(registry), "SCALINGKIT_CACHE_DIR": str(tmp_path / "c")}
    env_without_mirror = {k: v for k, v in os.environ.items() if k != "SCALINGKIT_DATA_DIR"}
    result = subprocess.run(
        [sys.executable, "-m", "scalingkit.cli", "data", "fetch", "demo"],
        capture_output=True,
        text=True,
        env={**env_without_mirror, **env},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("scalingkit: error: demo/x.csv: could not download")
    assert result.stderr.count("\n") == 1 and "Downloading" not in result.stderr + result.stdout
