"""Mount the workbench and the offline API documentation on the service's application (edge)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from engine.service.web import downloads, login, pages
from engine.service.web.docs import install_docs

__all__ = ["STATIC", "install_web"]

STATIC = "/static/workbench"


def install_web(app: FastAPI) -> None:
    """The workbench at ``/`` with its static files, and ``/docs`` and ``/redoc`` served offline."""
    app.mount(STATIC, StaticFiles(packages=[("engine.service.web", "static")]), name="workbench-static")
    install_docs(app)
    for router in (pages.router, downloads.router, login.router):
        app.include_router(router)
