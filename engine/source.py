"""Text → :class:`SourceDoc` (value + positions) (stage: load; no file I/O).

The values are built here from libyaml's event stream, so that YAML 1.1's implicit conversions
never change a value silently: numbers become ``Decimal`` from their text (``1e3`` is the number
1000, not a string; only ASCII digits make a number), dates and ``yes``/``no`` stay text,
duplicate keys and explicit tags (``!!str``) are errors. Merge keys (``<<: *defaults``) work as
YAML 1.1 defines them: the mapping's own keys win, merged values are located at the ``<<``.
JSON is YAML for this purpose (a JSON syntax error is reported with the JSON decoder's position).

The builder is a loop over events with its own stack, never a recursion, and it counts as it
goes: documents, nodes (an alias counts every node it expands to, *before* it is expanded),
nesting depth, alias uses, scalar and key lengths, digits and magnitude of numbers
(``engine.input_limits``). So a "billion laughs" file stops at the alias use that crosses the
limit, with that use's line, after work proportional to the limit, not to the expansion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import yaml

from engine import decimals, input_limits
from engine.errors import ErrorCode, JixiaoError, SourceLocation, location
from engine.json_values import DocValue

__all__ = ["Path", "SourceDoc", "decode", "field_path", "parse_document", "parse_json", "value_at"]

Path = tuple[str | int, ...]

_NUMBER = decimals.NUMBER
# YAML 1.1's printable set (PyYAML's Reader.NON_PRINTABLE): anything else is refused where it stands
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_NAMES = {0: "NUL", 7: "BEL", 8: "退格", 0x1B: "ESC", 0x7F: "DEL", 0xFFFE: "非字符", 0xFFFF: "非字符"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_MERGE = "<<"
_MERGE_SLOT = "\x00<<"  # the key a merge value is built under: no document can hold a NUL (_check_characters)
_T = TypeVar("_T")
_NUMBER_START = "+-.0123456789"  # what a match of decimals.NUMBER can begin with


class _EventStream(Protocol):
    """What the builder needs of a PyYAML loader: its events, then its release."""

    def get_event(self) -> yaml.Event | None: ...
    def dispose(self) -> None: ...

# libyaml's C parser composes the same nodes with the same marks, about 8× faster than the pure-Python
# one (checked on every YAML file in this repository); PyYAML's wheels ship it.
_LOADER: Callable[[str], _EventStream] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def parse_document(text: str, file: str, *, general: bool = False) -> SourceDoc:
    """Parse YAML or JSON text into a :class:`SourceDoc` (JSON when the name ends ``.json``).

    Raises:
        JixiaoError: ``source.*`` for text that is not a valid document, ``limit.*`` for one that
            exceeds a declared limit; always with the line and column of the cause.
    """
    if file.endswith(".json"):
        _check_json(text, file)
    _check_characters(text, file)
    builder = _Builder(file)
    loader = _LOADER(text)
    try:
        found, value = builder.run_general(loader) if general else builder.run(loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = SourceLocation(file, mark.line + 1, mark.column + 1) if mark else SourceLocation(file, 1, 1)
        if err.problem and "maximum nesting depth" in err.problem:  # libyaml's own bound, met while looking ahead
            raise JixiaoError(ErrorCode.LIMIT_DEPTH, f"嵌套超过 {input_limits.DEPTH} 层", where) from None
        raise JixiaoError(ErrorCode.SOURCE_SYNTAX, f"YAML 语法错误：{err.problem}", where) from None
    except yaml.YAMLError as err:
        raise JixiaoError(ErrorCode.SOURCE_SYNTAX, f"YAML 语法错误：{err}", SourceLocation(file, 1, 1)) from None
    finally:
        loader.dispose()
    if not found:
        raise JixiaoError(ErrorCode.SOURCE_EMPTY, "文件为空", SourceLocation(file, 1, 1))
    return SourceDoc(file, value, builder.positions, builder.key_positions, builder.styles)


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
    found = _FORBIDDEN.search(text)
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


@dataclass(slots=True)
class _Frame:
    """An open mapping or sequence while its events arrive."""

    value: dict[str, DocValue] | list[DocValue]
    path: Path
    anchor: str | None
    nodes_before: int
    key: str | None = None
    # YAML merge keys (``<<: *defaults``): the mappings to merge, and where their ``<<`` stands
    merge: DocValue = None
    merge_at: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class _Anchor:
    """A finished anchored node: its value, how many nodes it expands to, its text if a scalar."""

    value: DocValue
    size: int
    text: str | None


class _Builder:
    """Build plain values from libyaml events, recording positions and counting against the limits."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path, SourceLocation] = {}
        self.key_positions: dict[Path, SourceLocation] = {}
        self.styles: dict[Path, str | None] = {}
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.nodes = 0
        self.aliases = 0
        self.result: DocValue = None

    def loc(self, event: yaml.Event) -> SourceLocation:
        mark = event.start_mark
        assert mark is not None  # libyaml marks every event
        return location(self.file, mark.line + 1, mark.column + 1)

    def fail(self, code: ErrorCode, message: str, event: yaml.Event, path: Path = ()) -> JixiaoError:
        return JixiaoError(code, message, self.loc(event), field_path(path))

    def run(self, loader: _EventStream) -> tuple[bool, DocValue]:  # noqa: C901 - one loop: the usual event costs no call
        """Consume the event stream; return whether there was a document, and its value.

        The usual scalar (plain or quoted, without anchor or tag, inside a container: a key that is
        new, short and not ``<<``, or a value) is handled inline with the state in locals; every
        other event goes through :meth:`node` or :meth:`close`, which handle all of them. Both keep
        the same state (the frames, the node count, the positions), so the results are the same
        whichever way an event goes (tests/unit/test_source_fast.py compares them).
        """
        documents = 0
        stack, positions, key_positions, styles = self.stack, self.positions, self.key_positions, self.styles
        file, get_event, number, read_number = self.file, loader.get_event, _NUMBER.fullmatch, decimals.read_number
        key_chars, scalar_chars, max_nodes = input_limits.KEY_CHARS, input_limits.SCALAR_CHARS, input_limits.NODES
        while (event := get_event()) is not None:
            if isinstance(event, yaml.ScalarEvent) and event.anchor is None and event.tag is None and stack:
                parent = stack[-1]
                container, text, style = parent.value, event.value, event.style
                if type(container) is dict:
                    if parent.key is None:  # a key
                        if (text == _MERGE and not style) or len(text) > key_chars or text in container \
                                or self.nodes >= max_nodes:
                            self.key(parent, event)  # a merge key, or an error it reports
                            continue
                        self.nodes += 1
                        mark = event.start_mark
                        assert mark is not None  # libyaml marks every event
                        key_positions[(*parent.path, text)] = location(file, mark.line + 1, mark.column + 1)
                        parent.key = text
                        continue
                    path: Path = (*parent.path, parent.key)
                else:
                    path = (*parent.path, len(container))
                if self.nodes >= max_nodes or parent.key == _MERGE_SLOT:
                    self.node(event)  # the limit, reported by the general path; or a value to merge
                    continue
                if not style and text and text[0] in _NUMBER_START and number(text):
                    try:
                        value: DocValue = read_number(text)
                    except decimals.NumberLimit:
                        self.node(event)
                        continue
                elif len(text) > scalar_chars or (not text.isascii() and decimals.half_width(text) is not None):
                    self.node(event)
                    continue
                else:
                    value = _scalar(text, style)
                self.nodes += 1
                mark = event.start_mark
                assert mark is not None
                positions[path] = location(file, mark.line + 1, mark.column + 1)
                styles[path] = style or None  # the C parser says '' for plain scalars
                if type(container) is dict:
                    container[parent.key] = value  # type: ignore[index]
                    parent.key = None
                else:
                    container.append(value)  # type: ignore[union-attr]
            elif isinstance(event, yaml.CollectionEndEvent):
                self.close(stack.pop())
            elif isinstance(event, yaml.NodeEvent):
                self.node(event)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents = self.document(documents, event)
        return documents > 0, self.result

    def run_general(self, loader: _EventStream) -> tuple[bool, DocValue]:
        """:meth:`run` with every event through :meth:`node`: the reference the inline path is tested against."""
        documents = 0
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.NodeEvent):
                self.node(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                self.close(self.stack.pop())
            elif isinstance(event, yaml.DocumentStartEvent):
                documents = self.document(documents, event)
        return documents > 0, self.result

    def document(self, before: int, event: yaml.Event) -> int:
        """Count a document start; refuse one beyond the limit."""
        if before + 1 > input_limits.DOCUMENTS:
            raise self.fail(ErrorCode.LIMIT_DOCUMENTS,
                            f"一个文件只能有 {input_limits.DOCUMENTS} 个 YAML 文档（此处用 --- 开始了第 "
                            f"{before + 1} 个）", event)
        return before + 1

    # -- one event ----------------------------------------------------------------------
    def node(self, event: yaml.NodeEvent) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is None:
            path: Path = ()
        elif isinstance(parent.value, dict):
            if parent.key is None:
                self.key(parent, event)
                return
            path = (*parent.path, parent.key)
        else:
            path = (*parent.path, len(parent.value))
        if isinstance(event, yaml.AliasEvent):
            self.place(parent, self.alias(event, path))
            return
        self.count(1, event, path)
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(ErrorCode.SOURCE_TAG,
                            f"不支持 YAML 标签「{shown}」：请直接写值（数值不加引号，文本加引号）", event, path)
        self.positions[path] = self.loc(event)
        if isinstance(event, yaml.ScalarEvent):
            value = self.scalar(event, path)
            self.styles[path] = event.style or None  # the C parser says '' for plain scalars
            if event.anchor is not None:
                self.anchors[event.anchor] = _Anchor(value, 1, event.value)
            self.place(parent, value)
            return
        if len(self.stack) >= input_limits.DEPTH:
            raise self.fail(ErrorCode.LIMIT_DEPTH, f"嵌套超过 {input_limits.DEPTH} 层", event, path)
        if event.anchor is not None:
            self.anchors.pop(event.anchor, None)  # until it is closed, a use of it is recursive
        container: dict[str, DocValue] | list[DocValue] = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Frame(container, path, event.anchor, self.nodes))

    def key(self, frame: _Frame, event: yaml.NodeEvent) -> None:
        if isinstance(event, yaml.AliasEvent):
            anchor = self.anchor(event, frame.path)
            if anchor.text is None:
                raise self.fail(ErrorCode.SOURCE_SYNTAX, "键必须是标量", event, frame.path)
            text = anchor.text
        elif not isinstance(event, yaml.ScalarEvent):
            raise self.fail(ErrorCode.SOURCE_SYNTAX, "键必须是标量", event, frame.path)
        else:
            if event.tag is not None:
                raise self.fail(ErrorCode.SOURCE_TAG, f"不支持 YAML 标签「{event.tag}」", event, frame.path)
            text = event.value
            if text == _MERGE and not event.style:
                self.merge_key(frame, event)
                return
        if len(text) > input_limits.KEY_CHARS:
            raise self.fail(ErrorCode.LIMIT_KEY_LENGTH,
                            f"键有 {len(text)} 个字符，超过上限 {input_limits.KEY_CHARS}", event, frame.path)
        path = (*frame.path, text)
        if text in frame.value:
            first = self.key_positions[path]
            raise self.fail(ErrorCode.SOURCE_DUPLICATE_KEY, f"键「{text}」重复（第一次出现在第 {first.line} 行）",
                            event, path)
        self.count(1, event, path)
        self.key_positions[path] = self.loc(event)
        if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(_scalar(text, event.style), 1, text)
        frame.key = text

    def merge_key(self, frame: _Frame, event: yaml.ScalarEvent) -> None:
        """A plain ``<<`` key: its value is merged into this mapping when the mapping closes."""
        if frame.merge_at is not None:
            raise self.fail(ErrorCode.SOURCE_DUPLICATE_KEY,
                            f"合并键「<<」重复（第一次出现在第 {frame.merge_at.line} 行）：多个映射请写成列表 "
                            "<<: [*甲, *乙]", event, (*frame.path, _MERGE))
        self.count(1, event, frame.path)
        frame.merge_at = self.loc(event)
        frame.key = _MERGE_SLOT

    def place(self, parent: _Frame | None, value: DocValue) -> None:
        if parent is None:
            self.result = value
        elif isinstance(parent.value, dict):
            assert parent.key is not None
            if parent.key == _MERGE_SLOT:
                parent.merge = value
            else:
                parent.value[parent.key] = value
            parent.key = None
        else:
            parent.value.append(value)

    def close(self, frame: _Frame) -> None:
        if frame.merge_at is not None:
            self.merge(frame, frame.merge_at)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = _Anchor(frame.value, self.nodes - frame.nodes_before + 1, None)
        self.place(self.stack[-1] if self.stack else None, frame.value)

    def merge(self, frame: _Frame, where: SourceLocation) -> None:
        """Apply a ``<<`` as YAML 1.1 defines it: the frame's own keys win, then the first merged mapping.

        Merged keys come first, in the merged mappings' order, as PyYAML orders them; each merged value
        is located at the ``<<`` (an alias's contents are located at its use, as everywhere).
        """
        value = frame.merge
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(m, dict) for m in sources):
            raise JixiaoError(ErrorCode.SOURCE_MERGE_KEY,
                              "合并键「<<」的值应为映射或映射的列表，如 <<: *默认 或 <<: [*甲, *乙]"
                              "（先用 &名称 定义映射）",
                              where, field_path((*frame.path, _MERGE)))
        assert isinstance(frame.value, dict)
        merged: dict[str, DocValue] = {}
        for mapping in sources:
            assert isinstance(mapping, dict)
            for key, item in mapping.items():
                merged.setdefault(key, item)  # each alias's value is a fresh copy already
        own = frame.value
        for key in merged:
            if key not in own:
                self.positions.setdefault((*frame.path, key), where)
                self.key_positions.setdefault((*frame.path, key), where)
        result = {**{k: v for k, v in merged.items() if k not in own}, **own}
        own.clear()
        own.update(result)
        self.positions.pop((*frame.path, _MERGE_SLOT), None)
        self.styles.pop((*frame.path, _MERGE_SLOT), None)

    # -- limits and aliases --------------------------------------------------------------
    def count(self, nodes: int, event: yaml.Event, path: Path) -> None:
        self.nodes += nodes
        if self.nodes > input_limits.NODES:
            what = "（别名展开后）" if isinstance(event, yaml.AliasEvent) else ""
            raise self.fail(ErrorCode.LIMIT_NODES, f"文件中的节点数{what}超过上限 {input_limits.NODES}", event, path)

    def anchor(self, event: yaml.AliasEvent, path: Path) -> _Anchor:
        self.aliases += 1
        if self.aliases > input_limits.ALIASES:
            raise self.fail(ErrorCode.LIMIT_ALIASES, f"别名（*名称）使用超过 {input_limits.ALIASES} 次", event, path)
        found = None if event.anchor is None else self.anchors.get(event.anchor)
        if found is None:
            recursive = any(f.anchor == event.anchor for f in self.stack)
            message = (f"别名「*{event.anchor}」引用了包含它自己的节点（递归别名）" if recursive
                       else f"别名「*{event.anchor}」没有定义（应先写 &{event.anchor}）")
            raise self.fail(ErrorCode.SOURCE_ALIAS, message, event, path)
        self.count(found.size, event, path)
        return found

    def alias(self, event: yaml.AliasEvent, path: Path) -> DocValue:
        """The anchored value, copied; everything under it is located at this use of the alias."""
        found = self.anchor(event, path)
        self.positions[path] = self.loc(event)
        return _copy(found.value)

    def scalar(self, event: yaml.ScalarEvent, path: Path) -> DocValue:
        text = event.value
        if not event.style and _NUMBER.fullmatch(text):
            try:
                return decimals.read_number(text)
            except decimals.NumberLimit as err:
                raise self.fail(err.code, err.message, event, path) from None
        if len(text) > input_limits.SCALAR_CHARS:
            raise self.fail(ErrorCode.LIMIT_SCALAR_LENGTH,
                            f"值有 {len(text)} 个字符，超过上限 {input_limits.SCALAR_CHARS}", event, path)
        ascii_form = decimals.half_width(text)
        if ascii_form is not None:
            raise self.fail(ErrorCode.SOURCE_NUMBER,
                            f"「{text.strip()}」用了全角或其他文字的数字：是否为 {ascii_form}？数值请用半角数字书写",
                            event, path)
        return _scalar(text, event.style)


def _copy(value: DocValue) -> DocValue:
    """A fresh copy of a built value (its depth is within the limit, so recursion is safe here)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _scalar(text: str, style: str | None) -> DocValue:
    if style:  # quoted or block scalar: always text
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    return text


# -- JSON without the YAML event stream ---------------------------------------------------------
class _NotPlain(Exception):
    """The fast JSON reader met something it leaves to :func:`parse_document` (an error, a rare form)."""


# What the fast reader leaves to the YAML path, before it starts: characters YAML treats otherwise than
# JSON (line breaks besides LF, tabs) or forbids (YAML reports them where they are).
_JSON_UNSAFE = re.compile(f"[\t\r\x85\u2028\u2029]|{_FORBIDDEN.pattern}")
# the tokens that place a value: a string (with its colon when it is a key), an opening or closing bracket, a bare
# scalar; a string is runs between escapes
_JSON_SCAN = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")(\s*:)?|([\[{])|([\]}])|[-+.0-9A-Za-z_]+')
_LINE = re.compile("\n")
# escapes that read the same in JSON and in a YAML double-quoted scalar (no "\/", no surrogates, no controls)
_PLAIN_ESCAPES = re.compile(r'\\(?:["\\nt]|u(?![dD][89a-fA-F])(?!00[01]|007[fF]|008|009)[0-9a-fA-F]{4})')


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
    except _NotPlain:
        doc = parse_document(text, file)
        return doc.sub(under) if under else doc


def _fast_json(text: str, file: str, under: Path = ()) -> SourceDoc:
    """The values from the C JSON decoder, the positions from one scan of the text's tokens."""
    values = _json_values(text)
    offsets, key_offsets, styles = _json_positions(text, under)  # first: what is not plain goes to the YAML path
    result = value_at(values, under)
    located = _Locator(text, file)
    return SourceDoc(file, result, located.all(offsets), located.all(key_offsets), styles)


def _json_values(text: str) -> DocValue:
    """The document's values by the C decoder, its hooks checking what YAML would read otherwise."""
    if _JSON_UNSAFE.search(text) is not None:
        raise _NotPlain
    if "\\" in text and _PLAIN_ESCAPES.sub("", text).count("\\"):  # backslashes stand only in strings
        raise _NotPlain
    try:
        value: DocValue = json.loads(text, object_pairs_hook=_json_object, parse_int=_json_number,
                                     parse_float=_json_number, parse_constant=_json_constant)
    except (ValueError, RecursionError):
        raise _NotPlain from None
    return value


_Tables = tuple[dict[Path, int], dict[Path, int], dict[Path, str | None]]


def _json_positions(text: str, under: Path = ()) -> _Tables:
    """Offsets of every value and key, and the styles, of text the decoder has read (of the part at ``under``).

    The syntax is checked, so the scan only follows the nesting: a key (a string and its colon)
    names the next value, a value token (a string, a bare scalar or an opening bracket) is placed, a
    closing bracket ends its container; commas and white space are never matched. Outside
    ``under`` the same walk records nothing; the part at ``under`` is recorded with paths relative
    to it, by the same loop that reads a whole document.
    """
    tables: _Tables = ({}, {}, {})
    tokens = _JSON_SCAN.finditer(text)
    nodes = _json_outside(tokens, tables, under) if under else _json_value(next(tokens), tokens, tables, 0)
    if nodes > input_limits.NODES:
        raise _NotPlain
    return tables


def _json_outside(tokens: Iterator[re.Match[str]], tables: _Tables, under: Path) -> int:
    """Walk the document, recording only the value at ``under`` (and its key); the nodes seen, in all."""
    nodes = 0
    stack: list[tuple[Path, bool, int]] = []
    here: Path = ()
    in_list = False
    index = 0
    path: Path = ()
    for match in tokens:
        kind = match.lastindex
        if kind == 2:
            path = (*here, _json_key(match))
            if path == under:
                tables[1][()] = match.start()  # counted with the value's part below
            else:
                nodes += 1
            continue
        if kind == 4:
            here, in_list, index = stack.pop()
            continue
        if in_list:
            path = (*here, index)
            index += 1
        if path == under:  # the part kept: read by the whole-document loop, through its closing bracket
            nodes += _json_value(match, tokens, tables, len(stack))
            continue
        nodes += 1
        if kind == 3:
            if len(stack) >= input_limits.DEPTH:
                raise _NotPlain
            stack.append((here, in_list, index))
            here, in_list, index = path, match.group(3) == "[", 0
        elif kind == 1:
            _json_text(match.group(1))
    return nodes


def _json_value(first: re.Match[str], tokens: Iterator[re.Match[str]], tables: _Tables, depth: int) -> int:
    """Record the value that starts with ``first`` (at the relative path ``()``, ``depth`` containers deep).

    A container is read through its closing bracket; returns how many values and keys were recorded.
    """
    offsets, key_offsets, styles = tables
    offsets[()] = first.start()
    kind = first.lastindex
    if kind == 3:  # an opening bracket
        if depth >= input_limits.DEPTH:
            raise _NotPlain
        _json_container(first.group(3) == "[", tokens, tables, depth)
    elif kind == 1:  # a string
        _json_text(first.group(1))
        styles[()] = '"'
    else:
        styles[()] = None
    return len(offsets) + len(key_offsets)


def _json_container(in_list: bool, tokens: Iterator[re.Match[str]], tables: _Tables, depth: int) -> None:
    """Record what a container at ``()`` holds, through its closing bracket (the whole-document loop)."""
    offsets, key_offsets, styles = tables
    stack: list[tuple[Path, bool, int]] = []  # the enclosing containers inside this value: path, a list?, next index
    here: Path = ()  # the container the scan is in
    index = 0
    path: Path = ()  # the path of the next value
    for match in tokens:
        kind = match.lastindex
        if kind == 2:  # a key and its colon
            path = (*here, _json_key(match))
            key_offsets[path] = match.start()
            continue
        if kind == 4:  # a closing bracket
            if not stack:
                break  # this value's own: it is read
            here, in_list, index = stack.pop()
            continue
        if in_list:
            path = (*here, index)
            index += 1
        offsets[path] = match.start()
        if kind == 3:  # an opening bracket
            if len(stack) + depth + 1 >= input_limits.DEPTH:
                raise _NotPlain
            stack.append((here, in_list, index))
            here, in_list, index = path, match.group(3) == "[", 0
        elif kind == 1:  # a string
            _json_text(match.group(1))
            styles[path] = '"'
        else:
            styles[path] = None


class _Locator:
    """Offsets in a text → :class:`SourceLocation` (1-based line and column, in characters)."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.starts = [0, *(m.end() for m in _LINE.finditer(text))]  # where each line starts

    def all(self, offsets: dict[Path, int]) -> dict[Path, SourceLocation]:
        """The location of every offset; the offsets come in increasing order (as the scan met them)."""
        starts, file = self.starts, self.file
        line = 0  # 0-based index of the line the last offset was on
        last = len(starts) - 1
        out: dict[Path, SourceLocation] = {}
        for path, offset in offsets.items():
            while line < last and starts[line + 1] <= offset:
                line += 1
            out[path] = location(file, line + 1, offset - starts[line] + 1)
        return out


def _json_key(match: re.Match[str]) -> str:
    token = match.group(1)
    if "\n" in match.group(2) or len(token) > 1000:  # a YAML simple key ends on its line, within 1024 characters
        raise _NotPlain
    key = _json_string(token)
    if len(key) > input_limits.KEY_CHARS:
        raise _NotPlain
    return key


def _json_text(token: str) -> None:
    value = _json_string(token)
    if len(value) > input_limits.SCALAR_CHARS or decimals.half_width(value) is not None:
        raise _NotPlain  # the YAML path names the limit, or asks whether a full-width number was meant


def _json_object(pairs: list[tuple[str, DocValue]]) -> dict[str, DocValue]:
    made = dict(pairs)
    if len(made) != len(pairs):  # a duplicate key: the YAML path names it
        raise _NotPlain
    return made


def _json_number(token: str) -> DocValue:
    if not _NUMBER.fullmatch(token):
        raise _NotPlain
    try:
        return decimals.read_number(token)
    except decimals.NumberLimit:
        raise _NotPlain from None


def _json_constant(_token: str) -> DocValue:
    raise _NotPlain  # NaN, Infinity: not JSON numbers; the YAML path reads them as text


def _json_string(token: str) -> str:
    """The text of a JSON string token (:func:`_json_values` has checked that its escapes read the same in YAML)."""
    if "\\" not in token:
        return token[1:-1]
    text: str = json.loads(token)
    return text
