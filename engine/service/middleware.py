"""ASGI middleware of the service: limits enforced before a handler sees the request (edge)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.service import models

__all__ = ["BodyLimit"]


class BodyLimit:
    """Reject request bodies above a size limit (413) without reading them into memory first."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        """Wrap ``app``."""
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count body bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        item = models.ErrorItem(code="request.too_large", message=f"请求体超过 {self.limit} 字节的上限")
        body = json.dumps({"error": item.model_dump(mode="json"), "problems": [item.model_dump(mode="json")]},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
