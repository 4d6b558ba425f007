"""A batch record's JSON line is byte for byte what ``json.dumps`` wrote before the faster encoder."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.render.batch_records import record_line, result_record
from tests.conftest import ROOT

# every character a record can hold: controls, quotes, backslashes, line separators, CJK, astral (no lone surrogates)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
VALUE = st.recursive(
    st.one_of(TEXT, st.integers(-10**20, 10**20), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=30)


def old_line(record: object) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


@given(st.dictionaries(TEXT, VALUE, max_size=5))
def test_the_line_is_what_json_dumps_wrote(record):
    assert record_line(record) == old_line(record)


def test_a_scored_files_line_is_unchanged():
    policy = engine.load_policy(ROOT / "policies" / "gz-dept-2021.yaml")
    result = engine.evaluate(policy, engine.read_facts(ROOT / "facts" / "gz-kjj-2021.yaml", policy))
    record = result_record(result)
    assert record_line(record) == old_line(record)
    assert '"total":"94.622"' in record_line(record)
