"""YAML (and JSON) text → plain values and the position of each, from libyaml's events (stage: load; pure).

The values are built here from libyaml's event stream, so that YAML 1.1's implicit conversions
never change a value silently: numbers become ``Decimal`` from their text (``1e3`` is the number
1000, not a string; only ASCII digits make a number), dates and ``yes``/``no`` stay text,
duplicate keys and explicit tags (``!!str``) are errors. Merge keys (``<<: *defaults``) work as
YAML 1.1 defines them: the mapping's own keys win, merged values are located at the ``<<``.

The builder is a loop over events with its own stack, never a recursion, and it counts as it
goes: documents, nodes (an alias counts every node it expands to, *before* it is expanded),
nesting depth, alias uses, scalar and key lengths, digits and magnitude of numbers
(``engine.input_limits``). So a "billion laughs" file stops at the alias use that crosses the
limit, with that use's line, after work proportional to the limit, not to the expansion.
:func:`engine.source.parse_document` runs it and makes the :class:`~engine.source.SourceDoc`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import yaml

from engine import decimals, input_limits
from engine.errors import ErrorCode, JixiaoError, SourceLocation, location
from engine.json_values import DocValue, Path

__all__ = ["FORBIDDEN", "Tables", "field_path", "read_yaml"]

Tables = tuple[dict[Path, SourceLocation], dict[Path, SourceLocation], dict[Path, str | None]]
"""A document's positions of values, positions of keys and scalar styles, each by path."""
# YAML 1.1's printable set (PyYAML's Reader.NON_PRINTABLE): anything else is refused where it stands
FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_NUMBER = decimals.NUMBER
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_MERGE = "<<"
_MERGE_SLOT = "\x00<<"  # the key a merge value is built under: no document can hold a NUL (source's character check)
_NUMBER_START = "+-.0123456789"  # what a match of decimals.NUMBER can begin with


class _EventStream(Protocol):
    """What the builder needs of a PyYAML loader: its events, then its release."""

    def get_event(self) -> yaml.Event | None: ...
    def dispose(self) -> None: ...


# libyaml's C parser composes the same nodes with the same marks, about 8× faster than the pure-Python
# one (checked on every YAML file in this repository); PyYAML's wheels ship it.
_LOADER: Callable[[str], _EventStream] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_yaml(text: str, file: str, *, general: bool = False) -> tuple[DocValue, Tables]:
    """The document's value, and the positions, key positions and styles of its values.

    ``general``: a file of any form (as :func:`engine.source.parse_document` says).

    Raises:
        JixiaoError: ``source.*`` for text that is not a valid document, ``limit.*`` for one that
            exceeds a declared limit; always with the line and column of the cause.
    """
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
    return value, (builder.positions, builder.key_positions, builder.styles)


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
