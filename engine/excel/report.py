"""A score :class:`Result` (and its :class:`Facts`) → an .xlsx report (stage: render; pure).

Sheets, in order: 自评表 (the indicator tree as the form prints it: every indicator with 分值 /
得分 / 扣分, then the total), 扣分明细 (every deduction and bonus with the official wording, its
provenance, the facts, the computation, the threshold and the points), 事实 (each fact of the
fact file with its value, unit, source, quote and note). Batch results are in
:mod:`engine.excel.batch_report`. Scores are numbers shown with the policy's places
(:func:`engine.excel.sheets.number`); the same result gives the same bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine import decimals
from engine.excel.sheets import Column, first_sheet, new_book, number, save_book, write_table
from engine.facts import Facts, FactValue
from engine.render.common import (
    KIND_NAMES,
    PROVENANCE_NAMES,
    fact_details,
    fact_text,
    flags,
    grade_text,
    node_name,
    path_text,
    walk,
)
from engine.trace import Deduction, Result, Status

__all__ = ["DEDUCTIONS", "FACTS", "FORM", "deduction_rows", "score_workbook"]

FORM, DEDUCTIONS, FACTS = "自评表", "扣分明细", "事实"
STATUS_NOTES = {Status.NOT_APPLICABLE: "不适用，按满分", Status.EXCLUDED: "不适用，不计分", Status.ADJUSTMENT: "加减分"}
FORM_COLUMNS = (Column("指标编号", 10), Column("指标", 56, True), Column("分值", 9), Column("得分", 9),
                Column("扣分", 9), Column("说明", 16))
DEDUCTION_COLUMNS = (Column("序号", 6), Column("指标编号", 10), Column("指标", 40, True), Column("规则", 12),
                     Column("规则类型", 10), Column("依据", 10), Column("规则原文", 48, True),
                     Column("事实", 56, True), Column("计算", 48, True), Column("阈值", 20, True),
                     Column("扣分", 9), Column("说明", 12), Column("推断依据", 40, True), Column("规则位置", 30))
FACT_COLUMNS = (Column("名称", 28, True), Column("值", 14), Column("单位", 8), Column("来源", 30, True),
                Column("原文摘录", 48, True), Column("备注", 40, True), Column("推导", 40, True),
                Column("位置", 30))


def score_workbook(result: Result, facts: Facts | None = None) -> bytes:
    """The score report as .xlsx bytes: 自评表, 扣分明细 and, given the facts, 事实."""
    book = new_book()
    form_sheet(first_sheet(book), result)
    ws = book.create_sheet(DEDUCTIONS)
    write_table(ws, DEDUCTION_COLUMNS, deduction_rows(result))
    if facts is not None:
        write_table(book.create_sheet(FACTS), FACT_COLUMNS, fact_rows(facts))
    return save_book(book)


def _score(result: Result, value: Decimal | None) -> Any:
    return "—" if value is None else number(value, result.min_places, result.max_places)


def form_sheet(ws: Any, result: Result) -> None:
    """The 自评表: a title block, then one row per indicator (indented by depth), then the total."""
    from openpyxl.styles import Alignment, Font

    ws.title = FORM
    head = [f"{result.department} {result.title}表", f"指标体系：{result.policy_name}",
            f"{result.policy_id} 版本 {result.policy_version}，摘要 {result.policy_digest[:16]}",
            f"事实文件：{result.facts_file}", f"等级：{grade_text(result)}"]
    for row, text in enumerate(head, start=1):
        ws.cell(row, 1, text)
    ws["A1"].font = Font(bold=True, size=14)
    start = len(head) + 2
    rows: list[list[Any]] = []
    depths: list[int] = []
    for node, depth in walk(result.indicators):
        lost = node.lost()
        rows.append([node.id, node_name(node), _score(result, node.max), _score(result, node.score),
                     _score(result, lost) if lost else None, STATUS_NOTES.get(node.status)])
        depths.append(depth)
    rows.append([None, "总分", _score(result, result.max), _score(result, result.total), None, None])
    after = write_table(ws, FORM_COLUMNS, rows, start)
    for offset, depth in enumerate(depths, start=start + 1):
        ws.cell(offset, 2).alignment = Alignment(wrap_text=True, vertical="top", indent=depth)
    for column in range(1, len(FORM_COLUMNS) + 1):
        ws.cell(after - 1, column).font = Font(bold=True)
    ws.print_title_rows = f"{start}:{start}"
    ws.page_setup.paperSize, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 9, 1, 0  # 9: A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for row, label in enumerate(("评价人：", "复核人：", "日期："), start=after + 1):
        ws.cell(row, 2, label)


def deduction_rows(result: Result) -> list[list[Any]]:
    """One row per deduction (points lost positive, a bonus negative), in policy order."""
    names = {n.id: n.name for n in result.nodes()}
    return [_deduction_row(result, i, d, names[d.indicator_id]) for i, d in enumerate(result.deductions(), 1)]


def _deduction_row(result: Result, i: int, d: Deduction, name: str) -> list[Any]:
    facts = "\n".join(line for f in d.facts
                      for line in (fact_text(f), *(f"　{label}：{text}" for label, text in fact_details(f))))
    item = f"（{d.item}）" if d.item else ""
    note = d.note if d.provenance == "inferred" else None
    return [i, d.indicator_id, path_text(d, name) + item, d.rule_id, KIND_NAMES.get(d.rule_kind, d.rule_kind),
            PROVENANCE_NAMES.get(d.provenance, d.provenance), d.wording, facts, d.computation, d.threshold,
            _score(result, d.points), flags(d) or None, note, str(d.location)]


def fact_rows(facts: Facts) -> list[list[Any]]:
    """One row per fact of the fact file (a list fact: a row, then one row per target)."""
    rows: list[list[Any]] = []
    for fact in facts.values.values():
        rows.append(_fact_row(fact))
        if isinstance(fact.value, tuple):
            for target in fact.value:
                where = f"{target.location.file}:{target.location.line}"
                direction = "越高越好" if target.direction == "higher" else "越低越好"
                shown = f"目标 {decimals.fmt(target.target)}，{direction}"
                rows.append([f"{fact.name}·{target.name}", number(target.actual), target.unit, None, None, shown,
                             None, where])
    return rows


def _fact_row(fact: FactValue) -> list[Any]:
    value = fact.value
    shown: Any
    if isinstance(value, tuple):
        shown = f"{len(value)} 项目标"
    elif isinstance(value, bool):
        shown = "是" if value else "否"
    elif isinstance(value, Decimal):
        shown = number(value)
    else:
        shown = value
    where = f"{fact.location.file}:{fact.location.line}" if fact.location else None
    return [fact.name, shown, fact.unit, fact.source, fact.quote, fact.note, fact.derivation, where]
