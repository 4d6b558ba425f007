"""Who may use the workbench: the API's tokens and roles, presented by a browser (edge).

A browser cannot add an ``Authorization`` header to a page it navigates to, so the workbench also
takes the token from a cookie that its login form sets (``HttpOnly``: no script reads it;
``SameSite=Strict``: no other site's page can make the browser send it). The check itself is the
API's (:func:`engine.service.access.require`): same roles, same constant-time comparison, same
messages. With no token configured the service is open and no login is asked for.

A form posted from another site's page is refused whatever the configuration (``Origin`` differs
from ``Host``): in the open mode there is no cookie to protect, but a page elsewhere must still not
make a reviewer's browser record decisions.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials

from engine.service.access import Grant, Role, checked_grant
from engine.service.errors import ApiError
from engine.service.state import ServiceState

__all__ = ["COOKIE", "check_origin", "page_grant", "token_of"]

COOKIE = "jixiao_token"


def token_of(request: Request) -> str | None:
    """The bearer token of a request: the ``Authorization`` header, else the workbench's cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE) or None


def page_grant(request: Request, state: ServiceState, needed: Role) -> Grant:
    """What the request may do, if at least ``needed``.

    Raises:
        ApiError: 401 ``auth.required`` without a valid token, 403 when its role is too small.
    """
    token = token_of(request)
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if token else None
    return checked_grant(state.access, credentials, needed)


def check_origin(request: Request) -> None:
    """Refuse a form posted from a page of another site (403 ``request.origin``).

    A browser says where a request comes from: ``Sec-Fetch-Site`` (``same-origin`` for the
    workbench's own pages), and ``Origin`` with every POST. Behind a reverse proxy that rewrites
    ``Host``, ``Origin`` is compared with ``X-Forwarded-Host`` too; a page of another site can set
    neither header. A request with neither (a script, curl) goes on to the token check.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none"):
            return
        raise _foreign()
    origin = request.headers.get("origin")
    if origin is None:
        return
    hosts = {request.headers.get("host", "").lower(), request.headers.get("x-forwarded-host", "").lower()} - {""}
    if origin == "null" or urlsplit(origin).netloc.lower() not in hosts:
        raise _foreign()


def _foreign() -> ApiError:
    return ApiError(403, "request.origin", "请求来自其他网站的页面，已拒绝：请在 jixiao 工作台的页面中操作")
