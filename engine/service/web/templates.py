"""The workbench's Jinja environment: its own templates, then the reports' (for their ``entry`` macro) (edge)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

__all__ = ["PAGE_POLICY", "html", "render"]

# The browser itself refuses anything from outside the service: scripts, styles, images, fonts,
# requests and form targets are this origin's only (htmx's own indicator style is switched off in
# base.html.j2, so no inline style is needed either).
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@cache
def _environment() -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("engine.service.web", "templates"),
                                  jinja2.PackageLoader("engine.render", "templates")])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env


def render(name: str, **context: Any) -> str:
    """A template rendered with ``context``; every value is escaped unless a template says otherwise."""
    return _environment().get_template(name).render(**context)


def html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template as an HTML response, under :data:`PAGE_POLICY`."""
    return HTMLResponse(render(name, **context), status_code=status, headers={"Content-Security-Policy": PAGE_POLICY})
