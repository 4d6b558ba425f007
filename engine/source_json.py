"""Plain JSON text → its values and the position of each, without the YAML event stream (stage: load; pure).

The values come from the C JSON decoder, the positions from one scan of the text's tokens. Anything
but plain, valid JSON within the limits raises :class:`NotPlain`, and :func:`engine.source.parse_json`
then reads the text by the YAML path, so that every error is that path's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from engine import decimals, input_limits
from engine.errors import SourceLocation, location
from engine.json_values import DocValue, Path
from engine.source_yaml import FORBIDDEN, Tables

__all__ = ["NotPlain", "read_json"]

_NUMBER = decimals.NUMBER


class NotPlain(Exception):
    """The fast JSON reader met something it leaves to the YAML path (an error, a rare form)."""


# What the fast reader leaves to the YAML path, before it starts: characters YAML treats otherwise than
# JSON (line breaks besides LF, tabs) or forbids (YAML reports them where they are).
_JSON_UNSAFE = re.compile(f"[\t\r\x85\u2028\u2029]|{FORBIDDEN.pattern}")
# the tokens that place a value: a string (with its colon when it is a key), an opening or closing bracket, a bare
# scalar; a string is runs between escapes
_JSON_SCAN = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")(\s*:)?|([\[{])|([\]}])|[-+.0-9A-Za-z_]+')
_LINE = re.compile("\n")
_PLAIN_KEY = input_limits.KEY_CHARS + 2  # the longest key token the scan reads inline: the limit, with its quotes
# escapes that read the same in JSON and in a YAML double-quoted scalar (no "\/", no surrogates, no controls)
_PLAIN_ESCAPES = re.compile(r'\\(?:["\\nt]|u(?![dD][89a-fA-F])(?!00[01]|007[fF]|008|009)[0-9a-fA-F]{4})')


def read_json(text: str, file: str, under: Path = ()) -> tuple[DocValue, Tables]:
    """The whole document's values, and the positions, key positions and styles of the part at ``under``.

    Raises:
        NotPlain: the text is not plain, valid JSON within the limits (the YAML path reads it).
    """
    values = _json_values(text)
    offsets, key_offsets, styles = _json_positions(text, under)  # first: what is not plain goes to the YAML path
    located = _Locator(text, file)
    return values, (located.all(offsets), located.all(key_offsets), styles)


def _json_values(text: str) -> DocValue:
    """The document's values by the C decoder, its hooks checking what YAML would read otherwise."""
    if _JSON_UNSAFE.search(text) is not None:
        raise NotPlain
    if "\\" in text and _PLAIN_ESCAPES.sub("", text).count("\\"):  # backslashes stand only in strings
        raise NotPlain
    try:
        value: DocValue = json.loads(text, object_pairs_hook=_json_object, parse_int=_json_number,
                                     parse_float=_json_number, parse_constant=_json_constant)
    except (ValueError, RecursionError):
        raise NotPlain from None
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
        raise NotPlain
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
                raise NotPlain
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
            raise NotPlain
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
        if kind == 2:  # a key and its colon; a plain short key on its line (nearly every key) read inline
            token = match.group(1)
            if len(token) <= _PLAIN_KEY and "\\" not in token and "\n" not in match.group(2):
                path = (*here, token[1:-1])
            else:
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
                raise NotPlain
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
        raise NotPlain
    key = _json_string(token)
    if len(key) > input_limits.KEY_CHARS:
        raise NotPlain
    return key


def _json_text(token: str) -> None:
    value = _json_string(token)
    if len(value) > input_limits.SCALAR_CHARS or decimals.half_width(value) is not None:
        raise NotPlain  # the YAML path names the limit, or asks whether a full-width number was meant


def _json_object(pairs: list[tuple[str, DocValue]]) -> dict[str, DocValue]:
    made = dict(pairs)
    if len(made) != len(pairs):  # a duplicate key: the YAML path names it
        raise NotPlain
    return made


def _json_number(token: str) -> DocValue:
    if not _NUMBER.fullmatch(token):
        raise NotPlain
    try:
        return decimals.read_number(token)
    except decimals.NumberLimit:
        raise NotPlain from None


def _json_constant(_token: str) -> DocValue:
    raise NotPlain  # NaN, Infinity: not JSON numbers; the YAML path reads them as text


def _json_string(token: str) -> str:
    """The text of a JSON string token (:func:`_json_values` has checked that its escapes read the same in YAML)."""
    if "\\" not in token:
        return token[1:-1]
    text: str = json.loads(token)
    return text
