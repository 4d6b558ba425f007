"""Reading cells exactly, and bad cells: each gives its code, its `FILE.xlsx!sheet!cell` and a message.

Rows of the Guangzhou 事实 sheet: 2 预算完成率 (%), 5 结转结余率 (%), 6 预算编制报送及时准确 (是/否),
7 政府采购执行率 (%), 11 实际在用固定资产总额 (万元), 20 已实现绩效目标数 (个), 26 工作表现加减分 (分).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.errors import JixiaoError
from engine.loader import read_document
from tests.conftest import GZ_POLICY
from tests.excel.conftest import set_cached

FACTS_SHEET = 3  # the sheet's index in the zip: 填写说明, 基本信息, 事实, 绩效目标, 指标名称


def value_of(path, name):
    return read_document(path).value["facts"][name]["value"]


def put(sheet, cell, value, number_format=None):
    def edit(book):
        book[sheet][cell] = value
        if number_format:
            book[sheet][cell].number_format = number_format
    return edit


# -- numbers are read exactly ---------------------------------------------------------------------
@pytest.mark.parametrize(("value", "number_format", "want"), [
    (84.48, None, "84.48"),                      # a double that is not 84.48 exactly
    (0.1 + 0.2, None, "0.3"),                    # 0.30000000000000004: Excel shows 0.3
    (0.8448, "0.00%", "84.48"),                  # typed as 84.48%: the unit is %, so it is the percentage
    (0.84485, "0.00%", "84.485"),                # the format shows 84.49%, the cell holds 84.485 %
    ("84.48", None, "84.48"),                    # text holding a number: exact
    (" 84.480 ", "@", "84.480"),                 # text keeps its places
    (85, None, "85"),                            # an integer
])
def test_percentage_cell_values(filled, value, number_format, want):
    got = value_of(filled(put("事实", "C7", value, number_format)), "政府采购执行率")
    assert got == Decimal(want) and str(got) == want


def test_logical_values_and_words_for_booleans(filled):
    def edit(book):
        book["事实"]["C6"] = True
        book["事实"]["C8"] = "否"
        book["事实"]["C9"] = "FALSE"
    doc = read_document(filled(edit)).value["facts"]
    assert (doc["预算编制报送及时准确"]["value"], doc["预决算信息公开"]["value"], doc["绩效信息公开"]["value"]) == (
        True, False, False)


def test_a_formula_cell_is_read_from_its_saved_result(filled):
    path = filled(put("事实", "C2", "=99+0.66"))
    set_cached(path, FACTS_SHEET, "C2", "99.659999999999997")  # 17 digits, as some writers save doubles
    assert value_of(path, "预算完成率") == Decimal("99.66")


# -- bad cells -----------------------------------------------------------------------------------
BAD = {
    "percent format, unit not %": (put("事实", "C11", 0.5, "0%"), "facts.unit", "事实!C11", "单位是「万元」"),
    "full-width digits": (put("事实", "C2", "\uff19\uff19.\uff16\uff16"), "facts.type", "事实!C2", "如 99.66"),
    "more places than declared": (put("事实", "C2", 99.666), "facts.precision", "事实!C2", "最多 2 位小数"),
    "out of range": (put("事实", "C2", 250), "facts.range", "事实!C2", "超出允许范围"),
    "a ratio for a percentage": (put("事实", "C7", 0.8448), "facts.unit", "事实!C7", "应写 84.48"),
    "text with a % sign": (put("事实", "C7", "84.48%"), "facts.type", "事实!C7", "请只填 84.48"),
    "thousands separator": (put("事实", "C11", "10,232.75"), "facts.type", "事实!C11", "请填 10232.75"),
    "text for a number": (put("事实", "C2", "约一百"), "facts.type", "事实!C2", "应为数值"),
    "decimals for an integer": (put("事实", "C20", 20.5), "facts.type", "事实!C20", "应为整数"),
    # an Excel cell holds no time zone, so the date is naive
    "a date for a number": (put("事实", "C2", datetime.datetime(2021, 12, 31)), "facts.type", "事实!C2", "日期"),  # noqa: DTZ001
    "a formula never calculated": (put("事实", "C2", "=99+0.66"), "facts.type", "事实!C2", "没有保存它的计算结果"),
    "a word for a boolean": (put("事实", "C6", "对"), "facts.type", "事实!C6", "应填「是」或「否」"),
    "unit changed": (put("事实", "D2", "万元"), "facts.unit", "事实!D2", "单位应为「%」"),
    "type changed": (put("事实", "B2", "文本"), "source.workbook", "事实!B2", "类型「文本」无法识别"),
    "unknown fact": (put("事实", "A2", "预算完成"), "facts.unknown", "事实!A2", "是否为「预算完成率」"),
    "row without a name": (put("事实", "G30", "二（二）1"), "facts.schema", "事实!A30", "没有名称"),
    "duplicate fact": (put("事实", "A3", "预算完成率"), "source.duplicate_key", "事实!A3", "第一次出现在第 2 行"),
    "unknown column": (put("事实", "G1", "来 源"), "source.workbook", "事实!G1", "是否为「来源」"),
    "missing department": (put("基本信息", "B2", None), "facts.schema", "基本信息!B2", "请填写单位名称"),
    "unknown info item": (put("基本信息", "A9", "负责人"), "source.workbook", "基本信息!A9", "未知的项目「负责人」"),
    "target direction": (put("绩效目标", "E2", "更高"), "facts.type", "绩效目标!E2", "越高越好"),
    "target value text": (put("绩效目标", "C2", "二十一"), "facts.type", "绩效目标!C2", "应为数值"),
    "target of an unknown fact": (put("绩效目标", "A2", "部门绩效目标"), "facts.unknown", "绩效目标!A2",
                                  "是否为「部门整体绩效目标」"),
    "unknown indicator": (lambda book: [put("指标名称", "A2", "Z9")(book), put("指标名称", "C2", "自定")(book)],
                          "facts.unknown", "指标名称!A2", "未知指标「Z9」"),
    "missing required fact": (put("事实", "C2", None), "facts.missing", "事实!C1", "缺少必填事实「预算完成率」"),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=str)
def test_bad_cell_is_located(filled, case):
    edit, code, where, message = BAD[case]
    path = filled(edit)
    with pytest.raises(JixiaoError) as err:
        policy = engine.load_policy(GZ_POLICY)
        engine.read_facts(path, policy)
    found = [(str(p.code), str(p.location), p.message) for p in err.value.problems]
    assert any(c == code and loc == f"{path}!{where}" and message in m for c, loc, m in found), found


@pytest.mark.parametrize("case", ["full-width digits", "missing department", "a formula never calculated"])
def test_cli_reports_a_bad_cell_and_writes_nothing(filled, tmp_path, case):
    edit, code, where, message = BAD[case]
    path, out = filled(edit), tmp_path / "out.json"
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(path), "--format", "json", "-o", str(out)])
    assert run.exit_code == 1, run.output
    assert f"{path}!{where}: {code}: " in run.output and message in run.output
    assert "Traceback" not in run.output and not out.exists()


def test_formula_errors_and_all_cell_problems_come_together(filled):
    def edit(book):
        book["事实"]["C2"] = "=1/0"
        book["事实"]["C3"] = "\uff11\uff11.\uff14\uff14"
        book["事实"]["C6"] = "对"
    path = filled(edit)
    set_cached(path, FACTS_SHEET, "C2", "#DIV/0!", error=True)
    with pytest.raises(JixiaoError) as err:
        read_document(path)
    found = {str(p.location): p.message for p in err.value.problems}
    assert set(found) == {f"{path}!事实!C2", f"{path}!事实!C3", f"{path}!事实!C6"}
    assert "错误值 #DIV/0!（公式 =1/0）" in found[f"{path}!事实!C2"]


# -- files that are not fact workbooks ----------------------------------------------------------
def zipped(entries):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return data.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "旧版 .xls"),
    ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "设置了打开密码"),
    ("empty.xlsx", b"", "不是有效的 Excel 工作簿"),
    ("bomb.xlsx", zipped({"xl/worksheets/sheet1.xml": b"\0" * (9 * 2**20)}), "超过上限"),
    ("other.xlsx", zipped({"hello.txt": b"not a workbook"}), "无法读取工作簿"),
])
def test_not_a_workbook(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(JixiaoError) as err:
        read_document(path)
    assert str(err.value.code) == "source.workbook" and message in str(err.value)
    assert str(err.value.location) == f"{path}:1:1"


def test_missing_sheet_and_missing_column(filled):
    def edit(book):
        del book["基本信息"]
        book["事实"].delete_cols(3)  # 填报值
    path = filled(edit)
    with pytest.raises(JixiaoError) as err:
        read_document(path)
    found = {(str(p.location), p.message) for p in err.value.problems}
    assert any(loc == f"{path}:1:1" and "没有「基本信息」工作表" in m for loc, m in found), found
    assert any(loc == f"{path}!事实!A1" and "缺少列「填报值」" in m for loc, m in found), found


def test_columns_are_found_by_header_not_position(filled):
    def edit(book):
        book["事实"].move_range("A1:I30", cols=2)  # everything two columns to the right
    path = filled(edit)
    assert value_of(path, "预算完成率") == Decimal("99.66")
    assert str(read_document(path).positions[("facts", "预算完成率", "value")]) == f"{path}!事实!E2"


def test_workbook_from_elsewhere_with_user_sheets_is_read(filled):
    def edit(book):
        book.create_sheet("计算过程")["A1"] = "=事实!C11/事实!C12"
    assert value_of(filled(edit), "预算完成率") == Decimal("99.66")


def test_fact_values_are_located_at_their_cells(filled, gz_policy):
    path = filled()
    facts = engine.read_facts(path, gz_policy)
    assert str(facts["预算完成率"].location) == f"{path}!事实!C2"
    targets = facts["部门整体绩效目标"]
    assert str(targets.location) == f"{path}!事实!C25"  # the list: its row of 事实, like every fact
    assert [str(t.location) for t in targets.value] == [f"{path}!绩效目标!B2"]
    assert facts.indicator_names == {"B1": "设立专项资金，聚集基础研究和关键技术攻关，分层分类扶持科创企业"}
