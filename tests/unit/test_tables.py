"""Table facts, fact groups and merge keys: declared once, read cell by cell, located when wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.errors import ErrorCode, JixiaoError
from engine.loader import facts_from_document, read_document
from engine.render.json import render_json
from engine.render.markdown import render_markdown
from engine.render.text import render_text
from engine.source import parse_document

ROOT = Path(__file__).resolve().parent.parent.parent
POLICY = ROOT / "tests" / "policies" / "tables" / "project-funds.yaml"
FACTS = ROOT / "tests" / "facts" / "tables" / "project-funds.yaml"


def score(text: str):
    policy = engine.load_policy(POLICY)
    doc = parse_document(text, "f.yaml")
    return engine.evaluate(policy, facts_from_document(doc, policy))


def test_cells_are_facts_and_groups_declare_alike():
    policy = engine.load_policy(POLICY)
    decls = {d.name: d for d in policy.facts}
    cell = decls["项目资金[本年财政拨款][全年执行数]"]
    assert (cell.spec.type, cell.spec.unit, cell.spec.places, cell.spec.required) == ("decimal", "万元", 3, False)
    assert decls["实际在用资产"].spec.unit == decls["资产总额"].spec.unit == "万元"  # one fact_groups block
    assert [t.name for t in policy.tables] == ["项目资金"]
    assert "项目资金" not in decls  # the table itself is not a number
    # merge keys: both rules got their provenance from one anchored mapping
    assert {r.provenance for r in policy.rules.values()} == {"official"}


def test_a_table_is_scored_and_shown_with_blank_cells():
    result = engine.evaluate(engine.load_policy(POLICY), facts_from_document(read_document(FACTS),
                                                                             engine.load_policy(POLICY)))
    assert result.total == Decimal("8.334")
    (table,) = result.tables
    assert table.shown()[2] == ("上年结转", "—", "20", "15")
    assert "上年结转                 —" in render_text(result)
    assert "| 其他资金 | — | — | 0 |" in render_markdown(result)
    assert '"cells": [' in render_json(result) and "null" in render_json(result)


FILE = """department: 测试单位
facts:
  实际在用资产: {value: 10, unit: 万元}
  资产总额: {value: 12, unit: 万元}
  项目资金:
    unit: 万元
    value:
ROWS"""


@pytest.mark.parametrize(("rows", "code", "line", "text"), [
    ("      年度资金总额: {年初预算数: 1, 全年预算: 2}\n", ErrorCode.FACTS_UNKNOWN, 8, "没有列「全年预算」"),
    ("      年度资金总额: {全年预算数: abc}\n", ErrorCode.FACTS_TYPE, 8, "项目资金[年度资金总额][全年预算数]"),
    ("      年度资金总额: {全年预算数: 1.2345}\n", ErrorCode.FACTS_PRECISION, 8, "最多 3 位小数"),
    ("      年度资金总额: {全年预算数: -1}\n", ErrorCode.FACTS_RANGE, 8, "超出允许范围"),
    ("      年度资金总额: 5\n", ErrorCode.FACTS_TYPE, 8, "应写成 列名: 值 的映射"),
    # a rule's derived fact reads a cell that is left out: blank, not 0
    ("      年度资金总额: {全年预算数: 120}\n", ErrorCode.FACTS_BLANK, 5, "为空"),
])
def test_a_bad_cell_is_located_with_its_row_and_column(rows, code, line, text):
    with pytest.raises(JixiaoError) as err:
        score(FILE.replace("ROWS", rows))
    found = [(p.code, p.location.line if p.location else None, p.message) for p in err.value.problems]
    assert any(c == code and ln == line and text in m for c, ln, m in found), found


def test_a_blank_cell_read_only_by_a_constraint_leaves_it_unchecked():
    rows = ("      年度资金总额: {年初预算数: 100, 全年预算数: 120, 全年执行数: 110}\n"
            "      本年财政拨款: {全年执行数: 1}\n")  # the sum constraint reads blank cells: it does not apply
    assert score(FILE.replace("ROWS", rows)).total == Decimal("8.334")


@pytest.mark.parametrize(("edit", "code", "text"), [
    ("derive: 项目资金 /", ErrorCode.EXPR_TYPE, "是表格（table）"),
    ("derive: 项目资金[年度资金总额][全年执行] /", ErrorCode.EXPR_UNKNOWN_NAME, "没有单元格"),
    ("derive: 资产总额[年度资金总额][全年执行数] /", ErrorCode.EXPR_UNKNOWN_NAME, "不是表格事实"),
])
def test_expressions_name_cells_not_tables(edit, code, text, tmp_path):
    source = POLICY.read_text(encoding="utf-8")
    changed = source.replace("derive: 项目资金[年度资金总额][全年执行数] /", edit)
    assert changed != source
    path = tmp_path / "p.yaml"
    path.write_text(changed, encoding="utf-8")
    with pytest.raises(JixiaoError) as err:
        engine.load_policy(path)
    assert any(p.code == code and text in p.message for p in err.value.problems), err.value.problems


ROWS = "    rows: [年度资金总额, 本年财政拨款, 上年结转, 其他资金]\n"
COLUMNS = "    columns: [年初预算数, 全年预算数, 全年执行数]\n"


@pytest.mark.parametrize(("old", "new", "text"), [
    (ROWS, "", "必须写 rows 和 columns"),
    (COLUMNS, "    columns: [年初预算数, 年初预算数]\n", "列名重复"),
    (COLUMNS, COLUMNS + "    derive: 资产总额 * 2\n", "不能写 derive"),
])
def test_a_table_declaration_is_checked(old, new, text, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(JixiaoError) as err:
        engine.load_policy(path)
    assert any(p.code == ErrorCode.POLICY_SCHEMA and text in p.message for p in err.value.problems), \
        err.value.problems


def test_policies_without_tables_keep_their_digest():
    policy = engine.load_policy(ROOT / "policies" / "gz-dept-2021.yaml")
    assert policy.tables == ()
    assert policy.digest.startswith("3cbad4d32f6b0516")  # since the policy marks its inferred roundings


def test_a_rule_reading_a_blank_cell_directly_is_located_at_the_cell(tmp_path):
    source = POLICY.read_text(encoding="utf-8").replace("实际在用资产 ", "项目资金[上年结转][年初预算数] ")
    path = tmp_path / "p.yaml"
    path.write_text(source, encoding="utf-8")
    policy = engine.load_policy(path)
    with pytest.raises(JixiaoError) as err:
        facts_from_document(read_document(FACTS), policy)
    (problem,) = err.value.problems
    assert problem.code == ErrorCode.FACTS_BLANK and "规则 A2.r" in problem.message
    assert problem.location is not None and (problem.location.line, problem.location.col) == (10, 21)  # the "—"
