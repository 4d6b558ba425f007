"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with every script and style served by the service (edge).

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and ReDoc its fonts from Google), so they
are blank on an intranet. The assets come from the ``fastapi-offline`` package, which ships the
Swagger UI and ReDoc bundles as static files; they are mounted at :data:`ASSETS` and FastAPI's page
builders are pointed at them. Swagger UI's online validator badge is switched off: it would send the
document to validator.swagger.io from any host that is not localhost. ReDoc always shows its vendor's
logo from cdn.redoc.ly (no option turns it off); :data:`DOCS_POLICY` makes the browser refuse that
image, and anything else from outside, before any request is made.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "DOCS_POLICY", "FAVICON", "install_docs"]

ASSETS = "/static/api-docs"
FAVICON = "/static/workbench/favicon.png"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# FastAPI's pages start Swagger UI with an inline script; both bundles inject inline styles; ReDoc
# runs its search in a worker made from a blob: URL. Nothing may come from another origin.
DOCS_POLICY = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def _confined(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


def install_docs(app: FastAPI) -> None:
    """Serve the documentation pages; the application must be built with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="api-docs-assets")
    openapi = app.openapi_url or "/openapi.json"
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _confined(get_swagger_ui_html(
            openapi_url=openapi, title=f"{app.title}：接口文档", swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css", swagger_favicon_url=FAVICON,
            oauth2_redirect_url=OAUTH2_REDIRECT, swagger_ui_parameters=parameters))

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _confined(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _confined(get_redoc_html(openapi_url=openapi, title=f"{app.title}：接口文档（ReDoc）",
                                        redoc_js_url=f"{ASSETS}/redoc.standalone.js", redoc_favicon_url=FAVICON,
                                        with_google_fonts=False))
