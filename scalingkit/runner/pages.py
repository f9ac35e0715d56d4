"""The template layer: every HTML page scalingkit writes, from jinja2 templates and one stylesheet.

Templates and the stylesheet are package files in ``scalingkit/runner/templates/``:

- ``base.html.j2``   the page: doctype, ``<head>`` with the title and the stylesheet inlined (a
  page is one self-contained file), ``<body>``. Blocks: ``title``, ``head`` (extra head
  content, e.g. scripts), ``style`` (page-specific CSS after the shared sheet), ``body_attrs``
  (e.g. `` class="report"`` for the narrower report layout), ``content``.
- ``style.css``       the one stylesheet (status colours, tables, figures, the report layout),
  served together with :func:`scalingkit.reporting.presentation.document_css` (the elements
  notebooks display: figures, captions, verdict tables), so notebook outputs and pages agree.
- ``report.html.j2``  a notebook's report ``<stem>.html`` (:func:`scalingkit.runner.render`),
  around the cells nbconvert renders with its own template ``runner/cell_templates/
  scalingkit_cells`` (JupyterLab's cell markup, no page, no scripts); formulas are typeset by the MathJax copied next to the
  reports (:func:`install_static`), so nothing is fetched from the network.
- ``index.html.j2``   ``reports/index.html`` (:func:`scalingkit.runner.build_index`)
- ``sweep.html.j2``   ``sweep.html`` (:func:`scalingkit.runner.sweep.render_sweep_report`)
- ``fit.html.j2``     ``report.html`` of ``scalingkit fit``
  (:func:`scalingkit.runner.userfit.render_html`)

A page is rendered with :func:`render_page` (template name and its variables). Autoescaping is
on: strings are escaped unless wrapped in :class:`markupsafe.Markup` (as :func:`frame_html`
does for pandas tables, which escape their own cells). Filters available in every template:
``fmt`` (:func:`scalingkit.runner.formatting.fmt`) and ``data_uri`` (PNG bytes or base64 text to
a ``data:image/png;base64,...`` URI).
"""

from __future__ import annotations

import base64
import functools
import importlib.metadata
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..reporting.presentation import document_css
from .formatting import fmt

__all__ = [
    "MATHJAX_CONFIG",
    "STATIC_DIR",
    "Markup",
    "data_uri",
    "environment",
    "frame_html",
    "install_static",
    "mathjax_url",
    "render_page",
    "stylesheet",
]

TEMPLATE_PACKAGE = "scalingkit.runner"
TEMPLATE_FOLDER = "templates"

#: Folder, next to the reports, that holds the files every report shares (MathJax).
STATIC_DIR = "_static"
#: MathJax 2.7 combined configuration shipped by ``jupyter-server-mathjax`` (TeX input,
#: HTML-CSS output with the STIX-Web fonts) plus its "Safe" mode (no links or styles from TeX).
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
# not copied: the accessibility extensions (menu only, which reports disable) and the SVG fonts
# (jupyter-server-mathjax ships no SVG output jax to use them)
_MATHJAX_SKIP = ("a11y", "SVG")


def data_uri(png: bytes | str) -> str:
    """``data:image/png;base64,...`` for PNG bytes (or their base64 text)."""
    b64 = png if isinstance(png, str) else base64.b64encode(png).decode("ascii")
    return f"data:image/png;base64,{b64}"


@functools.cache
def environment() -> jinja2.Environment:
    """The jinja2 environment of scalingkit's pages (templates loaded from the package)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,  # a missing variable is an error, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = fmt
    env.filters["data_uri"] = data_uri
    return env


def stylesheet() -> str:
    """The shared stylesheet: ``templates/style.css`` and the notebook elements' sheet."""
    loader = environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(environment(), "style.css")
    return source + document_css()


def _mathjax_source() -> tuple[Path, str] | None:
    """MathJax's folder in ``jupyter-server-mathjax`` and that package's version (or None)."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    root = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (root / "MathJax.js").is_file():
        return None
    return root, importlib.metadata.version("jupyter-server-mathjax")


def install_static(folder: str | os.PathLike[str]) -> Path | None:
    """Copy MathJax into ``<folder>/_static/mathjax`` (once per version) and return it.

    Reports load it by a relative URL, so a reports folder renders formulas offline and can be
    moved or zipped as a whole. The copy is made in a scratch folder and renamed into place,
    so a report folder never holds half of it. Returns None (formulas then stay as TeX) when
    ``jupyter-server-mathjax`` is not installed.
    """
    source = _mathjax_source()
    if source is None:
        return None
    root, version = source
    dest = Path(folder) / STATIC_DIR / "mathjax"
    stamp = f"jupyter-server-mathjax {version}\n"
    marker = dest / ".scalingkit-source"
    if marker.is_file() and marker.read_text() == stamp:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = dest.parent / f".mathjax-{uuid.uuid4().hex}.tmp"
    try:
        shutil.copytree(root, scratch, ignore=shutil.ignore_patterns(*_MATHJAX_SKIP))
        (scratch / ".scalingkit-source").write_text(stamp)
        if dest.exists():
            old = dest.parent / f".mathjax-old-{uuid.uuid4().hex}.tmp"
            dest.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        scratch.rename(dest)
    except OSError:
        if not (marker.is_file() and marker.read_text() == stamp):  # not a concurrent twin
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest


def mathjax_url(static_url: str = STATIC_DIR) -> str:
    """The ``src`` of MathJax for a page whose shared files are at ``static_url`` (relative)."""
    return f"{static_url.rstrip('/')}/mathjax/MathJax.js?config={MATHJAX_CONFIG}"


def render_page(template: str, **context: Any) -> str:
    """Render the page ``template`` (a file in ``templates/``) with ``context``.

    Every page extends ``base.html.j2``; ``stylesheet`` is added to the context.
    """
    # Markup: CSS is not HTML; escaping its quotes would break selectors like [data-x="y"]
    return environment().get_template(template).render(stylesheet=Markup(stylesheet()), **context)


def frame_html(df, **to_html: Any) -> Markup:
    """A pandas DataFrame as an HTML table for a template (pandas escapes the cells).

    Keyword arguments go to :meth:`pandas.DataFrame.to_html`; ``escape=False`` is for columns
    that already hold markup (callers escape their own text then).
    """
    return Markup(df.to_html(**to_html))
