"""A table fact gets a sheet of its own in the template; the filled sheet reads back, located at its cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from engine.commands.main import main
from engine.excel import layout
from engine.loader import read_document

ROOT = Path(__file__).resolve().parent.parent.parent
POLICY = ROOT / "tests" / "policies" / "tables" / "project-funds.yaml"
FACTS = ROOT / "tests" / "facts" / "tables" / "project-funds.yaml"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, [*args])


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "t.xlsx"
    result = run("template", str(POLICY), "--xlsx", str(path))
    assert result.exit_code == 0, result.output
    return path


def fill(template: Path, out: Path, edit: Any = None) -> Path:
    """Type the YAML facts into the template: the table cell by cell, "—" where the file has a blank."""
    doc = read_document(FACTS).value
    book = openpyxl.load_workbook(template)
    book[layout.INFO].cell(2, 2, doc["department"])
    facts = book[layout.FACTS]
    rows = {facts.cell(r, 1).value: r for r in range(2, facts.max_row + 1)}
    sheet = book["项目资金"]
    columns = {sheet.cell(2, c).value: c for c in range(2, sheet.max_column + 1)}
    lines = {sheet.cell(r, 1).value: r for r in range(3, sheet.max_row + 1)}
    for name, entry in doc["facts"].items():
        if name == "项目资金":
            for row, cells in entry["value"].items():
                for column, value in cells.items():
                    sheet.cell(lines[row], columns[column], None if value is None else
                               value if isinstance(value, str) else float(value))
        else:
            facts.cell(rows[name], 3, float(entry["value"]))
    if edit is not None:
        edit(book)
    book.save(out)
    return out


def test_the_template_has_a_sheet_per_table_and_no_cell_rows(template):
    book = openpyxl.load_workbook(template)
    assert "项目资金" in book.sheetnames
    sheet = book["项目资金"]
    assert sheet["A1"].value == "表格：项目资金" and sheet["C1"].value == "万元"
    assert [sheet.cell(2, c).value for c in range(2, 5)] == ["年初预算数", "全年预算数", "全年执行数"]
    assert [sheet.cell(r, 1).value for r in range(3, 7)] == ["年度资金总额", "本年财政拨款", "上年结转", "其他资金"]
    names = [book[layout.FACTS].cell(r, 1).value for r in range(2, book[layout.FACTS].max_row + 1)]
    assert names == ["实际在用资产", "资产总额", "执行率"]


def test_a_filled_table_sheet_scores_as_the_yaml_does(template, tmp_path):
    workbook = fill(template, tmp_path / "f.xlsx")
    want = json.loads(run("score", str(POLICY), str(FACTS), "--format", "json").output)
    got = json.loads(run("score", str(POLICY), str(workbook), "--format", "json").output)
    assert got["total"] == want["total"] == "8.334"
    assert got["tables"] == want["tables"]


def test_a_bad_table_cell_is_located_at_its_sheet_and_cell(template, tmp_path):
    def edit(book: Any) -> None:
        book["项目资金"]["C4"] = "abc"
        book["项目资金"]["A6"] = "其它资金"

    result = run("score", str(POLICY), str(fill(template, tmp_path / "bad.xlsx", edit)))
    assert result.exit_code == 1
    assert "bad.xlsx!项目资金!C4: facts.type" in result.output
    assert "bad.xlsx!项目资金!A6: facts.unknown" in result.output and "是否为「其他资金」" in result.output
    assert "Traceback" not in result.output
