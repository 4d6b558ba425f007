"""A :class:`Page` → one self-contained HTML file: inline CSS, charts as inline SVG, no script (stage: render).

Jinja2 templates shipped with the package (``engine/render/templates``), autoescaped, so no text from
a policy or fact file can become markup. Pure apart from reading those templates once.
"""

from __future__ import annotations

from functools import cache

import jinja2

from engine.render.chart import plots
from engine.render.page import Page

__all__ = ["render_page_html"]


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("engine.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["plots"] = plots
    return env


def render_page_html(page: Page) -> str:
    """Lay a page out as a standalone HTML document; the same page always gives the same bytes."""
    return _environment().get_template("page.html.j2").render(page=page)
