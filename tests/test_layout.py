"""Layout rules of the package (issue 12): one home per idea.

* every module is under :data:`MAX_LINES` lines;
* no module imports a private name (``_x``) from another module;
* nothing imports the package top (``scalingkit/__init__``) except to reach a subpackage;
* no core package (data, laws, fit, reporting, runner, notebooks, ...) imports a workbook, so
  a user-facing tool never depends on a notebook's analysis;
* no workbook imports another workbook (shared constants live in :mod:`scalingkit.data`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scalingkit"
MAX_LINES = 500
WORKBOOKS = "scalingkit.workbooks"
#: Subpackages a module may reach through ``from scalingkit import <name>``.
SUBPACKAGES = {"data", "fit", "laws", "plots", "reporting", "runner", "workbooks"}


def _modules(folder: Path = PACKAGE) -> dict[str, Path]:
    out = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, str]]:
    """(absolute module, imported name) of every import in the module (``""`` for ``import x``)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found += [(module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def _targets(module: str, what: str) -> str:
    """The module an import reaches (``from scalingkit import workbooks`` -> the workbooks)."""
    return f"{module}.{what}" if what and module in ("scalingkit", WORKBOOKS) else module


def _workbook_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if module.startswith(WORKBOOKS + ".") and len(parts) > 2 else None


MODULES = _modules()


def test_the_scan_sees_the_whole_package() -> None:
    assert len(MODULES) > 80
    assert {"scalingkit.fit.optimizer", "scalingkit.runner.userfit.inputs"} <= set(MODULES)
    assert _workbook_of("scalingkit.workbooks.loss_to_loss.corpora") == "loss_to_loss"


def test_no_module_is_over_the_size_limit() -> None:
    sizes = {n: len(p.read_text().splitlines()) for n, p in MODULES.items()}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_no_private_name_is_imported_across_modules() -> None:
    private = {
        (name, module, what)
        for name, path in MODULES.items()
        for module, what in _imports(name, path)
        if what.startswith("_") and not what.startswith("__") and module != "__future__"
    }
    assert private == set()


def test_nothing_imports_the_package_top() -> None:
    """``__version__`` comes from ``scalingkit._version``; nothing runs back up to ``scalingkit``."""
    bad = {
        (name, what)
        for name, path in MODULES.items()
        for module, what in _imports(name, path)
        if module == "scalingkit" and what not in SUBPACKAGES
    }
    assert bad == set()


def test_no_core_package_imports_a_workbook() -> None:
    """data, laws, fit, reporting, runner (incl. userfit and sweep), plots, notebooks, cli:
    none of them depends on a workbook."""
    users = {
        (name, _targets(module, what))
        for name, path in MODULES.items()
        if not name.startswith(WORKBOOKS)
        for module, what in _imports(name, path)
        if _targets(module, what).startswith(WORKBOOKS)
    }
    assert users == set()


def test_no_workbook_imports_another_workbook() -> None:
    crossing = {
        (name, _targets(module, what))
        for name, path in MODULES.items()
        if _workbook_of(name)
        for module, what in _imports(name, path)
        if _workbook_of(_targets(module, what)) not in (None, _workbook_of(name))
    }
    assert crossing == set()


def test_each_notebook_imports_only_its_own_workbook() -> None:
    """The data tour once took the loss-to-loss corpus columns from that workbook; shared
    vocabulary lives in :mod:`scalingkit.data` instead."""
    import nbformat

    from scalingkit.reporting import workbook_package

    seen = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
        )
        tree = ast.parse("\n".join(ln for ln in code.splitlines() if not ln.startswith(("%", "!"))))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {_workbook_of(_targets(node.module, a.name)) for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {_workbook_of(a.name) for a in node.names}
        seen[path.stem] = found - {None}
        assert seen[path.stem] <= {workbook_package(path.stem)}, (path.name, seen[path.stem])
    assert len(seen) >= 6 and seen["loss_to_loss"] == {"loss_to_loss"}


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("from ...workbooks.loss_to_loss import CORPORA\n", "core"),
        ("from scalingkit import workbooks\n", "core"),
        ("from ...workbooks import loss_to_loss\n", "cross"),
        ("from ..loss_to_loss.corpora import VAL_LOSS\n", "cross"),
        ("from ..fit import _jsonable\n", "private"),
    ],
)
def test_the_rules_catch_a_violation(source: str, rule: str, tmp_path: Path) -> None:
    """Each rule fails on a module that breaks it (the scan is not vacuous)."""
    where = {
        "core": "scalingkit.runner.userfit.result",
        "cross": "scalingkit.workbooks.data_tour.figures",
        "private": "scalingkit.runner.userfit.result",
    }[rule]
    path = tmp_path / "module.py"
    path.write_text(source)
    found = _imports(where, path)
    if rule == "core":
        assert any(_targets(m, w).startswith(WORKBOOKS) for m, w in found)
    elif rule == "cross":
        assert any(_workbook_of(_targets(m, w)) not in (None, "data_tour") for m, w in found)
    else:
        assert any(w.startswith("_") for _, w in found)
