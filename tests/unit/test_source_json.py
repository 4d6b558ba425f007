"""The fast JSON reader gives exactly what the YAML path gives, and leaves every error to it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ErrorCode, JixiaoError
from engine.source import _fast_json, parse_document, parse_json
from engine.source_json import NotPlain as _NotPlain
from tests.conftest import ROOT

# text that exercises the reader: quotes, backslashes, "/", controls, CJK, full-width digits, line separators
TEXT = st.text(st.sampled_from([*"ab 中文\"\\/\t\n\x01\x7f\u2028", "\uff18", "\uff14", *".1é😀#:-"]), max_size=8)
NUMBER = st.one_of(st.integers(-10**30, 10**30).map(str),
                   st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
                   st.sampled_from(["0", "-0", "1e3", "1E+3", "2.50", "-3e-2", "1e999", "1" * 120, "0.1e25"]))


class Raw(str):
    """A number literal written as it is."""


VALUE = st.recursive(
    st.one_of(TEXT, NUMBER.map(Raw), st.sampled_from([True, False, None])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=25)


def dump(value: object, *, indent: int | None, ascii_only: bool, spaced: bool) -> str:
    """JSON text of ``value`` with number literals as they are."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        sep, colon = (", ", ": ") if spaced else (",", ":")
        pad = "" if indent is None else "\n" + " " * indent
        items = [f"{pad}{json.dumps(k, ensure_ascii=ascii_only)}{colon}"
                 f"{dump(v, indent=indent, ascii_only=ascii_only, spaced=spaced)}" for k, v in value.items()]
        return "{" + sep.rstrip().join(items) + ("\n" if indent is not None else "") + "}"
    if isinstance(value, list):
        sep = ", " if spaced else ","
        return "[" + sep.join(dump(v, indent=indent, ascii_only=ascii_only, spaced=spaced) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def outcome(read, text: str) -> object:
    try:
        return read(text, "request.json")
    except JixiaoError as err:
        return [(p.code, p.location, p.message) for p in err.problems]


@given(VALUE, st.sampled_from([None, 0, 2]), st.booleans(), st.booleans())
def test_the_fast_reader_agrees_with_the_yaml_path(value, indent, ascii_only, spaced):
    text = dump({"facts": value}, indent=indent, ascii_only=ascii_only, spaced=spaced)
    slow = outcome(parse_document, text)
    assert outcome(parse_json, text) == slow
    try:
        fast = _fast_json(text, "request.json")
    except _NotPlain:
        return  # left to the YAML path, which gave the answer above
    assert fast == slow  # whatever the fast reader accepts, the YAML path reads the same (values, positions, styles)


@pytest.mark.parametrize("path", sorted((ROOT / "facts").glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_fact_file_as_json_is_read_fast_and_the_same(path: Path):
    doc = parse_document(path.read_text(encoding="utf-8"), path.name)
    text = json.dumps({"facts": doc.value, "version": None}, ensure_ascii=False, indent=2, default=str)
    assert _fast_json(text, "request.json") == parse_document(text, "request.json")


@pytest.mark.parametrize(("text", "code"), [
    ('{"a": 1, "a": 2}', ErrorCode.SOURCE_DUPLICATE_KEY),
    ('{"a": "\uff18\uff14.\uff14\uff18"}', ErrorCode.SOURCE_NUMBER),
    ('{"a": 1e999}', ErrorCode.LIMIT_NUMBER_RANGE),
    ('{"a": [1, 2,]}', ErrorCode.SOURCE_SYNTAX),
])
def test_errors_are_the_yaml_paths(text: str, code: ErrorCode):
    with pytest.raises(JixiaoError) as fast:
        parse_json(text, "request.json")
    with pytest.raises(JixiaoError) as slow:
        parse_document(text, "request.json")
    assert fast.value.problems[0].code == code
    assert [(p.code, p.location) for p in fast.value.problems] == [(p.code, p.location) for p in slow.value.problems]


@given(VALUE, st.sampled_from([None, 0, 2]), st.booleans(), st.sampled_from([("facts",), ("facts", 0), ("facts", "a")]))
def test_reading_a_part_is_reading_all_then_taking_the_part(value, indent, ascii_only, under):
    text = dump({"version": "1", "facts": value, "after": [1, {"b": "c"}]}, indent=indent, ascii_only=ascii_only,
                spaced=True)
    try:
        whole = parse_document(text, "request.json")
    except JixiaoError as err:
        with pytest.raises(JixiaoError) as fast:
            parse_json(text, "request.json", under)
        assert fast.value.problems == err.problems
        return
    try:
        expected = whole.sub(under)
    except (KeyError, IndexError):
        with pytest.raises((KeyError, IndexError)):
            parse_json(text, "request.json", under)
        return
    assert parse_json(text, "request.json", under) == expected
    with contextlib.suppress(_NotPlain):  # what is not plain is left to the YAML path, checked above
        assert _fast_json(text, "request.json", under) == expected


def test_a_part_counts_the_whole_document_against_the_node_limit(monkeypatch: pytest.MonkeyPatch):
    from engine import input_limits

    text = json.dumps({"before": list(range(8)), "facts": {"a": 1}, "after": {"b": [2]}})
    whole = _fast_json(text, "request.json")
    nodes = len(whole.positions) + len(whole.key_positions)
    assert nodes == 20  # 15 values (the root, a list and its 8 numbers, 2 objects, 1, a list and 2), 5 keys
    monkeypatch.setattr(input_limits, "NODES", nodes - 1)
    with pytest.raises(_NotPlain):
        _fast_json(text, "request.json", ("facts",))
    monkeypatch.setattr(input_limits, "NODES", nodes)
    assert _fast_json(text, "request.json", ("facts",)) == whole.sub(("facts",))
