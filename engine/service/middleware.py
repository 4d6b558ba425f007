"""ASGI middleware of the service: limits on what comes in and goes out, and the last line of defence (edge).

- :class:`BodyLimit` reads the request body as it streams in and answers 413 as soon as it passes
  the limit, whether the client declared a ``Content-Length`` or sent it chunked.
- :class:`ResponseLimit` refuses to send a response above the declared output limit (``limit.response``).
- :class:`LastLine` turns an exception no handler expected into one JSON 500 with a Chinese message
  and an incident id; the details go to the server log, never into the response.
"""

from __future__ import annotations

import json
import logging
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.json_values import JsonObject, JsonValue

__all__ = ["BodyLimit", "LastLine", "ResponseLimit", "error_body"]

LOG = logging.getLogger("jixiao.service")


def error_body(code: str, message: str, **extra: JsonValue) -> bytes:
    """The error body of :mod:`engine.service.errors`, for answers sent from below the routes."""
    item: JsonObject = {"code": code, "message": message, "location": None, "field": ""}
    return json.dumps({"error": item, "problems": [item], **extra}, ensure_ascii=False).encode()


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Reject request bodies above a size limit (413), counting bytes as they stream in.

    The body is read here, up to the limit, and handed on in one piece: the application never sees
    a body it would have to abandon half-way (which FastAPI reports as a 400).
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        """Wrap ``app``."""
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body within the limit, then call the application with it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the application see it
                await self.app(scope, _replay(b"", message, receive), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), None, receive), send)

    async def _reject(self, send: Send) -> None:
        await _send_json(send, 413, error_body("request.too_large", f"请求体超过 {self.limit} 字节的上限"))


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body (or ``first``) once, then waits on the real one."""
    pending: list[Message] = [first or {"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


class ResponseLimit:
    """Refuse to send a response body above ``limit`` bytes: 422 ``limit.response`` instead.

    Routes that record something (scoring) check the size before recording; this is the bound
    for every response, so that no small request can make the service send megabytes.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        """Wrap ``app``."""
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass responses within the limit through; replace a larger one by the error."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        buffered: list[bytes] = []
        size = 0
        refused = False

        async def bounded(message: Message) -> None:
            nonlocal start, size, refused
            if refused:
                return
            if message["type"] == "http.response.start":
                declared = dict(message.get("headers") or []).get(b"content-length")
                if declared is not None and declared.isdigit() and int(declared) <= self.limit:
                    await send(message)  # known to fit: stream it through untouched
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                refused = True
                await _send_json(send, 422, error_body("limit.response", response_limit_message(size, self.limit)))
                return
            buffered.append(message.get("body", b""))
            if not message.get("more_body", False):
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(buffered)})

        await self.app(scope, receive, bounded)


def response_limit_message(size: int, limit: int) -> str:
    """The Chinese message of ``limit.response``."""
    return (f"响应超过 {limit} 字节的上限（至少 {size} 字节，JIXIAO_MAX_RESPONSE_BYTES）："
            "请缩小请求，例如减少 sweep 的取值点或只看一个指标（indicator）")


class LastLine:
    """An exception no handler expected: one JSON 500 with an incident id, details only in the log."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the application; on an unexpected exception, log it and answer 500 if nothing was sent yet."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            incident = uuid.uuid4().hex
            LOG.exception("incident %s: %s %s", incident, scope.get("method"), scope.get("path"))
            if not started:
                message = f"服务内部错误，已记录（事件编号 {incident}）：请把事件编号告知服务管理员"
                await _send_json(send, 500, error_body("internal.error", message, incident=incident))
