"""Text → :class:`SourceDoc` (value + positions) (stage: load; no file I/O).

A document is read by one of two readers, which give the same :class:`SourceDoc`: the YAML path
(:func:`parse_document`, the values built from libyaml's events by ``engine.source_yaml``, which
also reads JSON: a JSON syntax error is reported with the JSON decoder's position), and, for JSON
text, :func:`parse_json` (``engine.source_json``: the C JSON decoder and one scan of the tokens),
which leaves anything but plain, valid JSON to the YAML path. Before either, the text is decoded
(:func:`decode`) and refused, with its position, for a character YAML forbids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.json_values import DocValue, Path
from engine.source_json import NotPlain, read_json
from engine.source_yaml import FORBIDDEN, field_path, read_yaml

__all__ = ["Path", "SourceDoc", "decode", "field_path", "parse_document", "parse_json", "value_at"]

_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_NAMES = {0: "NUL", 7: "BEL", 8: "退格", 0x1B: "ESC", 0x7F: "DEL", 0xFFFE: "非字符", 0xFFFF: "非字符"}
_T = TypeVar("_T")


@dataclass(frozen=True)
class SourceDoc:
    """A parsed document: plain Python values plus the position of every value and key."""

    file: str
    value: DocValue
    positions: dict[Path, SourceLocation] = field(default_factory=dict)
    key_positions: dict[Path, SourceLocation] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)

    def sub(self, prefix: Path) -> SourceDoc:
        """The part under ``prefix`` as a document of its own; positions still point into this file."""
        value = value_at(self.value, prefix)
        size = len(prefix)

        def rebase(table: dict[Path, _T]) -> dict[Path, _T]:
            return {key[size:]: loc for key, loc in table.items() if key[:size] == prefix}

        return SourceDoc(self.file, value, rebase(self.positions), rebase(self.key_positions), rebase(self.styles))

    def locate(self, path: Path, *, key: bool = False) -> SourceLocation:
        """Return the position of ``path`` or of its nearest ancestor that has one."""
        table = self.key_positions if key else self.positions
        for depth in range(len(path), -1, -1):
            found = table.get(path[:depth]) or self.positions.get(path[:depth])
            if found:
                return found
        return SourceLocation(self.file, 1, 1)


def value_at(value: DocValue, path: Path) -> DocValue:
    """The value at ``path`` inside ``value``; ``KeyError`` (or ``IndexError``) where there is none.

    >>> value_at({"indicators": [{"id": "A"}]}, ("indicators", 0, "id"))
    'A'
    """
    for part in path:
        if isinstance(value, dict) and isinstance(part, str):
            value = value[part]
            continue
        if isinstance(value, list) and isinstance(part, int):
            value = value[part]
            continue
        raise KeyError(part)
    return value


def value_paths(value: DocValue, path: Path = ()) -> Iterator[Path]:
    """Every path inside ``value``, depth first, starting with ``path`` itself.

    >>> list(value_paths({"a": [1]}))
    [(), ('a',), ('a', 0)]
    """
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from value_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from value_paths(item, (*path, i))


def decode(data: bytes, file: str) -> str:
    """Decode UTF-8 (a BOM is dropped); any other encoding is a located error.

    >>> decode("预算".encode(), "f.yaml")
    '预算'
    >>> decode("预算".encode("gbk"), "f.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.errors.JixiaoError: f.yaml:1:3: source.encoding: 文件不是 UTF-8 编码（第 1 行第 3 列字节无法解码）...
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        hint = "，可能是 GBK/GB18030" if _is_gb18030(data) else ""
        raise JixiaoError(
            ErrorCode.SOURCE_ENCODING,
            f"文件不是 UTF-8 编码（第 {line} 行第 {col} 列字节无法解码）{hint}：请另存为 UTF-8",
            SourceLocation(file, line, col),
        ) from None


def _is_gb18030(data: bytes) -> bool:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def parse_document(text: str, file: str, *, general: bool = False) -> SourceDoc:
    """Parse YAML or JSON text into a :class:`SourceDoc` (JSON when the name ends ``.json``).

    Raises:
        JixiaoError: ``source.*`` for text that is not a valid document, ``limit.*`` for one that
            exceeds a declared limit; always with the line and column of the cause.
    """
    if file.endswith(".json"):
        _check_json(text, file)
    _check_characters(text, file)
    value, (positions, key_positions, styles) = read_yaml(text, file, general=general)
    return SourceDoc(file, value, positions, key_positions, styles)


def _check_json(text: str, file: str) -> None:
    if not text.strip():
        raise JixiaoError(ErrorCode.SOURCE_EMPTY, "文件为空", SourceLocation(file, 1, 1))
    try:  # only the syntax is checked here: numbers stay text, so no length of digits is slow
        json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as err:
        where = SourceLocation(file, err.lineno, err.colno)
        raise JixiaoError(ErrorCode.SOURCE_SYNTAX, f"JSON 语法错误：{err.msg}", where) from None
    except RecursionError:
        pass  # nested too deeply for the decoder: the YAML builder reports where (limit.depth)


def _check_characters(text: str, file: str) -> None:
    """Refuse a character YAML forbids (NUL, other control characters, lone surrogates) where it is."""
    found = FORBIDDEN.search(text)
    if found is None:
        return
    pos = found.start()
    breaks = list(_BREAK.finditer(text, 0, pos))  # counted as libyaml counts them, so lines agree with its marks
    line = len(breaks) + 1
    col = pos - (breaks[-1].end() if breaks else 0) + 1
    point = ord(found.group())
    name = _NAMES.get(point, "代理项" if 0xD800 <= point <= 0xDFFF else "控制字符")
    raise JixiaoError(ErrorCode.SOURCE_CHARACTER,
                      f"第 {line} 行第 {col} 列有 YAML 不允许的字符 U+{point:04X}（{name}）：请删除它",
                      SourceLocation(file, line, col))


def parse_json(text: str, file: str, under: Path = ()) -> SourceDoc:
    """JSON text into the :class:`SourceDoc` that :func:`parse_document` gives, without the YAML event stream.

    The same values, positions, key positions and styles (a test holds the two to each other on
    generated documents); about an order of magnitude less work per node. Anything but plain,
    valid JSON within the limits (a syntax error, a duplicate key, a limit, a full-width number,
    a rare escape) is read by :func:`parse_document` instead, so every error is the YAML path's,
    with its code and position. With ``under``, the part there is what is kept, as by
    :meth:`SourceDoc.sub` (the service reads the ``facts`` of a request): the scan records only
    what lies under it, and nothing is rebased afterwards.

    Raises:
        JixiaoError: as :func:`parse_document`.
        KeyError: nothing is at ``under``.
    """
    try:
        return _fast_json(text, file, under)
    except NotPlain:
        doc = parse_document(text, file)
        return doc.sub(under) if under else doc


def _fast_json(text: str, file: str, under: Path = ()) -> SourceDoc:
    """What :func:`parse_json` gives for plain JSON (``NotPlain`` for anything else)."""
    values, (positions, key_positions, styles) = read_json(text, file, under)
    return SourceDoc(file, value_at(values, under), positions, key_positions, styles)
