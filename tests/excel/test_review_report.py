"""Excel out for review: ``jixiao review --format xlsx`` and batch ``--out review.xlsx``, read back with openpyxl."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_POLICY, ROOT

CLAIMED = ROOT / "facts" / "gz-kjj-2021-claimed.yaml"
ROW = ROOT / "facts" / "gz-kjj-2021-claimed-row.yaml"
SUM = ROOT / "facts" / "gz-kjj-2021-claimed-sum.yaml"
ADJUSTMENTS = ROOT / "reviews" / "gz-kjj-2021-adjustments.yaml"
HEADER_ROW = 9  # the 复核表's title block: 7 lines and a blank one (8 with adjustments)


def _review(tmp_path: Path, facts: Path, *extra: str, name: str = "r.xlsx", code: int = 0) -> Path:
    out = tmp_path / name
    run = CliRunner().invoke(main, ["review", str(GZ_POLICY), str(facts), "--format", "xlsx", "-o", str(out), *extra])
    assert run.exit_code == code, run.output
    return out


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(values_only=True))


def _table(ws: Any, header_row: int = 1) -> list[dict[str, Any]]:
    """The rows under the header as dicts, up to the first empty row (the 复核表's sign-off lines follow it)."""
    header, *rows = _rows(ws)[header_row - 1:]
    body = itertools.takewhile(lambda row: any(v is not None for v in row), rows)
    return [dict(zip(header, row, strict=True)) for row in body]


def _claims(tmp_path: Path, block: str, name: str) -> Path:
    """The Guangzhou facts with another claimed block."""
    text = CLAIMED.read_text(encoding="utf-8").split("\nclaimed:\n")[0] + "\nclaimed:\n" + block
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_agreeing_review_lists_every_indicator_and_no_difference(tmp_path):
    book = openpyxl.load_workbook(_review(tmp_path, CLAIMED))
    assert book.sheetnames == ["复核表", "差异明细", "事实"]
    ws = book["复核表"]
    assert ws["A1"].value == "广州市科学技术局 部门整体支出绩效自评：得分复核" and ws["A5"].value == "结论：一致"
    lines = _table(ws, HEADER_ROW)
    assert list(lines[0]) == ["指标编号", "指标", "分值", "填报得分", "复核得分", "差异", "差异类型", "说明",
                              "填报位置"]
    ids = [line["指标编号"] for line in lines]
    assert {"A", "A1", "A1.1", "A1.2", "A2.1", "B1", "B2"} <= set(ids)  # unclaimed rows too
    total = lines[-1]
    assert (total["指标"], total["分值"], total["填报得分"], total["复核得分"], total["差异"]) == ("总分", 100, 94.622,
                                                                                          94.622, 0)
    claimed = [line for line in lines if line["填报得分"] is not None]
    assert len(claimed) == 11 and {line["说明"] for line in claimed} == {"一致"}
    assert all(line["差异类型"] is None for line in lines)
    unclaimed = next(line for line in lines if line["指标编号"] == "A1.2")
    assert (unclaimed["复核得分"], unclaimed["填报得分"], unclaimed["差异"]) == (0, None, None)
    assert _rows(book["差异明细"])[1:] == []  # the header only
    assert any(row[1] == "复核人：" for row in _rows(ws))


def test_a_row_against_the_rule_has_exact_numbers_and_the_rules_trace(tmp_path):
    path = _review(tmp_path, ROW, code=1)  # differences: exit 1, the workbook written all the same
    book = openpyxl.load_workbook(path)
    lines = {line["指标编号"]: line for line in _table(book["复核表"], HEADER_ROW)}
    a2 = lines["A2"]
    assert (a2["填报得分"], a2["复核得分"], a2["差异"], a2["差异类型"]) == (2, 1.69, 0.31, "与规则不符")
    assert lines["A"]["说明"] == "差异来自下级" and lines["A"]["差异类型"] is None
    cells = {c.value: c for c in book["复核表"]["A"] if c.value}
    row = cells["A2"].row
    difference, claimed = book["复核表"].cell(row, 6), book["复核表"].cell(row, 4)
    assert difference.data_type == "n" and difference.number_format == "0.000"  # shown as 0.310
    assert claimed.value == 2 and claimed.number_format == "0.00"  # the form printed 2.00
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1.69</v>" in sheet and "<v>94.932</v>" in sheet and "<v>0.31</v>" in sheet
    findings = _table(book["差异明细"])
    assert len(findings) == 1
    f = findings[0]
    assert (f["序号"], f["指标编号"], f["差异类型"], f["计为差异"]) == (1, "A2", "与规则不符", "是")
    assert (f["填报得分"], f["对照值"], f["差异"], f["扣分"]) == (2, 1.69, 0.31, 0.31)
    assert f["填报位置"] == f"{ROW}:144"
    assert f["扣分指标"] == "管理效能 › 采购管理 › 政府采购执行率（A2.1）" and f["规则"] == "A2.1.r1"
    assert f["规则原文"].startswith("得分=政府采购执行率×分值") and f["依据"] == "推断"
    assert "1.6896 → 1.69" in f["计算"] and f["阈值"] == "满分线 100%"
    assert "政府采购执行率 = 84.48%" in f["事实"] and f["规则位置"].startswith(f"{GZ_POLICY}:")


def test_the_forms_arithmetic_is_a_finding_with_its_rows_summed(tmp_path):
    book = openpyxl.load_workbook(_review(tmp_path, SUM, code=1))
    total = _table(book["复核表"], HEADER_ROW)[-1]
    assert (total["填报得分"], total["差异"], total["差异类型"], total["说明"]) == (95.622, 1, "表内算术",
                                                                          "各项合计不符")
    (f,) = _table(book["差异明细"])
    assert (f["指标编号"], f["指标"], f["发现"]) == (None, "总分", "各项合计与填报总分不符")
    assert (f["填报得分"], f["对照值"], f["差异"]) == (95.622, 94.622, 1)
    assert f["说明"].startswith("各项合计：42.122 + 52.50 = 94.622") and f["规则"] is None


def test_a_finding_with_several_deductions_puts_its_numbers_on_its_first_row(tmp_path):
    facts = _claims(tmp_path, "  资金管理: 20.000\n", "full.yaml")  # claims full marks: two deductions say why not
    rows = [r for r in _table(openpyxl.load_workbook(_review(tmp_path, facts, code=1))["差异明细"]) if r["序号"] == 1]
    assert [r["扣分指标"].rsplit("（", 1)[1] for r in rows] == ["A1.1）", "A1.2）"]
    assert [r["扣分"] for r in rows] == [0.068, 6]
    assert (rows[0]["差异"], rows[1]["差异"]) == (6.068, None)  # counted once
    assert (rows[1]["指标编号"], rows[1]["差异类型"]) == ("A1", "与规则不符")


def test_rounding_on_a_form_of_whole_points_is_listed_and_not_counted(tmp_path):
    facts = _claims(tmp_path, "  资金管理: 14\n  total: 95\n", "whole.yaml")
    book = openpyxl.load_workbook(_review(tmp_path, facts))  # rounding only: exit 0
    assert book["复核表"]["A5"].value == "结论：一致（另有 2 项舍入差异，不计为差异）"
    findings = [f for f in _table(book["差异明细"]) if f["计为差异"]]  # a finding's first row (its deductions follow)
    assert [(f["指标编号"], f["差异类型"], f["计为差异"]) for f in findings] == [("A1", "舍入差异", "否"),
                                                                        (None, "舍入差异", "否")]
    assert "13.932" in findings[0]["说明"] and "不计为差异" in findings[0]["说明"]
    assert findings[1]["已在他处报告"] == 0.068  # A1's own rounding, not counted again at the total


def test_adjustments_get_their_sheet_and_an_adjusted_column(tmp_path):
    book = openpyxl.load_workbook(_review(tmp_path, CLAIMED, "--adjustments", str(ADJUSTMENTS)))
    assert book.sheetnames == ["复核表", "差异明细", "复核调整", "事实"]
    assert book["复核表"]["A8"].value.startswith("复核调整后总分：91.622")
    lines = _table(book["复核表"], HEADER_ROW + 1)
    assert lines[-1]["复核调整后得分"] == 91.622 and lines[-1]["复核得分"] == 94.622
    adjustments = {a["指标编号"]: a for a in _table(book["复核调整"])}
    b1 = adjustments["B1"]
    assert (b1["类型"], b1["调整值"], b1["调整前"], b1["调整后"], b1["变动"], b1["复核人"]) == (
        "更正系数（%）", 95, 50, 47.5, -2.5, "李复核")
    assert b1["计算"] == "分值 50 × 更正系数 95% = 47.5" and b1["位置"].startswith(f"{ADJUSTMENTS}:")
    assert adjustments["A3.2"]["类型"] == "酌情扣分（分）" and adjustments["A3.2"]["变动"] == -0.5


def test_fact_sheet_is_the_score_workbooks(tmp_path):
    facts = {row["名称"]: row for row in _table(openpyxl.load_workbook(_review(tmp_path, CLAIMED))["事实"])}
    row = facts["财政拨款收入预决算差异率"]
    assert (row["值"], row["单位"], row["原文摘录"]) == (11.44, "%", "财政拨款收入预决算差异率 11.44%")


def test_same_review_gives_byte_identical_workbooks(tmp_path):
    first = _review(tmp_path, ROW, name="a.xlsx", code=1).read_bytes()
    assert first == _review(tmp_path, ROW, name="b.xlsx", code=1).read_bytes()


def test_xlsx_needs_an_output_file():
    run = CliRunner().invoke(main, ["review", str(GZ_POLICY), str(CLAIMED), "--format", "xlsx"])
    assert run.exit_code == 2 and "--output" in run.output


@pytest.fixture
def units(tmp_path: Path) -> Path:
    folder = tmp_path / "units"
    folder.mkdir()
    for path in (CLAIMED, ROW, SUM):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    bad = CLAIMED.read_text(encoding="utf-8").replace("  total: 94.622", "  totl: 94.622")
    (folder / "bad.yaml").write_text(bad, encoding="utf-8")
    return folder


def _batch(units: Path, out: Path, jobs: int = 1) -> None:
    run = CliRunner().invoke(main, ["review", str(GZ_POLICY), str(units), "-j", str(jobs), "--out", str(out)])
    assert run.exit_code == 1, run.output  # differences and a file that cannot be reviewed


def test_batch_workbook_sorts_as_the_summary_and_lists_each_units_findings(units, tmp_path):
    _batch(units, tmp_path / "r.xlsx")
    _batch(units, tmp_path / "r.jsonl")
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["汇总", "差异明细"]
    summary = _table(book["汇总"])
    assert list(summary[0]) == ["序号", "事实文件", "单位", "填报总分", "复核总分", "差异", "差异项数", "舍入差异项数",
                                "结论", "错误"]
    assert [row["事实文件"] for row in summary] == [r["file"] for r in records]
    assert [Path(row["事实文件"]).name for row in summary] == ["gz-kjj-2021-claimed-sum.yaml",
                                                             "gz-kjj-2021-claimed-row.yaml", "gz-kjj-2021-claimed.yaml",
                                                             "bad.yaml"]
    assert [(row["填报总分"], row["复核总分"], row["差异"], row["差异项数"]) for row in summary[:3]] == [
        (95.622, 94.622, 1, 1), (94.932, 94.622, 0.31, 1), (94.622, 94.622, 0, 0)]
    assert summary[2]["结论"] == "一致" and summary[0]["错误"] is None
    failed = summary[3]
    assert failed["单位"] is None and "facts.unknown" in failed["错误"] and failed["错误"].startswith(str(units))
    findings = _table(book["差异明细"])
    assert list(findings[0])[:3] == ["单位", "事实文件", "序号"]
    assert [(Path(f["事实文件"]).name, f["指标"], f["差异"]) for f in findings] == [
        ("gz-kjj-2021-claimed-sum.yaml", "总分", 1), ("gz-kjj-2021-claimed-row.yaml", "采购管理", 0.31)]
    assert findings[1]["扣分指标"] == "管理效能 › 采购管理 › 政府采购执行率（A2.1）"
    assert records[1]["details"][0]["deductions"][0]["rule"] == findings[1]["规则"] == "A2.1.r1"


def test_batch_workbook_is_the_same_bytes_for_any_jobs(units, tmp_path):
    _batch(units, tmp_path / "j1.xlsx", 1)
    _batch(units, tmp_path / "j2.xlsx", 2)
    data = (tmp_path / "j1.xlsx").read_bytes()
    assert data == (tmp_path / "j2.xlsx").read_bytes()
    assert zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode().count("1980-01-01") == 2
