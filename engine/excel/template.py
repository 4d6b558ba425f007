""":class:`CompiledPolicy` → the bytes of a fact-entry workbook (.xlsx) for it (stage: render; pure).

One row per declared fact in the 事实 sheet (name, type, the value cell to fill, unit, allowed range,
description, and the source / quote / note cells a YAML fact file has), a 绩效目标 sheet for list
facts (type ``targets``), a sheet per table fact (its rows × columns, named after it), a 指标名称 sheet
listing every indicator, and a 基本信息 sheet for the document fields. Value cells get Excel data
validation (drop-downs for 是/否 and enums, bounds for numbers) and the General number format, which
never hides decimals. The same policy always gives
the same bytes: no timestamps in the document properties or the zip entries.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

from engine import decimals
from engine.compile import CompiledPolicy
from engine.excel import layout
from engine.excel.cells import column_letter
from engine.excel.sheets import new_book, save_book
from engine.facts import FactDecl
from engine.schema import FactSpec
from engine.tables import TableDecl

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["fact_workbook", "range_text"]

TARGET_ROWS = 200  # rows of the 绩效目标 sheet that get drop-downs and the fill colour
_WIDTHS = {"名称": 28, "类型": 9, "填报值": 16, "单位": 8, "允许范围": 26, "说明": 48, "来源": 24, "原文摘录": 40,
           "备注": 24, "事实": 20, "目标名称": 36, "目标值": 12, "实际值": 12, "方向": 11, "项目": 14, "内容": 40,
           "指标编号": 12, "指标体系中的名称": 48, "本单位的名称": 48}
_LINE_POINTS, _GUIDE_WIDTH = 15, 110  # a row of 11-point text; the guide's one column
_FILL_COLOUR, _HEADER_COLOUR, _REFERENCE_COLOUR = "FFF2CC", "DDEBF7", "595959"


def range_text(spec: FactSpec) -> str:
    """What a fact accepts, in words (the 允许范围 column and the cell's input message).

    >>> from decimal import Decimal
    >>> range_text(FactSpec(type="decimal", unit="%", range=(Decimal(0), Decimal(200)), places=2))
    '0 至 200，最多 2 位小数'
    >>> range_text(FactSpec(type="integer", range=(Decimal(1), None))), range_text(FactSpec(type="boolean"))
    ('≥ 1 的整数', '是 或 否')
    """
    if spec.type == "boolean":
        return "是 或 否"
    if spec.type == "enum":
        return "、".join(spec.values)
    if spec.type == "targets":
        return f"在「{layout.TARGETS}」表逐项填写"
    lo, hi = spec.range or (None, None)
    if lo is not None and hi is not None:
        shown = f"{decimals.fmt(lo)} 至 {decimals.fmt(hi)}"
    else:
        shown = f"≥ {decimals.fmt(lo)}" if lo is not None else f"≤ {decimals.fmt(hi)}" if hi is not None else "任意数值"
    if spec.type == "integer":
        return f"{shown}的整数" if shown == "任意数值" else f"{shown} 的整数"
    return shown + (f"，最多 {spec.places} 位小数" if spec.places is not None else "")


def _description(decl: FactDecl) -> str:
    spec = decl.spec
    parts = [spec.description] if spec.description else []
    if spec.derive:
        rounding = (f"，{decimals.ROUNDING_NAMES[spec.rounding.mode]}至 {spec.rounding.places} 位"
                    if spec.rounding else "")
        parts.append(f"由公式计算：{spec.derive}{rounding}；可不填，填写则须与计算结果一致")
    elif spec.type == "targets":
        parts.append(f"{'必填' if spec.required else '选填'}：在「{layout.TARGETS}」表逐项填写")
    else:
        parts.append("必填" if spec.required else "选填")
    return "；".join(parts)


def fact_workbook(policy: CompiledPolicy) -> bytes:
    """The fact-entry workbook for ``policy`` as .xlsx bytes."""
    book = new_book()  # fixed document and zip dates: the same policy gives the same bytes
    _Writer(book, policy).write()
    return save_book(book)


class _Writer:
    def __init__(self, book: Workbook, policy: CompiledPolicy) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.book, self.policy = book, policy
        self.fill = PatternFill("solid", fgColor=_FILL_COLOUR)
        self.header_fill = PatternFill("solid", fgColor=_HEADER_COLOUR)
        self.bold, self.grey = Font(bold=True), Font(color=_REFERENCE_COLOUR)
        self.bold_grey = Font(bold=True, color=_REFERENCE_COLOUR)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.border = Border(bottom=Side(style="thin"))
        self.lists = [d.name for d in policy.facts if d.spec.type == "targets"]
        self.enums = [d for d in policy.facts if d.spec.type == "enum"]
        self.cells = frozenset(cell for table in policy.tables for _, _, cell in table.cells())

    def write(self) -> None:
        from openpyxl.worksheet.worksheet import Worksheet

        first = self.book.active  # a new workbook's one sheet
        assert isinstance(first, Worksheet)
        self.guide(first)
        self.info(self.book.create_sheet(layout.INFO))
        self.facts(self.book.create_sheet(layout.FACTS))
        if self.lists:
            self.targets(self.book.create_sheet(layout.TARGETS))
        taken = {layout.GUIDE, layout.INFO, layout.FACTS, layout.TARGETS, layout.NAMES, layout.OPTIONS}
        for table in self.policy.tables:
            name = layout.table_sheet_name(table.name, taken)
            taken.add(name)
            self.table(self.book.create_sheet(name), table)
        self.names(self.book.create_sheet(layout.NAMES))
        if self.enums:
            self.options(self.book.create_sheet(layout.OPTIONS))

    def header(self, ws: Worksheet, columns: Sequence[tuple[str, str | None]]) -> None:
        for index, (title, key) in enumerate(columns, start=1):
            cell = ws.cell(1, index, title)
            cell.font, cell.fill, cell.border = self.bold, self.header_fill, self.border
            ws.column_dimensions[column_letter(index)].width = _WIDTHS.get(title, 16)
            if key is None:
                cell.font = self.bold_grey
        ws.freeze_panes = "B2"

    def row(self, ws: Worksheet, number: int, columns: Sequence[tuple[str, str | None]],
            values: Mapping[str, str | int | None], filled: Sequence[str]) -> None:
        for index, (title, key) in enumerate(columns, start=1):
            cell = ws.cell(number, index, values.get(title))
            cell.alignment = self.wrap
            if key is None:
                cell.font = self.grey
            if title in filled:
                cell.fill = self.fill
        lines = max(_lines(values.get(title), _WIDTHS.get(title, 16)) for title, _ in columns)
        if lines > 1:  # a wrapped cell gets the height it needs: neither Excel nor WPS sizes rows on opening
            ws.row_dimensions[number].height = _LINE_POINTS * lines

    def guide(self, ws: Worksheet) -> None:
        meta = self.policy.meta
        ws.title = layout.GUIDE
        lines = [f"事实填报表：{meta.name}", f"指标体系 {meta.id}，版本 {meta.version}，摘要 {self.policy.digest}", "",
                 *_GUIDE, "", f"填好后：jixiao score {Path(self.policy.file).name} 本文件.xlsx"]
        ws.column_dimensions["A"].width = _GUIDE_WIDTH
        for number, line in enumerate(lines, start=1):
            ws.cell(number, 1, line).alignment = self.wrap
            if _lines(line, _GUIDE_WIDTH) > 1:
                ws.row_dimensions[number].height = _LINE_POINTS * _lines(line, _GUIDE_WIDTH)
        ws["A1"].font = self.bold

    def info(self, ws: Worksheet) -> None:
        meta, columns = self.policy.meta, layout.INFO_COLUMNS
        self.header(ws, columns)
        rows = [("单位名称", None, "必填：部门或单位的全称"), ("年度", meta.fiscal_year, "预算年度"),
                ("指标体系", meta.id, "由模板填写，请勿修改"), ("备注", None, "选填"),
                ("指标体系名称", meta.name, "参考，不读取"), ("指标体系版本", meta.version, "参考，不读取"),
                ("指标体系摘要", self.policy.digest, "参考，不读取：生成本表时指标体系的 SHA-256")]
        for number, (label, value, note) in enumerate(rows, start=2):
            filled = ("内容",) if label in ("单位名称", "年度", "备注") else ()
            self.row(ws, number, columns, {"项目": label, "内容": value, "说明": note}, filled)

    def facts(self, ws: Worksheet) -> None:
        columns = layout.FACT_COLUMNS
        self.header(ws, columns)
        for number, decl in enumerate((d for d in self.policy.facts if d.name not in self.cells), start=2):
            spec = decl.spec
            values = {"名称": decl.name, "类型": layout.TYPE_LABELS[spec.type], "单位": spec.unit,
                      "允许范围": range_text(spec), "说明": _description(decl)}
            filled = ("来源", "原文摘录", "备注") if spec.type == "targets" else ("填报值", "来源", "原文摘录", "备注")
            self.row(ws, number, columns, values, filled)
            self.validate(ws, f"C{number}", decl)

    def validate(self, ws: Worksheet, where: str, decl: FactDecl) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        spec, allowed = decl.spec, range_text(decl.spec)
        options: _Rule = {}
        if spec.type == "boolean":
            options = {"type": "list", "formula1": '"是,否"'}
        elif spec.type == "enum":
            column = column_letter(self.enums.index(decl) + 1)
            options = {"type": "list", "formula1": f"'{layout.OPTIONS}'!${column}$1:${column}${len(spec.values)}"}
        elif spec.type in ("decimal", "integer") and spec.range is not None:
            options = _bounds(spec)
        if not options:
            return
        check = DataValidation(**options, allow_blank=True, showErrorMessage=True, showInputMessage=True,
                               errorTitle="填报值不符合要求", error=f"{decl.name}：{allowed}"[:225],
                               promptTitle=decl.name[:32], prompt=allowed[:255])
        ws.add_data_validation(check)
        check.add(where)

    def table(self, ws: Worksheet, table: TableDecl) -> None:
        """A table fact's sheet: its name and unit in row 1, its columns in row 2, one row per table row."""
        spec = table.spec
        ws.cell(1, 1, f"{layout.TABLE_MARK}{table.name}").font = self.bold
        ws.cell(1, 2, layout.TABLE_UNIT).font = self.bold_grey
        ws.cell(1, 3, spec.unit)
        ws.cell(1, 4, f"{range_text(spec)}；空单元格（不适用、表中为“—”）留空或填 —").font = self.grey
        ws.column_dimensions["A"].width = max(16, *(2 * len(r) + 2 for r in spec.rows))
        for index, column in enumerate(spec.columns, start=2):
            cell = ws.cell(2, index, column)
            cell.font, cell.fill, cell.border = self.bold, self.header_fill, self.border
            ws.column_dimensions[column_letter(index)].width = max(14, 2 * len(column) + 2)
        last = column_letter(len(spec.columns) + 1)
        for number, row in enumerate(spec.rows, start=3):
            ws.cell(number, 1, row).font = self.bold
            for index in range(2, len(spec.columns) + 2):
                ws.cell(number, index).fill = self.fill
        ws.freeze_panes = "B3"
        if spec.range is not None and (rule := _bounds(spec)):
            from openpyxl.worksheet.datavalidation import DataValidation

            check = DataValidation(**rule, allow_blank=True, showErrorMessage=True, errorTitle="填报值不符合要求",
                                   error=f"{table.name}：{range_text(spec)}"[:225])
            ws.add_data_validation(check)
            check.add(f"B3:{last}{len(spec.rows) + 2}")

    def targets(self, ws: Worksheet) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        columns = layout.TARGET_COLUMNS
        self.header(ws, columns)
        last = TARGET_ROWS + 1
        for number in range(2, last + 1):
            self.row(ws, number, columns, {}, [title for title, _ in columns])
        direction = DataValidation(type="list", formula1=f'"{",".join(layout.DIRECTION_LABELS.values())}"',
                                   allow_blank=True, showErrorMessage=True, errorTitle="方向",
                                   error="请选择「越高越好」或「越低越好」")
        ws.add_data_validation(direction)
        direction.add(f"E2:E{last}")
        if len(self.lists) > 1:
            facts = DataValidation(type="list", formula1=f'"{",".join(self.lists)}"', allow_blank=True)
            ws.add_data_validation(facts)
            facts.add(f"A2:A{last}")

    def names(self, ws: Worksheet) -> None:
        from openpyxl.styles import Alignment

        columns = layout.NAME_COLUMNS
        self.header(ws, columns)
        for number, node in enumerate(self.policy.nodes(), start=2):
            self.row(ws, number, columns, {"指标编号": node.id, "指标体系中的名称": node.name}, ("本单位的名称",))
            ws.cell(number, 2).alignment = Alignment(wrap_text=True, vertical="top", indent=len(node.ancestors))

    def options(self, ws: Worksheet) -> None:
        for index, decl in enumerate(self.enums, start=1):
            for number, value in enumerate(decl.spec.values, start=1):
                ws.cell(number, index, value)
        ws.sheet_state = "hidden"


def _lines(value: object, width: int) -> int:
    """Lines a wrapped cell of ``width`` characters needs; a CJK character is two wide.

    >>> _lines("预算完成率", 8), _lines("0 至 200，最多 2 位小数", 26), _lines(None, 8)
    (2, 1, 1)
    """
    text = "" if value is None else str(value)
    wide = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return max(1, math.ceil(wide / max(width - 2, 1)))


class _Rule(TypedDict, total=False):
    """The part of a data validation that depends on the fact (openpyxl's DataValidation arguments)."""

    type: Literal["whole", "decimal", "list"]
    operator: Literal["between", "greaterThanOrEqual", "lessThanOrEqual"]
    formula1: str
    formula2: str


def _bounds(spec: FactSpec) -> _Rule:
    assert spec.range is not None
    lo, hi = spec.range
    kind: Literal["whole", "decimal"] = "whole" if spec.type == "integer" else "decimal"
    if lo is not None and hi is not None:
        return {"type": kind, "operator": "between", "formula1": decimals.fmt(lo), "formula2": decimals.fmt(hi)}
    if lo is not None:
        return {"type": kind, "operator": "greaterThanOrEqual", "formula1": decimals.fmt(lo)}
    if hi is not None:
        return {"type": kind, "operator": "lessThanOrEqual", "formula1": decimals.fmt(hi)}
    return {}


_GUIDE = (
    "怎样填写",
    "1. 「基本信息」表：填写单位名称（必填），核对年度。",
    "2. 「事实」表：每行一项事实，在黄色的「填报值」单元格填写；「来源」「原文摘录」「备注」选填，"
    "即事实文件中的 source、quote、note（原文摘录会出现在扣分说明中）。"
    "灰色的「允许范围」「说明」两列只供参考，不读取；「名称」「类型」「单位」由模板按指标体系填写，请勿修改。",
    "3. 类型为「目标清单」的事实在「绩效目标」表逐行填写（目标名称、目标值、实际值、方向、单位）；指标体系只有一项"
    "目标清单时，「事实」列可以不填。",
    "4. 表格事实（如项目资金）各有一张工作表，以表名命名：在黄色单元格按行列填写，单位见第 1 行；"
    "表中为空（“—”）的单元格留空或填 —，不要填 0。",
    "5. 「指标名称」表列出全部指标；本单位对某个指标另有称呼时，填在「本单位的名称」列，其余留空。",
    "",
    "数值的写法",
    "· 直接填写数字，如 84.48；单位为 % 的事实填百分数 84.48，不要填比率 0.8448。单元格若设为百分比格式"
    "（显示为 84.48%），按百分数读取为 84.48；单位不是 % 的事实不能用百分比格式。",
    "· 用半角数字，不写千位分隔符和单位。小数位数不能超过「允许范围」所写的位数；Excel 最多保留 15 位有效数字。",
    "· 可以使用公式：读取的是文件中保存的计算结果，请在 Excel 或 WPS 中保存后再提交。",
    "· 「是/否」类事实从下拉列表选择「是」或「否」（也接受 TRUE / FALSE）。",
    "· 由公式计算的事实（说明中写有“由公式计算”）可以不填；填写则必须与按公式和舍入规则算出的值相同。",
    "",
    "出错时，错误信息会指出工作表和单元格，如 本文件.xlsx!事实!C7。",
)
