"""What-if and sweep views → :class:`Page` (stage: render; pure)."""

from __future__ import annotations

from decimal import Decimal

from engine import decimals
from engine.facts import FactValue
from engine.render.common import node_score, total_score, walk
from engine.render.page import (
    Chart,
    Entry,
    Page,
    Row,
    Section,
    Series,
    Table,
    deduction_lines,
    identity,
    points,
    score,
    signed,
)
from engine.trace import Result
from engine.views.explain import ChangeStatus, Comparison, DeductionChange
from engine.views.recover import value_text
from engine.views.whatif import FactChange, Sweep, WhatIf

__all__ = ["comparison_sections", "deduction_changes", "sweep_page", "whatif_page"]

STATUS = {ChangeStatus.APPEARED: "新增扣分", ChangeStatus.CHANGED: "扣分改变", ChangeStatus.VANISHED: "扣分消失"}


def whatif_page(view: WhatIf) -> Page:
    """A what-if as a page.

    The changed facts, the new score tree with the delta per indicator, and the deductions that
    appeared, changed or vanished.
    """
    before, after = view.before, view.after
    delta = signed(after, after.total - before.total)
    total = f"{total_score(before)} → {total_score(after)}（{delta}）"
    facts = Section("改动的事实", entries=tuple(_fact_entry(c) for c in view.facts))
    title = f"{before.department} {before.title}：如果事实不同（情景分析）"
    return Page("whatif", title, (*identity(before), ("总分", total)),
                (facts, *comparison_sections(view.comparison, "原得分", "新得分")))


def comparison_sections(comparison: Comparison, old: str, new: str) -> tuple[Section, ...]:
    """The whole score tree with old, new and delta columns, then the deduction changes."""
    before, after = comparison.before, comparison.after
    rows = [_tree_row(comparison, node.id, depth) for node, depth in walk(after.indicators)]
    rows += [Row((f"{n.name}（已删除）", n.id, node_score(before, n.before) if n.before else "—", "—", ""), n.depth)
             for n in comparison.nodes if n.after is None]
    rows.append(Row(("总分", "", total_score(before), total_score(after),
                     signed(after, after.total - before.total)), 0, True))
    table = Section("得分", ("标 ◀ 的指标得分有变化。",), Table(("指标", "id", old, new, "变化"), tuple(rows)))
    return table, deduction_changes(comparison)


def deduction_changes(comparison: Comparison) -> Section:
    """The deductions that appeared, changed or vanished, with their computations."""
    entries = tuple(_deduction_entry(comparison.after, c) for c in comparison.deductions)
    return Section("扣分变化", entries=entries) if entries else Section("扣分变化", ("没有扣分出现、改变或消失。",))


def _tree_row(comparison: Comparison, ident: str, depth: int) -> Row:
    change = next(n for n in comparison.nodes if n.id == ident)
    before, after = comparison.before, comparison.after
    old = node_score(before, change.before) if change.before else "（新增）"
    assert change.after is not None
    delta = signed(after, change.delta) if change.delta else ""
    return Row((change.name, ident, old, node_score(after, change.after), delta), depth, bool(change.delta))


def _fact_entry(change: FactChange) -> Entry:
    lines = [("原值", _fact(change.before)), ("新值", _fact(change.after))]
    if change.derived and change.after is not None and change.after.derivation:
        lines.append(("计算", change.after.derivation))
    title = f"{change.name}（派生事实，由公式重算）" if change.derived else change.name
    return Entry(title, "", tuple(lines))


def _fact(value: FactValue | None) -> str:
    if value is None:
        return "（无）"
    where = f"（{value.location.file}:{value.location.line}）" if value.location else ""
    shown = value.value
    if isinstance(shown, bool):
        text = "是" if shown else "否"
    elif isinstance(shown, Decimal):
        text = value_text(shown, value.unit)
    elif isinstance(shown, tuple):
        text = f"{len(shown)} 项目标"
    else:
        text = str(shown)
    return text + where


def _deduction_entry(result: Result, change: DeductionChange) -> Entry:
    d = change.deduction
    path = " › ".join((*d.ancestors, change.name)) + (f"（{d.item}）" if d.item else "")
    old = points(result, change.before.points) if change.before else "0"
    new = points(result, change.after.points) if change.after else "0"
    lines: list[tuple[str, str]] = [("扣分", f"{old} → {new}")]
    if change.before is not None and change.after is not None:
        lines += [("原计算", change.before.computation), ("新计算", change.after.computation)]
        if change.before.rule_id != change.after.rule_id:
            lines.append(("规则", f"{change.before.rule_id} → {change.after.rule_id}：{change.after.wording}"))
    else:
        lines += [(label if change.after else f"原{label}", text) for label, text in deduction_lines(d)
                  if label in ("规则", "事实", "计算")]
    tone = "gain" if change.status == ChangeStatus.VANISHED or (
        change.before and change.after and change.after.points < change.before.points) else "lost"
    return Entry(f"{STATUS[change.status]}：{path}（{d.indicator_id}）", "", tuple(lines), (), tone)


# -- sweep -----------------------------------------------------------------------------------
def sweep_page(view: Sweep) -> Page:
    """Scores of the affected indicators and the total against one fact: a table, and a chart in HTML."""
    result, spec = view.base, view.spec
    unit = view.unit or ""
    span = (f"{value_text(spec.start, view.unit)} 至 {value_text(spec.stop, view.unit)}，"
            f"步长 {decimals.fmt(spec.step)}{unit if unit == '%' else ''}")
    if view.current is not None:
        span += f"；另加现值 {value_text(view.current, view.unit)}（表中标 ◀）"
    header = [*identity(result), ("取值", span)]
    if view.overrides:
        header.append(("前提", "；".join(o.text for o in view.overrides)))
    columns = (f"{spec.name}（{unit}）" if unit else spec.name,
               *(f"{c.name}（{c.id}）" for c in view.columns), "总分")
    rows = tuple(Row((decimals.fmt(p.value), *(score(result, s) for s in p.scores), score(result, p.total)), 0,
                     p.is_current) for p in view.points)
    legend = "、".join(f"{c.name}（{c.id}，分值 {score(result, c.max)}）" for c in view.columns)
    table = Section("得分随事实变化", (f"受影响的指标：{legend}。",), Table(columns, rows), chart=_chart(view))
    return Page("sweep", f"{result.department} {result.title}：得分随「{spec.name}」的变化", tuple(header), (table,))


def _chart(view: Sweep) -> Chart:
    series = [Series(f"{c.name}（{c.id}）", tuple((p.value, p.scores[i]) for p in view.points), c.max)
              for i, c in enumerate(view.columns)]
    series.append(Series("总分", tuple((p.value, p.total) for p in view.points), None))
    label = f"现值 {value_text(view.current, view.unit)}" if view.current is not None else ""
    unit = f"（{view.unit}）" if view.unit else ""
    return Chart(f"{view.spec.name}{unit}", tuple(series), view.current, label)
