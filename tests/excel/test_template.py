"""`jixiao template POLICY --xlsx FILE`: the layout, the drop-downs and bounds, the same bytes every time."""

from __future__ import annotations

import json

import openpyxl
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.excel import layout
from engine.excel.template import fact_workbook
from engine.loader import read_document
from tests.conftest import GZ_POLICY, ROOT

JUDGEMENT = ROOT / "tests" / "policies" / "kinds" / "judgement.yaml"


def validations(ws):
    """Each validated cell or range → (type, operator, formula1, formula2)."""
    return {str(rng): (v.type, v.operator, v.formula1, v.formula2)
            for v in ws.data_validations.dataValidation for rng in v.sqref.ranges}


def test_same_policy_same_bytes(gz_policy):
    assert fact_workbook(gz_policy) == fact_workbook(gz_policy)


def test_one_row_per_declared_fact_in_policy_order(gz_template, gz_policy):
    sheet = openpyxl.load_workbook(gz_template)[layout.FACTS]
    assert [c.value for c in sheet[1]] == [title for title, _ in layout.FACT_COLUMNS]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [d.name for d in gz_policy.facts]
    by_name = {r[0]: r for r in rows}
    assert by_name["预算完成率"][1:6] == ("数值", None, "%", "0 至 200，最多 2 位小数",
                                      "取自市财政局1—12月支出进度通报，不按报告中的预算、支出总额重算；必填")
    assert by_name["预算编制报送及时准确"][1:5] == ("是/否", None, None, "是 或 否")
    assert by_name["申报绩效目标数"][1:5] == ("整数", None, "个", "≥ 1 的整数")
    assert "由公式计算：实际在用固定资产总额 / 所有固定资产总额 * 100，截断至 2 位" in by_name["固定资产使用率"][5]
    assert by_name["部门整体绩效目标"][1] == "目标清单" and "「绩效目标」表" in by_name["部门整体绩效目标"][5]
    # value cells keep Excel's General format, which does not hide decimals
    assert {sheet.cell(row, 3).number_format for row in range(2, len(rows) + 2)} == {"General"}


def test_value_cells_have_drop_downs_and_bounds(gz_template):
    book = openpyxl.load_workbook(gz_template)
    checks = validations(book[layout.FACTS])
    assert checks["C2"] == ("decimal", "between", "0", "200")            # 预算完成率
    assert checks["C6"] == ("list", None, '"是,否"', None)              # 预算编制报送及时准确
    assert checks["C11"] == ("decimal", "greaterThanOrEqual", "0", None)  # 实际在用固定资产总额
    assert checks["C21"] == ("whole", "greaterThanOrEqual", "1", None)    # 申报绩效目标数
    assert "C25" not in checks                                           # the targets list: another sheet
    assert validations(book[layout.TARGETS])["E2:E201"] == ("list", None, '"越高越好,越低越好"', None)


def test_info_names_and_guide_sheets(gz_template, gz_policy):
    book = openpyxl.load_workbook(gz_template)
    assert book.sheetnames == [layout.GUIDE, layout.INFO, layout.FACTS, layout.TARGETS, layout.NAMES]
    info = {row[0]: row[1] for row in book[layout.INFO].iter_rows(min_row=2, values_only=True)}
    assert info["年度"] == 2021 and info["指标体系"] == "gz-dept-2021" and info["指标体系摘要"] == gz_policy.digest
    assert info["单位名称"] is None
    names = [row[:2] for row in book[layout.NAMES].iter_rows(min_row=2, values_only=True)]
    assert names == [(n.id, n.name) for n in gz_policy.nodes()]
    assert "填好后：jixiao score gz-dept-2021.yaml 本文件.xlsx" in [c.value for c in book[layout.GUIDE]["A"]]


def test_enum_facts_get_a_hidden_options_sheet_and_read_back(tmp_path):
    path = tmp_path / "judgement.xlsx"
    assert CliRunner().invoke(main, ["template", str(JUDGEMENT), "--xlsx", str(path)]).exit_code == 0
    book = openpyxl.load_workbook(path)
    assert layout.TARGETS not in book.sheetnames
    options = book[layout.OPTIONS]
    assert options.sheet_state == "hidden"
    assert [c.value for c in options["A"]] == ["达成年度指标", "部分达成并具有一定效果", "未达成且效果较差"]
    assert validations(book[layout.FACTS])["C2"] == ("list", None, f"'{layout.OPTIONS}'!$A$1:$A$3", None)
    book[layout.INFO]["B2"] = "某单位"
    book[layout.FACTS]["C2"] = "部分达成并具有一定效果"
    book[layout.FACTS]["C3"] = 75
    book.save(path)
    run = CliRunner().invoke(main, ["score", str(JUDGEMENT), str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["total"] == "7.50"
    assert read_document(path).value["facts"]["评定等次"] == {"value": "部分达成并具有一定效果"}


def test_template_usage_and_data_errors(tmp_path):
    runner = CliRunner()
    wrong = runner.invoke(main, ["template", str(GZ_POLICY), "--xlsx", str(tmp_path / "a.xls")])
    assert wrong.exit_code == 2 and "应以 .xlsx 结尾" in wrong.output
    assert runner.invoke(main, ["template", str(GZ_POLICY)]).exit_code == 2
    bad = ROOT / "tests" / "bad" / "policy-weights-sum.yaml"
    out = tmp_path / "bad.xlsx"
    run = runner.invoke(main, ["template", str(bad), "--xlsx", str(out)])
    assert run.exit_code == 1 and "policy.weights_sum" in run.output and not out.exists()
    missing = runner.invoke(main, ["template", str(GZ_POLICY), "--xlsx", str(tmp_path / "no" / "dir.xlsx")])
    assert missing.exit_code == 1 and "无法写入" in missing.output and "Traceback" not in missing.output
    assert missing.exception is None or isinstance(missing.exception, SystemExit)


def test_template_is_written_atomically_over_an_existing_file(tmp_path, gz_policy):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"old")
    assert CliRunner().invoke(main, ["template", str(GZ_POLICY), "--xlsx", str(path)]).exit_code == 0
    assert path.read_bytes() == fact_workbook(engine.load_policy(GZ_POLICY))
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]
