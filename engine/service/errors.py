"""Error responses of the API: every failure is the CLI's located problems as JSON (edge).

``ApiError`` is an HTTP-level problem raised by a handler; a :class:`engine.errors.JixiaoError` is a
problem with the input; both become ``{"error": first problem, "problems": [all]}`` with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Route

from engine.errors import JixiaoError, Problem, problem_dict
from engine.schema_errors import field_message
from engine.service import models

__all__ = ["ApiError", "error_item", "error_response", "install_handlers"]


class ApiError(Exception):
    """An error with an HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, field: str = "",
                 location: models.Location | None = None, headers: dict[str, str] | None = None) -> None:
        """Keep the status, the problem and any headers the status calls for (``WWW-Authenticate``)."""
        super().__init__(message)
        self.status, self.headers = status, headers or {}
        self.problem = models.ErrorItem(code=code, message=message, location=location, field=field)


MAX_MESSAGE = 1_000


def error_item(problem: Problem) -> models.ErrorItem:
    """One engine problem as the API's error item: the shape batch records use too.

    A message quoting the input (a value of a million digits) is cut to :data:`MAX_MESSAGE` characters.
    """
    item = models.ErrorItem.model_validate(problem_dict(problem))
    if len(item.message) > MAX_MESSAGE:
        item.message = f"{item.message[:MAX_MESSAGE]}…（消息过长，已截断；共 {len(item.message)} 个字符）"
    return item


def error_response(status: int, items: list[models.ErrorItem]) -> JSONResponse:
    """The one error body: the first problem and all problems."""
    body = models.ErrorResponse(error=items[0], problems=items)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def install_handlers(app: FastAPI) -> None:
    """Turn every error a request can cause into the error body."""
    app.add_exception_handler(JixiaoError, _for(JixiaoError, _jixiao_error))
    app.add_exception_handler(ApiError, _for(ApiError, _api_error))
    app.add_exception_handler(StarletteHTTPException, _for(StarletteHTTPException, _http_error))
    app.add_exception_handler(RequestValidationError, _for(RequestValidationError, _invalid))


_E = TypeVar("_E", bound=Exception)


def _for(kind: type[_E], handle: Callable[[Request, _E], Awaitable[JSONResponse]]
         ) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler of one exception class as Starlette types handlers: of any exception."""
    async def handler(request: Request, err: Exception) -> Response:
        assert isinstance(err, kind)  # Starlette calls it for ``kind`` and its subclasses only
        return await handle(request, err)

    return handler


async def _jixiao_error(_request: Request, err: JixiaoError) -> JSONResponse:
    return error_response(422, [error_item(p) for p in err.problems])


async def _api_error(_request: Request, err: ApiError) -> JSONResponse:
    response = error_response(err.status, [err.problem])
    response.headers.update(err.headers)
    return response


async def _http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
    if err.status_code == 405:
        allowed = _allowed_methods(request)
        item = models.ErrorItem(code="request.method",
                                message=f"{request.method} 不适用于 {request.url.path}，可用：{', '.join(allowed)}")
        response = error_response(405, [item])
        response.headers["Allow"] = ", ".join(allowed)
        return response
    code = "request.not_found" if err.status_code == 404 else "request.http"
    return error_response(err.status_code, [models.ErrorItem(code=code, message=str(err.detail))])


async def _invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
    items = [models.ErrorItem(code="request.invalid", message=f"请求格式不对：{field_message(e)}",
                              field=".".join(str(p) for p in e.get("loc", ()))) for e in err.errors()]
    return error_response(422, items or [models.ErrorItem(code="request.invalid", message="请求格式不对")])


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, APIRoute | Route):
            methods |= set(route.methods or ())
    return sorted(methods)
