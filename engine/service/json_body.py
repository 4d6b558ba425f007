r"""The JSON request body, checked before FastAPI parses it (edge).

RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8, so a body in any other encoding is a
415 ``request.encoding`` naming the encoding it looks like (a UTF-8 byte order mark is ignored, as the
RFC allows). Python's ``json`` accepts things that are not JSON or that later stages cannot hold:
``NaN``/``Infinity``, a lone surrogate escape (``"\ud800"``: no Unicode character, and not encodable
as UTF-8), numbers of any length (a 50 MB run of digits) and nesting that exhausts the stack. Each is
a located 422 here, with the position in ``request.json`` (1-based line and column, in characters).

Limits: a number has at most :data:`MAX_NUMBER_CHARS` characters and a decimal exponent within
±:data:`MAX_EXPONENT`; far beyond any amount, rate or count a fact file holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from engine.service import models
from engine.service.errors import ApiError

__all__ = ["BODY_FILE", "MAX_EXPONENT", "MAX_NUMBER_CHARS", "CheckedRoute", "check_body", "decode_body"]

BODY_FILE = "request.json"
MAX_NUMBER_CHARS = 100
MAX_EXPONENT = 100

_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32BE"), (b"\xff\xfe\x00\x00", "UTF-32LE"),
         (b"\xfe\xff", "UTF-16BE"), (b"\xff\xfe", "UTF-16LE"))
# where the NUL bytes of the first four bytes are, for JSON text starting with ASCII (RFC 4627 §3)
_NUL_PATTERNS = {"000x": "UTF-32BE", "x000": "UTF-32LE", "0x0x": "UTF-16BE", "x0x0": "UTF-16LE"}
_UTF8_ONLY = "：JSON 请求必须使用 UTF-8 编码（RFC 8259 §8.1）"
_LONE = re.compile("[\ud800-\udfff]")  # in a decoded string: what is left of a pair is alone
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_EXPONENT = re.compile(r"[eE]([+-]?\d+)$")


class CheckedRoute(APIRoute):
    """A route whose JSON body is checked by :func:`check_body` before FastAPI reads it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, behind the body check."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            body = await request.body()
            if body and _is_json(request.headers.get("content-type")):
                check_body(body)
            return await handler(request)

        return checked


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse the body as JSON (no content type, or ``application/…json``)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def check_body(raw: bytes) -> None:
    r"""Raise the located :class:`ApiError` of the first problem of a JSON body, if any.

    >>> check_body(b'{"facts_text": "a: 1"}')
    >>> check_body('{"a": 1}'.encode("utf-16"))
    Traceback (most recent call last):
    ...
    engine.service.errors.ApiError: 请求体是 UTF-16LE 编码：JSON 请求必须使用 UTF-8 编码（RFC 8259 §8.1）
    >>> check_body(b'{"a": "\\ud800"}')
    Traceback (most recent call last):
    ...
    engine.service.errors.ApiError: 字符串中有单独的代理项转义 \ud800，它不是 Unicode 字符
    """
    text = decode_body(raw)
    try:
        value = json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise _located(422, "request.invalid", f"JSON 语法错误：{err.msg}", err.lineno, err.colno) from None
    except _BadNumber as err:
        line, col = _position(text, _literal_offset(text, err.literal))
        raise _located(422, "request.number", err.message, line, col) from None
    except RecursionError:
        raise _located(422, "request.invalid", "JSON 嵌套过深", 1, 1) from None
    if _SURROGATE.search(text) and _has_surrogate(value):  # a lone surrogate can only come from an escape
        offset, escape = _lone_surrogate(text)
        line, col = _position(text, offset)
        raise _located(422, "request.surrogate", f"字符串中有单独的代理项转义 {escape}，它不是 Unicode 字符",
                       line, col)


def decode_body(raw: bytes) -> str:
    """The body as text: strict UTF-8, a byte order mark dropped; anything else is a 415.

    UTF-16 and UTF-32 are recognised first, by their byte order mark or their NUL bytes: ASCII text
    in UTF-16 is also valid UTF-8 (NUL is a UTF-8 character), only not JSON.
    """
    encoding = _looks_like(raw)
    if encoding:
        raise _located(415, "request.encoding", f"请求体是 {encoding} 编码{_UTF8_ONLY}", 1, 1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line, col = _byte_position(raw, err.start)
        message = f"请求体不是 UTF-8 编码（第 {line} 行第 {col} 列字节无法解码）{_UTF8_ONLY}"
        raise _located(415, "request.encoding", message, line, col) from None


def _looks_like(raw: bytes) -> str | None:
    """The UTF-16/UTF-32 variant a body looks like: its byte order mark, or where the NULs are (RFC 4627 §3)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    nuls = "".join("0" if b == 0 else "x" for b in raw[:4])
    return _NUL_PATTERNS.get(nuls)


class _BadNumber(ValueError):
    def __init__(self, literal: str, message: str) -> None:
        super().__init__(message)
        self.literal, self.message = literal, message


def _number(literal: str) -> str:
    """Check a number's size; the value itself is read later, exactly, from the text."""
    if len(literal) > MAX_NUMBER_CHARS:
        raise _BadNumber(literal, f"数字有 {len(literal)} 个字符，超过上限 {MAX_NUMBER_CHARS}")
    exponent = _EXPONENT.search(literal)
    if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
        raise _BadNumber(literal, f"数字 {literal} 的指数超出范围（±{MAX_EXPONENT}）")
    return literal


def _constant(literal: str) -> None:
    raise _BadNumber(literal, f"{literal} 不是 JSON 数值（RFC 8259 不允许 NaN 和 Infinity）")


def _literal_offset(text: str, literal: str) -> int:
    """Where a number literal stands as a value (after ``:``, ``[``, ``,`` or whitespace)."""
    for found in re.finditer(re.escape(literal), text):
        before = text[: found.start()].rstrip()
        if not before or before[-1] in ":[,":
            return found.start()
    return 0


def _has_surrogate(value: object) -> bool:
    """Whether a parsed JSON value holds a lone surrogate in any key or string (walked without recursion)."""
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _lone_surrogate(text: str) -> tuple[int, str]:
    r"""Offset and text of the first ``\uD8xx``-``\uDFxx`` escape that is not half of a pair."""
    matches = [m for m in _SURROGATE.finditer(text) if _escaped(text, m.start())]
    index = 0
    while index < len(matches):
        high = matches[index]
        following = matches[index + 1] if index + 1 < len(matches) else None
        is_high = high.group()[3].lower() in "89ab"
        if is_high and following and following.start() == high.end() and following.group()[3].lower() in "cdef":
            index += 2
            continue
        return high.start(), high.group()
    return 0, "\\ud800"


def _escaped(text: str, start: int) -> bool:
    """Whether the backslash at ``start`` begins an escape (an even number of backslashes before it)."""
    count = 0
    while start - count - 1 >= 0 and text[start - count - 1] == "\\":
        count += 1
    return count % 2 == 0


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    return line, offset - (raw.rfind(b"\n", 0, offset) + 1) + 1


def _located(status: int, code: str, message: str, line: int, col: int) -> ApiError:
    return ApiError(status, code, message, location=models.Location(file=BODY_FILE, line=line, col=col))
