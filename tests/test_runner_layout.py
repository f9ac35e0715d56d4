"""Layout rules of the runner packages (issue 12): small modules, no private cross-module
imports, no import of the package top, and one place where a user-facing tool reaches a workbook."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "scalingkit" / "runner"
MAX_LINES = 500
#: Known private imports, each to be removed by the integration of issue 12 (fit's public JSON
#: sanitiser replaces ``fit._jsonable``).
ALLOWED_PRIVATE = {("scalingkit.runner.userfit.result", "scalingkit.fit", "_jsonable")}
#: The one module of the user-facing tools that imports a workbook (the allocation maths, until
#: the law objects own ``compute_optimal``).
WORKBOOK_GATE = "scalingkit.runner.userfit.allocation"


def _modules(folder: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, str]]:
    """(absolute module, imported name) of every ``from ... import`` in the module."""
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


def test_no_runner_module_is_over_the_size_limit() -> None:
    folders = [RUNNER, ROOT / "scalingkit" / "workbooks" / "fit_your_own"]
    sizes = {n: len(p.read_text().splitlines()) for f in folders for n, p in _modules(f).items()}
    assert len(sizes) > 20
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_no_private_name_is_imported_across_modules() -> None:
    private = {
        (name, module, what)
        for name, path in _modules(RUNNER).items()
        for module, what in _imports(name, path)
        if what.startswith("_") and not what.startswith("__") and module != "__future__"
    }
    assert private == ALLOWED_PRIVATE


def test_nothing_imports_the_package_top() -> None:
    """``__version__`` comes from ``scalingkit._version``; nothing runs back up to ``scalingkit``."""
    bad = {
        (name, what)
        for name, path in _modules(RUNNER).items()
        for module, what in _imports(name, path)
        if module == "scalingkit" and what not in {"data", "fit", "laws", "plots", "reporting"}
    }
    assert bad == set()


def test_only_the_allocation_module_reaches_into_a_workbook() -> None:
    users = {
        name
        for name, path in _modules(RUNNER).items()
        for module, what in _imports(name, path)
        if module.startswith("scalingkit.workbooks")
        or (module == "scalingkit" and what == "workbooks")
    }
    assert users == {WORKBOOK_GATE}
