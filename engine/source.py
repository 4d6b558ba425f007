"""Text → :class:`SourceDoc` (value + positions) (stage: load; no file I/O).

YAML is composed into nodes with PyYAML and the values are built here, so that YAML 1.1's
implicit conversions never change a value silently: numbers become ``Decimal`` from their
text (``1e3`` is the number 1000, not a string), dates and ``yes``/``no`` stay text,
duplicate keys are errors. JSON is YAML for this purpose (a JSON syntax error is reported
with the JSON decoder's position).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from engine.errors import ErrorCode, JixiaoError, SourceLocation

__all__ = ["Path", "SourceDoc", "decode", "field_path", "parse_document"]

Path = tuple[str | int, ...]

_NUMBER = re.compile(r"[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
# libyaml's C parser composes the same nodes with the same marks, about 8× faster than the pure-Python
# one (checked on every YAML file in this repository); PyYAML's wheels ship it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SourceDoc:
    """A parsed document: plain Python values plus the position of every value and key."""

    file: str
    value: Any
    positions: dict[Path, SourceLocation] = field(default_factory=dict)
    key_positions: dict[Path, SourceLocation] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)

    def sub(self, prefix: Path) -> SourceDoc:
        """The part under ``prefix`` as a document of its own; positions still point into this file."""
        value = self.value
        for part in prefix:
            value = value[part]
        size = len(prefix)

        def rebase(table: dict[Path, Any]) -> dict[Path, Any]:
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


def field_path(path: Path) -> str:
    """Render a key path as ``indicators[0].children[1].rule``.

    >>> field_path(("indicators", 0, "children", 1, "rule"))
    'indicators[0].children[1].rule'
    >>> field_path(())
    ''
    """
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


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


def parse_document(text: str, file: str) -> SourceDoc:
    """Parse YAML or JSON text into a :class:`SourceDoc` (JSON when the name ends ``.json``)."""
    if file.endswith(".json"):
        _check_json(text, file)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else None
        raise JixiaoError(ErrorCode.SOURCE_SYNTAX, f"YAML 语法错误：{err.problem}", where) from None
    except yaml.YAMLError as err:
        raise JixiaoError(ErrorCode.SOURCE_SYNTAX, f"YAML 语法错误：{err}", SourceLocation(file, 1, 1)) from None
    if node is None:
        raise JixiaoError(ErrorCode.SOURCE_EMPTY, "文件为空", SourceLocation(file, 1, 1))
    builder = _Builder(file)
    value = builder.build(node, ())
    return SourceDoc(file, value, builder.positions, builder.key_positions, builder.styles)


def _check_json(text: str, file: str) -> None:
    if not text.strip():
        raise JixiaoError(ErrorCode.SOURCE_EMPTY, "文件为空", SourceLocation(file, 1, 1))
    try:
        json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as err:
        where = SourceLocation(file, err.lineno, err.colno)
        raise JixiaoError(ErrorCode.SOURCE_SYNTAX, f"JSON 语法错误：{err.msg}", where) from None


class _Builder:
    """Build plain values from composed YAML nodes, recording positions on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path, SourceLocation] = {}
        self.key_positions: dict[Path, SourceLocation] = {}
        self.styles: dict[Path, str | None] = {}

    def loc(self, node: yaml.Node) -> SourceLocation:
        return SourceLocation(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.positions[path] = self.loc(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        self.styles[path] = node.style or None  # the C parser says '' for plain scalars
        return _scalar(node)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise JixiaoError(ErrorCode.SOURCE_SYNTAX, "键必须是标量", self.loc(key_node))
            key = str(key_node.value)
            if key in out:
                first = self.key_positions[(*path, key)]
                raise JixiaoError(
                    ErrorCode.SOURCE_DUPLICATE_KEY,
                    f"键「{key}」重复（第一次出现在第 {first.line} 行）",
                    self.loc(key_node),
                    field_path((*path, key)),
                )
            self.key_positions[(*path, key)] = self.loc(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style:  # quoted or block scalar: always text
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _NUMBER.fullmatch(text):
        return Decimal(text.replace("_", ""))
    return text
