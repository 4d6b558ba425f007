"""Excel out: ``jixiao score --format xlsx`` and batch ``--out results.xlsx``, read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT
from tests.variants import variant

VARIANT = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"


def _score_xlsx(tmp_path: Path, name: str = "r.xlsx") -> Path:
    out = tmp_path / name
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", "xlsx", "-o", str(out)])
    assert run.exit_code == 0, run.output
    return out


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def _by_first(ws: Any, key: object) -> tuple[Any, ...]:
    return next(row for row in _rows(ws) if row[0] == key)


def test_score_workbook_has_the_form_the_deductions_and_the_facts(tmp_path):
    book = openpyxl.load_workbook(_score_xlsx(tmp_path))
    assert book.sheetnames == ["自评表", "扣分明细", "事实"]
    form = book["自评表"]
    total = next(row for row in _rows(form) if row[1] == "总分")
    assert total[2:4] == (100, 94.622)
    assert _by_first(form, "A1")[1:5] == ("资金管理", 20, 13.932, 6.068)
    ids = [row[0] for row in _rows(form)[7:] if row[0]]
    assert {"A", "A1", "A1.1", "A1.2", "A1.3", "B1"} <= set(ids)  # every indicator, full marks included
    assert any(row[1] == "日期：" for row in _rows(form))


def test_numbers_are_exact_numbers_with_the_declared_places(tmp_path):
    path = _score_xlsx(tmp_path)
    form = openpyxl.load_workbook(path)["自评表"]
    cells = {c.value: c for c in form["A"] if c.value}
    row = cells["A1"].row
    score, weight = form.cell(row, 4), form.cell(row, 3)
    assert score.data_type == "n" and score.number_format == "0.00#"  # Excel shows 13.932, 20.00
    assert weight.value == 20 and weight.number_format == "0.00#"
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>13.932</v>" in sheet and "<v>94.622</v>" in sheet  # the exact text, not a float's repr


def test_the_variance_deduction_row_has_wording_facts_computation_and_points(tmp_path):
    sheet = openpyxl.load_workbook(_score_xlsx(tmp_path))["扣分明细"]
    header = _rows(sheet)[0]
    row = dict(zip(header, next(r for r in _rows(sheet) if r[1] == "A1.2"), strict=True))
    assert row["规则"] == "A1.2.r1" and row["依据"] == "推断" and row["扣分"] == 6
    assert row["规则原文"].startswith("差异率≤5%得满分")
    assert "财政拨款收入预决算差异率 = 11.44%" in row["事实"] and "临时叫停大湾区" in row["事实"]
    assert "扣完为止" in row["计算"] and row["阈值"] == "超过 5% 起扣"
    bonus = [r for r in _rows(sheet)[1:] if r[10] is not None and r[10] < 0]
    assert bonus and bonus[0][10] == -2.5  # a bonus is negative points


def test_fact_sheet_has_value_unit_source_quote_and_note(tmp_path):
    sheet = openpyxl.load_workbook(_score_xlsx(tmp_path))["事实"]
    row = dict(zip(_rows(sheet)[0], _by_first(sheet, "财政拨款收入预决算差异率"), strict=True))
    assert (row["值"], row["单位"], row["来源"]) == (11.44, "%", "二（二）1")
    assert row["原文摘录"] == "财政拨款收入预决算差异率 11.44%" and row["备注"].startswith("差异原因")
    assert row["位置"] == f"{GZ_FACTS}:18"


def test_same_input_gives_byte_identical_workbooks(tmp_path):
    first, second = _score_xlsx(tmp_path, "a.xlsx"), _score_xlsx(tmp_path, "b.xlsx")
    assert first.read_bytes() == second.read_bytes()
    props = zipfile.ZipFile(io.BytesIO(first.read_bytes())).read("docProps/core.xml").decode()
    assert "1980-01-01" in props


def test_xlsx_needs_an_output_file():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", "xlsx"])
    assert run.exit_code == 2 and "--output" in run.output


@pytest.fixture
def units(tmp_path: Path) -> Path:
    folder = tmp_path / "facts"
    folder.mkdir()
    for i in (3, 1, 2):
        (folder / f"dept-{i:02d}.yaml").write_text(variant(i), encoding="utf-8")
    (folder / "dept-00.yaml").write_text(GZ_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "dept-09.yaml").write_text(GZ_FACTS.read_text(encoding="utf-8"), encoding="utf-8")  # a tie
    (folder / "dept-05-bad.yaml").write_text(variant(5).replace('unit: "%"', 'unit: "个"', 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize("spelling", [["--out", "r.xlsx"], ["--format", "xlsx", "--out", "r.bin"]])
def test_batch_workbook_ranks_units_by_total_then_path(units, tmp_path, spelling):
    out = tmp_path / spelling[-1]
    args = ["score", str(GZ_POLICY), str(units), "-j", "1", *spelling[:-1], str(out)]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 1, run.output  # one bad file: reported, and the others written
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))  # openpyxl insists on the .xlsx suffix
    assert book.sheetnames == ["汇总", "扣分明细"]
    rows = _rows(book["汇总"])[1:]
    scored = [r for r in rows if r[0] is not None]
    assert [r[0] for r in scored] == list(range(1, len(scored) + 1))
    totals = [r[3] for r in scored]
    assert totals == sorted(totals, reverse=True)
    tied = [Path(r[2]).name for r in scored if r[3] == 94.622]
    assert tied == ["dept-00.yaml", "dept-09.yaml"]
    failed = [r for r in rows if r[0] is None]
    assert len(failed) == 1 and failed[0][2].endswith("dept-05-bad.yaml") and "facts.unit" in failed[0][7]
    assert any(r[2] == "A1.2" for r in _rows(book["扣分明细"])[1:])


def test_batch_xlsx_without_out_is_a_usage_error(units):
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(units), "--format", "xlsx"])
    assert run.exit_code == 2 and "--out" in run.output


def test_a_folder_gives_its_workbooks_but_not_a_lock_file_nor_the_results_workbook(filled, tmp_path):
    folder = tmp_path / "填报"
    folder.mkdir()
    workbook = filled(name="填报/科技局.xlsx")
    (folder / "~$科技局.xlsx").write_bytes(b"\x00lock")  # what Excel and WPS leave beside an open workbook
    (folder / "其他.yaml").write_text(GZ_FACTS.read_text(encoding="utf-8"), encoding="utf-8")
    out = folder / "结果.xlsx"
    for _ in range(2):  # the second run finds last run's results workbook in the folder and leaves it alone
        run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(folder), "-j", "1", "--out", str(out)])
        assert run.exit_code == 0, run.output
        book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
        names = sorted(Path(r[2]).name for r in _rows(book["汇总"])[1:] if r[2])
        assert names == sorted([workbook.name, "其他.yaml"])
