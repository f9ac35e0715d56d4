"""Packaging: environment.yml agrees with pyproject.toml, README commands match CI, lint, and the
wheel carries what ``scalingkit run`` needs outside a checkout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
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


#: Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "distributed": "dask"}


def test_every_third_party_import_of_the_package_is_declared() -> None:
    """A module the package imports (at any depth) is a runtime dependency, not a lucky
    transitive one (jinja2, markupsafe, nbclient and traitlets used to arrive only through
    nbconvert and papermill)."""
    import ast

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_normalise(s)[0] for s in project["dependencies"]}
    optional = {
        _normalise(s)[0] for specs in project["optional-dependencies"].values() for s in specs
    }
    imported = set()
    for path in (ROOT / "scalingkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third = {m for m in imported if m not in sys.stdlib_module_names and m not in ("scalingkit",)}
    needed = {DISTRIBUTIONS.get(m, m).lower().replace("_", "-") for m in third}
    assert {"jinja2", "markupsafe", "numpy"} <= needed
    # IPython comes with ipykernel; distributed is dask's, in the optional "distributed" extra
    missing = needed - declared - optional - {"ipython"}
    assert missing == set(), f"imported but not declared in pyproject.toml: {sorted(missing)}"


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


@pytest.mark.parametrize("command", [["check", "--quiet"], ["format", "--check", "--quiet"]])
def test_ruff_is_clean(command: list[str]) -> None:
    """Lint and format (what the pre-commit hooks enforce), notebooks included."""
    cmd = [sys.executable, "-m", "ruff", *command, "--exclude", ".venv", str(ROOT)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------
# `scalingkit run` from an installed package: the wheel ships notebooks, targets and registry


def test_notebooks_fall_back_to_the_copy_shipped_in_the_package(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    from scalingkit import notebooks as discovery
    from scalingkit.cli import main as cli_main
    from scalingkit.runner import build_index, discover_notebooks, notebooks_dir

    checkout = discovery.checkout_notebooks_dir()
    assert notebooks_dir() == checkout == ROOT / "notebooks"  # a checkout runs its own copy
    packaged = tmp_path / "site" / "scalingkit" / "_notebooks"
    packaged.mkdir(parents=True)
    for nb in sorted(checkout.glob("*.ipynb"))[:2]:
        (packaged / nb.name).write_bytes(nb.read_bytes())
    monkeypatch.setattr(discovery, "checkout_notebooks_dir", lambda: tmp_path / "no-checkout")
    monkeypatch.setattr(discovery, "packaged_notebooks_dir", lambda: packaged)
    assert notebooks_dir() == packaged
    stems = [p.stem for p in sorted(packaged.glob("*.ipynb"))]
    assert [p.stem for p in discover_notebooks()] == stems
    assert discover_notebooks([stems[1]]) == [(packaged / f"{stems[1]}.ipynb").resolve()]

    # neither: one clear line saying a checkout is needed, and no traceback from the command
    monkeypatch.setattr(discovery, "packaged_notebooks_dir", lambda: tmp_path / "none-shipped")
    with pytest.raises(FileNotFoundError, match="run scalingkit from a source checkout"):
        notebooks_dir()
    assert cli_main(["run", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("scalingkit: error: no notebooks found") and err.count("\n") == 1
    # a notebook given by path still runs without any folder of notebooks, and the index builds
    assert discover_notebooks([str(packaged / f"{stems[0]}.ipynb")])[0].name == f"{stems[0]}.ipynb"
    assert build_index(tmp_path / "r").is_file()


def test_wheel_ships_what_scalingkit_run_needs_and_runs_outside_a_checkout(
    tmp_path: Path,
) -> None:
    """Build the wheel, check its package data, unpack it and run a workbook from it."""
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("scalingkit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        site = tmp_path / "site"
        zf.extractall(site)
    wanted = {f"scalingkit/_notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    wanted |= {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "scalingkit").glob("workbooks/*/targets.toml")
    }
    wanted |= {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "scalingkit/runner/templates").iterdir()
    }
    wanted.add("scalingkit/data/_registry.toml")
    assert len(wanted) > 15 and not wanted - names, sorted(wanted - names)
    with zipfile.ZipFile(wheel) as zf:
        shipped = zf.read("scalingkit/_notebooks/00_data_tour.ipynb")
    assert shipped == (ROOT / "notebooks" / "00_data_tour.ipynb").read_bytes()

    # the unpacked wheel, not the checkout, is what runs (kernel included: same PYTHONPATH)
    env = {**os.environ, "PYTHONPATH": str(site)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = (
        "import scalingkit, scalingkit.data as d, scalingkit.runner as r; "
        "print(scalingkit.__file__); print(r.notebooks_dir()); print(d.registry_path())"
    )
    where = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=work, capture_output=True, text=True
    )
    assert where.returncode == 0, where.stderr
    module, folder, registry = where.stdout.split()
    assert Path(module).is_relative_to(site)
    assert Path(folder) == site / "scalingkit" / "_notebooks"
    assert Path(registry) == site / "scalingkit" / "data" / "_registry.toml"
    run = subprocess.run(
        [sys.executable, "-m", "scalingkit.cli", "run", "00_data_tour", "--no-progress"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    reports = work / "reports"
    results = json.loads((reports / "00_data_tour.results.json").read_text())
    assert results["status"] == "ok" and results["records"]
    assert "00_data_tour.html" in (reports / "index.html").read_text()
