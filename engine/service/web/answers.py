"""How a workbench request is answered: the form read, the role checked, problems shown as pages (edge).

Input problems become located Chinese messages in the page, with the status the API gives the same
problem (400, 404, 413, 422…); an htmx request gets the message as a fragment, any other a whole page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import JixiaoError
from engine.service.access import Role
from engine.service.errors import ApiError, error_item
from engine.service.state import ServiceState
from engine.service.web.access import check_origin, page_grant
from engine.service.web.templates import html

__all__ = ["Shown", "answer", "is_htmx", "problem_page", "read_form"]


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"


@dataclass(frozen=True, slots=True)
class Shown:
    """A problem as the page shows it: where, what, its stable code and field."""

    where: str
    message: str
    code: str
    field: str


def problems(err: ApiError | JixiaoError) -> tuple[int, list[Shown]]:
    """The status and the shown problems of an error."""
    if isinstance(err, ApiError):
        loc = err.problem.location
        where = f"{loc.file}:{loc.line}:{loc.col}" if loc else ""
        return err.status, [Shown(where, err.problem.message, err.problem.code, err.problem.field)]
    items = [(p, error_item(p)) for p in err.problems]  # error_item cuts a message that quotes a huge input
    return 422, [Shown(str(p.location) if p.location else "", item.message, item.code, item.field) for p, item in items]


def problem_page(request: Request, err: ApiError | JixiaoError) -> HTMLResponse:
    """A located Chinese message in place of the answer, with the status the API gives the same problem."""
    status, items = problems(err)
    login = status == 401
    if not is_htmx(request):
        return html("login.html.j2" if login else "problem_page.html.j2", status, items=items, error="", login=login)
    return html("problem.html.j2", status, items=items, login=login)


async def answer(request: Request, state: ServiceState, needed: Role,
                 work: Callable[[ServiceState, FormData], Response]) -> Response:
    """Check the origin and the role, read the form, run ``work`` in the thread pool; problems become pages."""
    try:
        check_origin(request)
        page_grant(request, state, needed)
        form = await read_form(request, state)
        try:
            return await run_in_threadpool(work, state, form)
        finally:
            await form.close()
    except (ApiError, JixiaoError) as err:
        return problem_page(request, err)


async def read_form(request: Request, state: ServiceState) -> FormData:
    """The posted form; a part larger than the body limit or a malformed body is a 400 ``request.form``."""
    try:
        return await request.form(max_part_size=state.config.max_body_bytes)
    except StarletteHTTPException as err:
        raise ApiError(400, "request.form", f"表单无法读取：{err.detail}") from None
