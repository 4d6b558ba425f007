"""The score report → :class:`Page` (stage: render; pure): the score tree, then every deduction.

The same page the other views build, so ``jixiao score --format html`` lays it out with the same
templates; it says what the text report (``engine.render.text``) says.
"""

from __future__ import annotations

from decimal import Decimal

from engine.render.common import (
    gap_lines,
    grade_text,
    inferred_notice,
    node_name,
    node_score,
    path_text,
    total_score,
    walk,
)
from engine.render.page import Entry, Page, Row, Section, Table, deduction_lines, findings_section, identity, score
from engine.trace import Deduction, Result, Status

__all__ = ["score_page"]

SIGNATURES = ("评价人", "复核人", "日期")  # the sign-off block a printed 自评表 ends with
STATUS_NOTES = {Status.NOT_APPLICABLE: "不适用，按满分", Status.EXCLUDED: "不适用，不计分", Status.ADJUSTMENT: "加减分",
                Status.UNSEEN: "原表未见，得分未知"}


def score_page(result: Result) -> Page:
    """The whole score report: header with the total, the score tree, the deductions, 加减分 apart."""
    total = f"{total_score(result)} / {score(result, result.max)}"
    grade = ("等级", grade_text(result))
    header = (*identity(result), ("总分", total), grade)
    notice = inferred_notice(result)
    if notice:
        header += (("注意", notice),)
    found = result.deductions()
    lost = [d for d in found if d.points > 0]
    gained = [d for d in found if d.points < 0]
    sections = [*findings_section(result), _tree(result), *_tables(result), _deductions(result, lost)]
    if gained:
        sections.append(Section("加减分", entries=tuple(_entry(result, d, "加") for d in gained)))
    return Page("score", f"{result.department} {result.title}得分", header, tuple(sections), SIGNATURES)


def _tree(result: Result) -> Section:
    rows = []
    for node, depth in walk(result.indicators):
        lost = node.lost()
        note = STATUS_NOTES.get(node.status)
        rows.append(Row((f"{node_name(node)}（{note}）" if note else node_name(node), node.id, score(result, node.max),
                         node_score(result, node), score(result, lost) if lost else ""), depth))
    rows.append(Row(("总分", "", score(result, result.max), total_score(result), ""), 0, True))
    return Section("得分表", gap_lines(result), Table(("指标", "id", "分值", "得分", "扣分"), tuple(rows)))


def _tables(result: Result) -> tuple[Section, ...]:
    """Each table fact as a table (a blank cell is "—")."""
    return tuple(Section(f"表格事实：{t.name}" + (f"（单位：{t.unit}）" if t.unit else ""),
                         table=Table(("", *t.columns), tuple(Row(cells) for cells in t.shown())))
                 for t in result.tables)


def _deductions(result: Result, lost: list[Deduction]) -> Section:
    total = sum((d.points for d in lost), Decimal(0))
    heading = f"扣分明细（共 {len(lost)} 项，合计 {score(result, total)} 分）"
    if not lost:
        return Section(heading, ("无：各项指标均得满分。",))
    return Section(heading, entries=tuple(_entry(result, d, "扣") for d in lost))


def _entry(result: Result, d: Deduction, verb: str) -> Entry:
    names = {n.id: n.name for n in result.nodes()}
    item = f"（{d.item}）" if d.item else ""
    title = f"{path_text(d, names[d.indicator_id])}{item}（{d.indicator_id}）"
    badge = f"{verb} {score(result, abs(d.points))} 分"
    return Entry(title, badge, deduction_lines(d), (), "gain" if d.points < 0 else "lost")
