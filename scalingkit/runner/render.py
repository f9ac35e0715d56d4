"""A notebook's HTML report: paper-like by default, the code one click away, fully offline.

The report is the executed notebook as a document (``templates/report.html.j2``):

- its title is the notebook's first Markdown heading; a header line gives the mode, when it
  ran, how long it took and the scalingkit version; a quick-mode run says that nothing in it
  counts as reproduced;
- code is hidden; a "show code" switch (CSS only, no script) shows every input again. Cells
  whose input is hidden and that have no output (imports, ``report.start``, ``report.record``,
  ``report.save()``) take no room;
- cell tags: ``remove-cell`` drops a cell (input and output), ``remove-input`` drops its code
  even from the code view, ``remove-output`` drops its outputs, ``show-input`` keeps its code
  visible in the paper view (e.g. a usage example); ``hide-input`` is the default. The cell
  papermill injects (tag ``injected-parameters``) is dropped: the parameters table shows the
  values;
- ``# NBVAL_CHECK_OUTPUT`` markers are removed from the code shown (the tests' bookkeeping);
- formulas are typeset by MathJax from ``_static/mathjax`` next to the report
  (:func:`scalingkit.runner.pages.install_static`); figures are inline PNGs; no ``<script>`` or
  stylesheet is loaded from the network.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from .._version import __version__
from ..reporting.catalog import notebook_title
from .pages import STATIC_DIR, Markup, mathjax_url, render_page

__all__ = ["CELLS_TEMPLATE", "REMOVED_MARKERS", "prepare_notebook", "render_notebook_html"]

#: nbconvert template (in ``cell_templates/``) that renders the cells without a page.
CELLS_TEMPLATE = "scalingkit_cells"
#: Comment lines removed from the code shown in a report.
REMOVED_MARKERS = ("# NBVAL_CHECK_OUTPUT", "# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")


def _tags(cell: Mapping[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def prepare_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` as the report shows it (cell tags applied, markers removed)."""
    nb = copy.deepcopy(nb)
    kept = []
    for cell in nb.cells:
        tags = _tags(cell)
        if "remove-cell" in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "code":
            if "remove-output" in tags:
                cell.outputs = []
            if "remove-input" in tags:
                cell.metadata.setdefault("transient", {})["remove_source"] = True
            lines = cell.source.splitlines()
            cell.source = "\n".join(line for line in lines if line.strip() not in REMOVED_MARKERS)
        kept.append(cell)
    nb.cells = kept
    return nb


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter

    folder = Path(__file__).resolve().parent / "cell_templates"
    return HTMLExporter(
        template_name=CELLS_TEMPLATE,
        extra_template_basedirs=[str(folder)],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


@functools.cache
def _code_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".highlight")


def _meta(results: Mapping[str, Any] | None, nb: nbformat.NotebookNode) -> dict[str, Any]:
    results = dict(results or {})
    papermill = nb.metadata.get("papermill", {})
    mode = results.get("mode") or papermill.get("parameters", {}).get("mode") or ""
    finished = str(results.get("finished") or papermill.get("end_time") or "")
    return {
        "mode": mode,
        "finished": finished.replace("T", " ").replace("+00:00", " UTC")[:23],
        "seconds": results.get("seconds"),
        "status": results.get("status", "ok"),
        "error": results.get("error", ""),
        "version": __version__,
    }


def render_notebook_html(
    nb: nbformat.NotebookNode,
    *,
    results: Mapping[str, Any] | None = None,
    static_url: str | None = STATIC_DIR,
    index_url: str | None = "index.html",
    stem: str = "",
) -> str:
    """The report of an executed notebook as one HTML page.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    results : mapping, optional
        Its results (as in ``<stem>.results.json``): mode, finish time, wall time, status.
    static_url : str or None
        Relative URL of the folder holding ``mathjax/`` (default ``_static``, next to the
        report); None leaves formulas as TeX.
    index_url : str or None
        Link back to the index of the reports folder (None: no link).
    stem : str
        The notebook's name, the title when it has no heading.
    """
    body, _ = _exporter().from_notebook_node(prepare_notebook(nb))
    return render_page(
        "report.html.j2",
        title=notebook_title(nb) or stem or "scalingkit report",
        stem=stem,
        body=Markup(body),
        meta=_meta(results, nb),
        mathjax=mathjax_url(static_url) if static_url else None,
        index_url=index_url,
        index_label="all reports" if index_url == "index.html" else "back",
        code_css=Markup(_code_css()),
    )
