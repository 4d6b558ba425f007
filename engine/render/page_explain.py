"""Explain and recover views → :class:`Page` (stage: render; pure)."""

from __future__ import annotations

from decimal import Decimal

from engine.render.common import gap_lines, node_score, total_score
from engine.render.page import (
    Entry,
    Page,
    Row,
    Section,
    Table,
    deduction_lines,
    findings_section,
    identity,
    node_label,
    points,
    score,
    signed,
)
from engine.trace import Result
from engine.views.explain import Explanation, Fail, deduction_key
from engine.views.recover import Recovery, Suggestion

__all__ = ["explain_page", "recover_page"]


def explain_page(view: Explanation, recovery: Recovery | None = None) -> Page:
    """Why not full marks, as a page.

    The indicators below full marks, then each lost point (most first) with its ancestors, trace and,
    when ``recovery`` is given, its verified recover suggestion; 加减分 apart.
    """
    result = view.result
    suggestions = {deduction_key(s.fail.deduction): s for s in recovery.suggestions} if recovery else {}
    sections = [*findings_section(result), _below_full(view)]
    entries = tuple(_fail_entry(result, f, suggestions.get(deduction_key(f.deduction))) for f in view.fails)
    sections.append(Section("扣分（按扣分多少排序）", entries=entries) if entries
                    else Section("扣分", ("没有扣分：范围内各项指标均得满分。",)))
    if view.adjustments:
        sections.append(Section("加减分（另列，不计入扣分）",
                                entries=tuple(_fail_entry(result, f, None) for f in view.adjustments)))
    return Page("explain", f"{result.department} {result.title}：为什么没有得满分", _header(view), tuple(sections))


def recover_page(recovery: Recovery) -> Page:
    """What it would take to recover each deduction: one verified suggestion each, most points first."""
    view = recovery.explanation
    entries = tuple(
        Entry(_path(s.fail), f"扣 {points(view.result, s.fail.points)}", (("挽回", s.text), *_status(view.result, s)),
              _inputs(view.result, s), _tone(s))
        for s in recovery.suggestions)
    body = Section("挽回扣分的最小改动（按扣分多少排序）", entries=entries) if entries \
        else Section("挽回扣分", ("没有扣分，无需挽回。",))
    note = Section("说明", ("每条建议只改动一项事实，其余事实不变；验证“通过”表示按改动后的事实重新打分，"
                           "该指标确实挽回了所说的分数。",))
    return Page("recover", f"{view.result.department} {view.result.title}：挽回扣分", _header(view),
                (*findings_section(view.result), body, note))


def _header(view: Explanation) -> tuple[tuple[str, str], ...]:
    result = view.result
    bonus = -sum((f.points for f in view.adjustments), Decimal(0))
    summary = f"{total_score(result)} / {score(result, result.max)}；扣分 {points(result, view.lost)}" \
              f"（{len(view.fails)} 项）"
    if view.adjustments:
        summary += f"；加减分 {signed(result, bonus)}（另列）"
    scope = (("范围", node_label(view.scope) + " 及其下级指标"),) if view.scope else ()
    gaps = tuple(("分值说明", line) for line in gap_lines(result))
    return (*identity(result), ("总分", summary), *gaps, *scope)


def _below_full(view: Explanation) -> Section:
    result = view.result
    if not view.below_full:
        return Section("未得满分的指标", ("无：各项指标均得满分。",))
    rows = tuple(Row((node.name, node.id, score(result, node.max), node_score(result, node),
                      signed(result, node.score - (node.max or 0) + node.unscored())), depth)
                 for node, depth in view.below_full)
    base = min(depth for _, depth in view.below_full)
    rows = tuple(Row(r.cells, r.depth - base) for r in rows)
    return Section("未得满分的指标", table=Table(("指标", "id", "分值", "得分", "扣分"), rows))


def _path(fail: Fail) -> str:
    return " › ".join((*(n.name for n in fail.chain), fail.node.name)) + (f"（{fail.deduction.item}）"
                                                                          if fail.deduction.item else "")


def _fail_entry(result: Result, fail: Fail, suggestion: Suggestion | None) -> Entry:
    chain = " › ".join(f"{node_label(n)} {score(result, n.score)} / {score(result, n.max)}" for n in fail.chain)
    lines = [("上级", chain)] if chain else []
    lines += deduction_lines(fail.deduction)
    children: tuple[Entry, ...] = ()
    if suggestion is not None:
        lines += [("挽回", suggestion.text), *_status(result, suggestion)]
        children = _inputs(result, suggestion)
    gain = fail.points < 0
    badge = ("+" if gain else "−") + points(result, abs(fail.points))
    return Entry(f"{_path(fail)}（{fail.node.id}）", badge, tuple(lines), children, "gain" if gain else "lost")


def _status(result: Result, s: Suggestion, *, brief: bool = False) -> tuple[tuple[str, str], ...]:
    out = []
    if s.formula is not None and s.change is not None:
        out.append(("派生", f"{s.change.fact} = {s.formula}：须改变它的输入，单独改变一项即可（见下）"))
    if s.check is None:
        return (*out, ("验证", "未验证：不能由事实推算" if s.change is None else "未验证：重新计算未能完成"))
    moves = [f"{n.name} {score(result, n.before.score)} → {score(result, n.after.score)}"
             for n in reversed(s.check.changed) if n.before is not None and n.after is not None]
    total = f"总分 {score(result, s.check.total_before)} → {score(result, s.check.total_after)}"
    verdict = "通过" if s.verified else "未通过"
    return (*out, ("验证", f"{verdict}，重新计算：{'；'.join([*([] if brief else moves), total])}"))


def _inputs(result: Result, s: Suggestion) -> tuple[Entry, ...]:
    return tuple(Entry(i.text, "", _status(result, i, brief=True), (), _tone(i)) for i in s.inputs)


def _tone(s: Suggestion) -> str:
    if s.change is None:
        return "plain"
    return "ok" if s.verified else "warn"
