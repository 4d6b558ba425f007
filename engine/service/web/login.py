"""Signing in to the workbench with a token, and out again (edge; see :mod:`engine.service.web.access`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.service.errors import ApiError
from engine.service.state import StateDep
from engine.service.web.access import COOKIE, check_origin
from engine.service.web.answers import problem_page, read_form
from engine.service.web.templates import html

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.post("/workbench/login", response_class=HTMLResponse)
async def login(request: Request, state: StateDep) -> Response:
    """Check a token and keep it in an ``HttpOnly``, ``SameSite=Strict`` cookie."""
    try:
        check_origin(request)
    except ApiError as err:
        return problem_page(request, err)
    try:
        form = await read_form(request, state)
    except ApiError as err:
        return problem_page(request, err)
    await form.close()
    token = str(form.get("token") or "").strip()
    if not token or state.access.role_of(token) is None:
        return html("login.html.j2", 401, items=[], error="令牌不正确：请向服务管理员索取令牌")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/workbench/logout")
def logout(request: Request) -> Response:
    """Forget the token."""
    try:
        check_origin(request)
    except ApiError as err:
        return problem_page(request, err)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response
