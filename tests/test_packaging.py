"""Packaging: environment.yml agrees with pyproject.toml, README commands match CI, lint."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(spec: str) -> tuple[str, str]:
    spec = spec.split("#")[0].strip().replace(" ", "")
    name, version = re.match(r"([A-Za-z0-9_.\-\[\]]+)(.*)", spec).groups()
    name = re.sub(r"\[.*\]", "", name).lower().replace("_", "-")
    return name, version


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_normalise(s) for s in project["dependencies"]}
    for extra in ("test", "dev"):
        wanted |= {_normalise(s) for s in project["optional-dependencies"][extra]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    conda, pip = [], []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip += item["pip"]
        else:
            conda.append(item)
    have = {_normalise(s) for s in conda if _normalise(s)[0] not in ("python", "pip")}
    have |= {_normalise(s) for s in pip if not s.startswith("-e")}
    assert "-e ." in pip, "environment.yml must install the package itself with pip -e"
    assert have == wanted, (
        f"only in environment.yml: {sorted(have - wanted)}; only in pyproject: {sorted(wanted - have)}"
    )
    python = next(s for s in conda if s.startswith("python"))
    assert _normalise(python)[1] == project["requires-python"]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmds = [c for c in _readme_commands() if "pytest" in c and "pip install" in c]
    assert len(test_cmds) == 1, f"README must show one install-and-test command, found {test_cmds}"
    assert test_cmds[0] in ci.splitlines(), ".ci/run must call the README's test command verbatim"
    main_cmds = [c for c in _readme_commands() if "scalingkit run" in c and "pip install" in c]
    assert len(main_cmds) == 1, "README must show one install-and-run command"


def test_ruff_is_clean() -> None:
    cmd = [sys.executable, "-m", "ruff", "check", "--quiet", "--exclude", ".venv", str(ROOT)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
