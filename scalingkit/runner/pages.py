"""The template layer: every HTML page scalingkit writes, from jinja2 templates and one stylesheet.

Templates and the stylesheet are package files in ``scalingkit/runner/templates/``:

- ``base.html.j2``   the page: doctype, ``<head>`` with the title and the stylesheet inlined (a
  page is one self-contained file), ``<body>``. Blocks: ``title``, ``head`` (extra head
  content, e.g. scripts), ``style`` (page-specific CSS after the shared sheet), ``body_attrs``
  (e.g. `` class="report"`` for the narrower report layout), ``content``.
- ``style.css``       the one stylesheet (status colours, tables, figures).
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
from typing import Any

import jinja2
from markupsafe import Markup

from .formatting import fmt

__all__ = ["Markup", "data_uri", "environment", "frame_html", "render_page", "stylesheet"]

TEMPLATE_PACKAGE = "scalingkit.runner"
TEMPLATE_FOLDER = "templates"


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
    """The shared stylesheet (``templates/style.css``)."""
    loader = environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(environment(), "style.css")
    return source


def render_page(template: str, **context: Any) -> str:
    """Render the page ``template`` (a file in ``templates/``) with ``context``.

    Every page extends ``base.html.j2``; ``stylesheet`` is added to the context.
    """
    return environment().get_template(template).render(stylesheet=stylesheet(), **context)


def frame_html(df, **to_html: Any) -> Markup:
    """A pandas DataFrame as an HTML table for a template (pandas escapes the cells).

    Keyword arguments go to :meth:`pandas.DataFrame.to_html`; ``escape=False`` is for columns
    that already hold markup (callers escape their own text then).
    """
    return Markup(df.to_html(**to_html))
