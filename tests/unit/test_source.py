"""YAML is read without silent conversions; positions are exact; expressions are whitelisted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import expr
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.source import parse_document


def test_implicit_conversions_never_change_a_value():
    doc = parse_document("a: 1e3\nb: 2021-12-31\nc: yes\nd: 0.30\ne: 012\nf: 1:30\ng: true\nh: ~\n", "x.yaml")
    assert doc.value == {"a": Decimal("1E+3"), "b": "2021-12-31", "c": "yes", "d": Decimal("0.30"),
                         "e": Decimal("12"), "f": "1:30", "g": True, "h": None}
    assert str(doc.value["d"]) == "0.30"  # the written digits are kept


def test_quoted_numbers_stay_text():
    assert parse_document('a: "84.48"\n', "x.yaml").value == {"a": "84.48"}


def test_positions_are_one_based_lines_and_columns():
    doc = parse_document("facts:\n  预算完成率:\n    value: 99.66\n", "f.yaml")
    assert doc.positions[("facts", "预算完成率", "value")] == SourceLocation("f.yaml", 3, 12)
    assert doc.key_positions[("facts", "预算完成率")] == SourceLocation("f.yaml", 2, 3)


@pytest.mark.parametrize(("text", "column"), [
    ("预算完成率 * 0.5 + a.b", 15),      # the column counts characters, not UTF-8 bytes
    ("a + __import__('os')", 5),
    ("a + [1][0]", 5),
])
def test_expression_errors_carry_the_column_inside_the_expression(text, column):
    with pytest.raises(JixiaoError) as err:
        expr.parse(text, SourceLocation("p.yaml", 4, 13), ["预算完成率", "a"])
    assert err.value.code == ErrorCode.EXPR_NOT_ALLOWED
    assert err.value.location == SourceLocation("p.yaml", 4, 13 + column - 1)


def test_expression_literals_are_exact_decimals():
    parsed = expr.parse("a * 0.1 + 0.2", SourceLocation("p", 1, 1), ["a"])
    assert expr.evaluate(parsed, {"a": Decimal(1)}) == Decimal("0.3")


def test_merge_keys_merge_mappings_and_own_keys_win():
    text = ("base: &b {type: decimal, unit: 万元, places: 2}\n"
            "x:\n  <<: *b\n  unit: 元\n"
            "y: {<<: [*b, {z: 1, unit: 个}], w: 2}\n"
            "'<<': 3\n")
    doc = parse_document(text, "m.yaml")
    assert doc.value["x"] == {"type": "decimal", "places": Decimal(2), "unit": "元"}
    # the first mapping of a list wins over later ones; merged keys come first, as PyYAML orders them
    assert list(doc.value["y"].items()) == [("type", "decimal"), ("unit", "万元"), ("places", Decimal(2)),
                                            ("z", Decimal(1)), ("w", Decimal(2))]
    assert doc.value["<<"] == Decimal(3)  # a quoted << is an ordinary key
    # a merged value is located at its << ; the mapping's own keys where they stand
    assert doc.positions[("x", "type")] == SourceLocation("m.yaml", 3, 3)
    assert doc.positions[("x", "unit")] == SourceLocation("m.yaml", 4, 9)


@pytest.mark.parametrize(("text", "code", "line"), [
    ("a: &a [1]\nb:\n  <<: *a\n", ErrorCode.SOURCE_MERGE_KEY, 3),
    ("a: &a {x: 1}\nb:\n  <<: [*a, 2]\n", ErrorCode.SOURCE_MERGE_KEY, 3),
    ("a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n", ErrorCode.SOURCE_DUPLICATE_KEY, 4),
])
def test_a_merge_key_that_cannot_merge_is_located(text, code, line):
    with pytest.raises(JixiaoError) as err:
        parse_document(text, "m.yaml")
    assert err.value.code == code
    assert err.value.location is not None and err.value.location.line == line


def test_merge_keys_count_against_the_alias_limit():
    from engine import input_limits
    anchors = "d: &d {a: 1}\n"
    uses = "".join(f"k{i}: {{<<: *d}}\n" for i in range(input_limits.ALIASES + 1))
    with pytest.raises(JixiaoError) as err:
        parse_document(anchors + uses, "m.yaml")
    assert err.value.code == ErrorCode.LIMIT_ALIASES
