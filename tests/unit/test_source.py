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
