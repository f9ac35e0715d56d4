"""Execute notebooks with papermill and render reports, an index and a scorecard.

For each notebook ``scalingkit run`` writes, atomically, into the output folder:

- ``<stem>.ipynb``          the executed notebook (parameters injected by papermill)
- ``<stem>.html``           its HTML rendering (cells tagged ``hide-input`` show output only)
- ``<stem>.results.json``   every number it recorded through :mod:`scalingkit.report`

and then ``index.html`` (links + scorecard across notebooks) and ``scorecard.csv``.
A notebook that fails does not stop the others; it is marked failed and the run exits non-zero.
"""

from __future__ import annotations

import ast
import html
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from .. import reporting as report
from .._io import atomic_write_bytes, atomic_write_text
from ..errors import ParameterError

__all__ = [
    "KERNEL_NAME",
    "ParameterError",
    "RunOutcome",
    "build_index",
    "coerce_parameter",
    "discover_notebooks",
    "notebooks_dir",
    "read_parameters",
    "refresh_notebook",
    "resolve_parameters",
    "run_notebooks",
]

KERNEL_NAME = "python3"
CHECK_MARKER = "NBVAL_CHECK_OUTPUT"
SCORECARD_COLUMNS = [
    "notebook",
    "quantity",
    "paper_value",
    "source",
    "our_value",
    "uncertainty",
    "tolerance",
    "status",
    "mode",
]


# The results path reaches the kernel through the environment, which is process-wide: notebooks
# run from several threads of one process (e.g. a multi-threaded Dask worker) take turns.
_ENV_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------------
# Finding notebooks and their parameters


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder (found from the package, not the working dir)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def discover_notebooks(names: Sequence[str] = ()) -> list[Path]:
    """Resolve notebook names (stems, file names or paths) to paths; all notebooks if empty."""
    folder = notebooks_dir()
    if not names:
        found = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
        if not found:
            raise FileNotFoundError(f"{folder}: no notebooks found")
        return found
    out = []
    for name in names:
        candidates = [Path(name), folder / name, folder / f"{name}.ipynb"]
        hit = next((c for c in candidates if c.is_file() and c.suffix == ".ipynb"), None)
        if hit is None:
            known = ", ".join(p.stem for p in sorted(folder.glob("*.ipynb")))
            raise FileNotFoundError(f"notebook '{name}' not found (known: {known})")
        out.append(hit.resolve())
    return out


def _parameters_cell(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(
            f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}"
        )
    return cells[0]


def read_parameters(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Names and default values of a notebook's ``parameters`` cell (literal assignments)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    cell = _parameters_cell(nb, path)
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise ParameterError(f"{path}: parameters cell is not valid Python ({exc.msg})") from None
    params: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
                raise ParameterError(f"{path}: parameters cell may only assign single names")
            try:
                params[targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ParameterError(
                    f"{path}: parameter '{targets[0].id}' must be a literal (number, bool, str)"
                ) from None
    return params


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def coerce_parameter(notebook: str, name: str, raw: str, default: Any) -> Any:
    """Convert a ``-p name=value`` string to the type of the parameter's default.

    ``1e6`` becomes a float for a float parameter (and an int for an int parameter when it is
    integral), ``true``/``false`` a bool; anything that does not parse raises
    :class:`ParameterError`.
    """
    expected = type(default).__name__
    text = raw.strip()

    def fail() -> ParameterError:
        return ParameterError(
            f"{notebook}: parameter '{name}' expects {expected} (default {default!r}), got {raw!r}"
        )

    if isinstance(default, bool):
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise fail()
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise fail() from None
            if value.is_integer():
                return int(value)
            raise fail() from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise fail() from None
    if isinstance(default, str):
        return raw
    if default is None:
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return raw
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise fail() from None
    if not isinstance(value, type(default)):
        raise fail()
    return value


def resolve_parameters(
    path: Path,
    overrides: Mapping[str, str],
    mode: str | None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate and coerce overrides for one notebook (unknown names are rejected).

    ``defaults`` are the notebook's parameters when the caller has already read them
    (:func:`read_parameters`); otherwise they are read from ``path``.
    """
    defaults = read_parameters(path) if defaults is None else defaults
    resolved: dict[str, Any] = {}
    if mode is not None:
        if "mode" not in defaults:
            raise ParameterError(
                f"{path.stem}: has no 'mode' parameter; cannot run with --mode {mode}"
            )
        if mode not in ("quick", "full"):
            raise ParameterError(f"--mode: expected 'quick' or 'full', got {mode!r}")
        resolved["mode"] = mode
    for name, raw in overrides.items():
        if name not in defaults:
            known = ", ".join(defaults) or "none"
            raise ParameterError(f"{path.stem}: unknown parameter '{name}' (known: {known})")
        resolved[name] = coerce_parameter(path.stem, name, raw, defaults[name])
    if resolved.get("mode", "quick") not in ("quick", "full"):
        raise ParameterError(f"{path.stem}: parameter 'mode' must be 'quick' or 'full'")
    return resolved


# ---------------------------------------------------------------------------------------------
# Running


@dataclass
class RunOutcome:
    """What happened to one notebook."""

    notebook: str
    ok: bool
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    html: Path | None = None
    executed: Path | None = None
    results: Path | None = None


def _render_html(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {"hide-input"}
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    exporter = HTMLExporter(config=config)
    body, _ = exporter.from_notebook_node(nb)
    return body


def _error_summary(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    line = f"{ename}: {evalue}".strip().splitlines()
    return line[0] if line else ename


def run_notebooks(
    notebooks: Sequence[Path],
    *,
    out_dir: str | os.PathLike[str] = "reports",
    mode: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: bool = True,
    log: Any = None,
) -> list[RunOutcome]:
    """Execute ``notebooks`` with papermill, write their reports and rebuild the index.

    Parameters
    ----------
    notebooks : sequence of Path
        Notebooks to run, in order.
    out_dir : path-like
        Folder for the reports (created if needed).
    mode : {"quick", "full"}, optional
        Overrides every notebook's ``mode`` parameter.
    overrides : mapping of str to str
        ``-p name=value`` pairs, coerced to each parameter's type. With one notebook every name
        must be one of its parameters; with several, a name applies to the notebooks that
        declare it and must be declared by at least one. All are validated before anything runs.
    progress : bool
        Show papermill's per-cell progress bar.
    log : file-like, optional
        Where to print one line per notebook (default: stderr).

    Returns
    -------
    list of RunOutcome
    """
    import papermill as pm

    log = log or sys.stderr
    out = Path(out_dir).resolve()
    overrides = dict(overrides or {})
    # Validate every notebook's parameters before running any of them. With several notebooks,
    # a -p name applies to those that declare it and must be declared by at least one.
    declared = {path: read_parameters(path) for path in notebooks}
    if len(notebooks) > 1:
        for name in overrides:
            if not any(name in d for d in declared.values()):
                names = ", ".join(p.stem for p in notebooks)
                raise ParameterError(
                    f"unknown parameter '{name}': no selected notebook ({names}) declares it"
                )
    plans = []
    for path in notebooks:
        own = {k: v for k, v in overrides.items() if len(notebooks) == 1 or k in declared[path]}
        plans.append((path, resolve_parameters(path, own, mode, declared[path])))
    out.mkdir(parents=True, exist_ok=True)

    outcomes = []
    for path, params in plans:
        stem = path.stem
        print(f"[scalingkit] running {stem} {params or ''}".rstrip(), file=log, flush=True)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"scalingkit-{stem}-") as tmp:
            tmp_dir = Path(tmp)
            executed_tmp = tmp_dir / f"{stem}.ipynb"
            results_tmp = tmp_dir / "results.json"
            error = ""
            _ENV_LOCK.acquire()
            previous = os.environ.get(report.RESULTS_ENV)
            os.environ[report.RESULTS_ENV] = str(results_tmp)
            try:
                pm.execute_notebook(
                    str(path),
                    str(executed_tmp),
                    parameters=params,
                    kernel_name=KERNEL_NAME,
                    cwd=str(tmp_dir),  # prove the notebook does not depend on the caller's cwd
                    progress_bar=progress,
                    log_output=False,
                )
            except Exception as exc:  # papermill's execution error, kernel death, ...
                error = _error_summary(exc)
            finally:
                if previous is None:
                    os.environ.pop(report.RESULTS_ENV, None)
                else:
                    os.environ[report.RESULTS_ENV] = previous
                _ENV_LOCK.release()
            seconds = time.perf_counter() - t0
            outcome = RunOutcome(
                stem, ok=not error, seconds=seconds, parameters=params, error=error
            )
            if executed_tmp.is_file():
                nb = nbformat.read(executed_tmp, as_version=4)
                outcome.executed = atomic_write_text(out / f"{stem}.ipynb", nbformat.writes(nb))
                outcome.html = atomic_write_text(out / f"{stem}.html", _render_html(nb))
            if outcome.ok and not results_tmp.is_file():
                outcome.ok = False
                outcome.error = "the notebook did not call scalingkit.reporting.save()"
            if outcome.ok:
                results = json.loads(results_tmp.read_text())
            else:
                results = {"notebook": stem, "mode": params.get("mode", "quick"), "records": []}
            results["status"] = "ok" if outcome.ok else "failed"
            results["error"] = outcome.error
            results["seconds"] = round(seconds, 2)
            outcome.results = atomic_write_text(
                out / f"{stem}.results.json", json.dumps(results, indent=2) + "\n"
            )
        state = "ok" if outcome.ok else f"FAILED ({outcome.error})"
        print(f"[scalingkit] {stem}: {state} in {outcome.seconds:.1f} s", file=log, flush=True)
        outcomes.append(outcome)

    build_index(out)
    return outcomes


# ---------------------------------------------------------------------------------------------
# Index and scorecard


def _load_results(out: Path) -> dict[str, dict[str, Any]]:
    results = {}
    for p in sorted(out.glob("*.results.json")):
        try:
            results[p.name.removesuffix(".results.json")] = json.loads(p.read_text())
        except json.JSONDecodeError:
            results[p.name.removesuffix(".results.json")] = {
                "status": "failed",
                "error": f"{p.name}: unreadable results file",
                "records": [],
            }
    return results


def build_scorecard(
    out: Path,
    notebooks: Iterable[str] | None = None,
    results: Mapping[str, dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """Scorecard across notebooks: every target of every known notebook, run or not.

    ``results`` (stem -> results dict) defaults to the ``*.results.json`` files in ``out``.
    """
    results = _load_results(out) if results is None else results
    known = set(notebooks) if notebooks is not None else set()
    known |= {p.parent.name for p in report.targets_dir().glob("*/targets.toml")}
    known |= set(results)
    frames = []
    for stem in sorted(known):
        res = results.get(stem)
        if res is not None and res.get("status") == "failed":
            res = None  # a failed notebook's numbers are not reported as ours
        frames.append(report.scorecard(stem, res))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*SCORECARD_COLUMNS, "description", "ci_low", "ci_high"])
    return pd.concat(frames, ignore_index=True)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:100rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:0.85rem}
td.source{max-width:22rem}
th,td{border-bottom:1px solid #ddd;padding:0.3rem 0.6rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.reproduced{color:#1a7f37;font-weight:600}.not-reproduced{color:#b42318;font-weight:600}
.not-run,.not-compared{color:#777}.failed{color:#b42318;font-weight:600}.ok{color:#1a7f37}
"""


def build_index(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``index.html`` and ``scorecard.csv`` in ``out_dir`` from its results files."""
    out = Path(out_dir)
    results = _load_results(out)
    card = build_scorecard(out, [p.stem for p in notebooks_dir().glob("*.ipynb")], results)
    atomic_write_text(out / "scorecard.csv", card[SCORECARD_COLUMNS].to_csv(index=False))

    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>scalingkit reports</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>scalingkit reports</h1>",
        "<p>Each workbook re-derives a published scaling-law result from the authors' public data. "
        "Quick-mode rows show our number but are compared with the paper only in full mode.</p>",
        "<h2>Notebooks</h2><table><tr><th>notebook</th><th>status</th><th>mode</th>"
        "<th>wall time</th><th>report</th><th>finished</th></tr>",
    ]
    for stem in sorted(set(results) | {p.stem for p in notebooks_dir().glob("*.ipynb")}):
        res = results.get(stem)
        if res is None:
            parts.append(
                f"<tr><td>{esc(stem)}</td><td class='not-run'>not run</td><td></td><td></td><td></td><td></td></tr>"
            )
            continue
        status = res.get("status", "ok")
        cls = "ok" if status == "ok" else "failed"
        label = status if status == "ok" else f"failed: {res.get('error', '')}"
        links = []
        if (out / f"{stem}.html").is_file():
            links.append(f"<a href='{esc(stem)}.html'>html</a>")
        if (out / f"{stem}.ipynb").is_file():
            links.append(f"<a href='{esc(stem)}.ipynb'>ipynb</a>")
        if (out / f"{stem}.results.json").is_file():
            links.append(f"<a href='{esc(stem)}.results.json'>results</a>")
        parts.append(
            f"<tr><td>{esc(stem)}</td><td class='{cls}'>{esc(label)}</td><td>{esc(str(res.get('mode', '')))}</td>"
            f"<td>{_fmt(res.get('seconds'))} s</td><td>{' · '.join(links)}</td><td>{esc(str(res.get('finished', '')))}</td></tr>"
        )
    parts.append("</table><h2>Scorecard</h2>")
    if card.empty:
        parts.append("<p>No targets recorded yet.</p>")
    else:
        counts = card["status"].value_counts().to_dict()
        parts.append("<p>" + ", ".join(f"{esc(k)}: {v}" for k, v in counts.items()) + "</p>")
        parts.append(
            "<table><tr><th>notebook</th><th>quantity</th><th>paper</th><th>source</th><th>ours</th>"
            "<th>uncertainty</th><th>tolerance</th><th>status</th><th>mode</th></tr>"
        )
        for row in card.itertuples(index=False):
            unc = _fmt(row.uncertainty)
            if row.ci_low is not None and row.ci_high is not None and row.ci_low == row.ci_low:
                ci = f"[{_fmt(row.ci_low)}, {_fmt(row.ci_high)}]"
                unc = f"{'± ' + unc + ' ' if unc else ''}{ci}"
            elif unc:
                unc = f"± {unc}"
            cls = row.status.split(" (")[0].replace(" ", "-")
            title = esc(row.description or "")
            parts.append(
                f"<tr><td>{esc(row.notebook)}</td><td title='{title}'>{esc(row.quantity)}</td>"
                f"<td>{_fmt(row.paper_value)}</td><td class='source'>{esc(row.source)}</td><td>{_fmt(row.our_value)}</td>"
                f"<td>{esc(unc)}</td><td>{esc(row.tolerance)}</td><td class='{cls}'>{esc(row.status)}</td>"
                f"<td>{esc(row.mode)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<p>Scorecard as CSV: <a href='scorecard.csv'>scorecard.csv</a></p>")
    sweeps = sorted(out.glob("sweeps/*/sweep.html"))
    if sweeps:  # written by `scalingkit sweep` with its default output folder
        parts.append("<h2>Sweeps</h2><ul>")
        for page in sweeps:
            rel = page.relative_to(out).as_posix()
            parts.append(f"<li><a href='{esc(rel)}'>{esc(page.parent.name)}</a></li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return atomic_write_text(out / "index.html", "\n".join(parts))


# ---------------------------------------------------------------------------------------------
# Maintainers: refresh a notebook's stored outputs


def refresh_notebook(path: str | os.PathLike[str], timeout: int = 1800) -> Path:
    """Execute a notebook in place with its default parameters and keep only checked outputs.

    Cells containing ``# NBVAL_CHECK_OUTPUT`` keep their outputs (the references nbval compares
    against); every other cell is cleared, so the committed notebook stays small and clean.
    """
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    _parameters_cell(nb, path)
    with tempfile.TemporaryDirectory(prefix="scalingkit-refresh-") as tmp:
        env_backup = os.environ.pop(report.RESULTS_ENV, None)
        try:
            NotebookClient(
                nb, timeout=timeout, kernel_name=KERNEL_NAME, resources={"metadata": {"path": tmp}}
            ).execute()
        finally:
            if env_backup is not None:
                os.environ[report.RESULTS_ENV] = env_backup
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if CHECK_MARKER not in cell.source:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.setdefault(
        "kernelspec", {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    )
    nb.metadata["kernelspec"]["name"] = KERNEL_NAME
    return atomic_write_bytes(path, nbformat.writes(nb).encode("utf-8"))
