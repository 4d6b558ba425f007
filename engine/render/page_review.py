"""Review view → :class:`Page` (stage: render; pure).

The verdict, claimed vs computed for every indicator, then the differences by kind (与规则不符 with
the rule's trace, 表内算术 with the rows summed, 舍入差异 with both numbers) and the reviewer's
adjustments, apart from the rule result.
"""

from __future__ import annotations

from decimal import Decimal

from engine import decimals
from engine.claims import ClaimedScore
from engine.identity import forced_text
from engine.render.common import total_score
from engine.render.page import Entry, Page, Row, Section, Table, deduction_lines, identity, points, score
from engine.trace import Result
from engine.views.review import Review, signed
from engine.views.review_adjust import AppliedAdjustment
from engine.views.review_findings import ARITHMETIC, Finding, FindingKind, ReviewLine

__all__ = ["claimed_text", "computed_text", "review_page"]

KIND_TITLES = {FindingKind.SUM: "下级合计与填报不符", FindingKind.TOTAL: "各项合计与填报总分不符",
               FindingKind.ABOVE_MAX: "填报得分超过可得的最高分", FindingKind.BELOW_FLOOR: "填报得分低于可得的最低分"}
ADJUSTMENT_KINDS = {"deduct": "酌情扣分", "coefficient": "更正系数"}


def review_page(view: Review) -> Page:
    """The whole review as a page."""
    result = view.result
    sections = [_table(view), _rules(view), _arithmetic(view)]
    rounding = [f for f in view.findings if f.kind == FindingKind.ROUNDING]
    if rounding:
        sections.append(Section(f"舍入差异（{len(rounding)} 项，不计为差异）",
                                (_rounding_rule(view),), entries=tuple(_rule_entry(view, f) for f in rounding)))
    sections.append(_adjustments(view))
    return Page("review", f"{result.department} {result.title}：得分复核", _header(view), tuple(sections))


def claimed_text(result: Result, claim: ClaimedScore | None) -> str:
    """A claimed score as the form wrote it (at least the policy's display places)."""
    if claim is None:
        return "—"
    return decimals.fmt(claim.value, result.min_places, max(result.max_places, decimals.places_of(claim.value)))


def computed_text(result: Result, line: ReviewLine, value: Decimal | None = None) -> str:
    """A row's rule score (or ``value``, its adjusted score): ``未见`` for an unseen row, ``20 + 未见 10`` above one."""
    if line.unknown:
        return "未见"
    shown = score(result, line.computed if value is None else value)
    return f"{shown} + 未见 {score(result, line.unseen)}" if line.unseen else shown


def _where(claim: ClaimedScore) -> str:
    return f"{claim.location.file}:{claim.location.line}"


def _header(view: Review) -> tuple[tuple[str, str], ...]:
    result = view.result
    header = [*identity(result), ("结论", view.verdict),
              ("填报总分", claimed_text(result, view.claims.total) if view.claims.total else "未填报"),
              ("规则总分", f"{total_score(result)} / {score(result, result.max)}")]
    if view.adjustments:
        delta = view.adjusted_total - result.total
        adjusted = computed_text(result, view.lines[-1], view.adjusted_total)
        header.append(("复核调整后总分",
                       f"{adjusted}（复核调整 {len(view.adjustments)} 项，{signed(delta, result)} 分，另列）"))
    if view.forced:
        header.append(("身份", forced_text(view.forced)))
    return tuple(header)


def _table(view: Review) -> Section:
    result = view.result
    adjusted = bool(view.adjustments)
    columns = ("指标", "id", "分值", "填报", "规则得分", "差异", *(("复核调整后",) if adjusted else ()), "结论")
    rows = tuple(_row(result, line, adjusted) for line in view.lines)
    note = "填报：自评表上的得分；差异：填报 − 规则得分；“差异来自下级”：已在下级指标或表内算术中报告。"
    if result.unseen():
        note += ("“未见”：原表截断，该指标的分值计入总分值，规则得分未知，对其填报无法复核；"
                 "“+ 未见”：其下有未见指标，规则得分只含已见部分。")
    return Section("得分对照", (note,), Table(columns, rows))


def _row(result: Result, line: ReviewLine, adjusted: bool) -> Row:
    gap = "" if line.claimed is None else "—" if line.unseen else signed(line.claimed.value - line.computed, result)
    cells = (line.name, line.id or "", score(result, line.max) if line.max is not None else "—",
             claimed_text(result, line.claimed), computed_text(result, line), gap,
             *((computed_text(result, line, line.adjusted),) if adjusted else ()), line.status)
    return Row(cells, line.depth, line.claimed is not None and line.status not in ("", "一致", "已见部分一致"))


def _rules(view: Review) -> Section:
    found = [f for f in view.findings if f.kind == FindingKind.RULE]
    if not found:
        return Section("与规则不符", ("无：每个填报得分都与规则得分一致（或只有舍入差异）。",))
    return Section(f"与规则不符（{len(found)} 项）", entries=tuple(_rule_entry(view, f) for f in found))


def _label(finding: Finding) -> str:
    return "总分" if finding.indicator is None else f"{finding.name}（{finding.indicator}）"


def _rule_entry(view: Review, finding: Finding) -> Entry:
    result = view.result
    lines = [("填报", f"{claimed_text(result, finding.claimed)}（{_where(finding.claimed)}）"),
             ("规则得分", score(result, finding.expected))]
    if finding.explained:
        lines.append(("已在他处报告", f"{signed(finding.explained, result)} 分（下级指标的差异与表内算术）"))
    if finding.kind == FindingKind.ROUNDING:
        lines.append(("说明", f"规则得分 {score(result, finding.expected + finding.explained)} "
                             f"{decimals.ROUNDING_NAMES[view.rounding_mode]}保留 {finding.places} 位小数即为填报的 "
                             f"{claimed_text(result, finding.claimed)}"))
    else:
        side = "高于" if finding.difference > 0 else "低于"
        lines.append(("差异", f"{signed(finding.difference, result)} 分（填报{side}规则得分）"))
    if not finding.deductions:
        lines.append(("规则", "范围内规则均不扣分"))
    lines += [("满分项", f"{leaf.name}（{leaf.id}）{score(result, leaf.score)}：{leaf.computation or '得满分'}")
              for leaf in finding.full_marks]
    children = tuple(Entry(f"{' › '.join((*d.ancestors, _name(result, d.indicator_id)))}（{d.indicator_id}）"
                           + (f"（{d.item}）" if d.item else ""),
                           ("扣 " if d.points >= 0 else "加 ") + points(result, abs(d.points)),
                           deduction_lines(d), (), "lost" if d.points > 0 else "gain")
                     for d in finding.deductions)
    tone = "warn" if finding.kind == FindingKind.ROUNDING else "lost"
    badge = f"填报 {claimed_text(result, finding.claimed)} · 规则 {score(result, finding.expected)}"
    return Entry(_label(finding), badge, tuple(lines), children, tone)


def _name(result: Result, indicator_id: str) -> str:
    return result.node(indicator_id).name


def _rounding_rule(view: Review) -> str:
    mode = decimals.ROUNDING_NAMES[view.rounding_mode]
    return (f"填报得分等于规则得分按指标体系的舍入方式（{mode}）保留到自评表的小数位数（表中填报得分最多的小数位数，"
            f"本表为 {view.claims.places} 位）时，记为舍入差异，列出两个数，不计为差异。")


def _arithmetic(view: Review) -> Section:
    found = [f for f in view.findings if f.kind in ARITHMETIC]
    if not found:
        return Section("表内算术", ("无：填报的上级得分等于下级之和，总分等于各项之和，没有超过分值或为负的得分。",))
    return Section(f"表内算术（{len(found)} 项）", entries=tuple(_arithmetic_entry(view.result, f) for f in found))


def _arithmetic_entry(result: Result, finding: Finding) -> Entry:
    lines = [("填报", f"{claimed_text(result, finding.claimed)}（{_where(finding.claimed)}）")]
    if finding.parts:
        total = " + ".join(_value(result, p.value) for p in finding.parts)
        lines.append(("各项合计", f"{total} = {_value(result, sum((p.value for p in finding.parts), Decimal(0)))}"
                      + (f"，封顶 {score(result, finding.expected)}" if finding.expected
                         < sum((p.value for p in finding.parts), Decimal(0)) else "")))
        lines += [("其中", f"{p.name}（{p.id}）{_value(result, p.value)}"
                   + (f"（{_where(p.location)}）" if p.location else "（未填报，按其下级填报得分合计）"))
                  for p in finding.parts]
    if finding.bound is not None:
        bound = finding.bound
        extra = f"，加分上限 {_value(result, bound.bonus)}" if bound.bonus else ""
        lines.append(("可得范围", f"{_value(result, bound.floor)} 至 {_value(result, bound.ceiling)}"
                                 f"（分值 {score(result, bound.weight)}{extra}）"))
    lines.append(("差异", f"{signed(finding.difference, result)} 分"))
    return Entry(f"{_label(finding)}：{KIND_TITLES[finding.kind]}", f"{signed(finding.difference, result)} 分",
                 tuple(lines), (), "lost")


def _value(result: Result, value: Decimal) -> str:
    return decimals.fmt(value, result.min_places, max(result.max_places, decimals.places_of(value)))


def _adjustments(view: Review) -> Section:
    heading = "复核调整（复核人的判断，另列，不改变规则得分）"
    if not view.adjustments:
        return Section(heading, ("无复核调整。",))
    entries = tuple(_adjustment_entry(view.result, a) for a in view.adjustments)
    total = view.lines[-1]
    return Section(heading, (f"规则总分 {computed_text(view.result, total)}，复核调整后总分 "
                             f"{computed_text(view.result, total, view.adjusted_total)}。",), entries=entries)


def _adjustment_entry(result: Result, applied: AppliedAdjustment) -> Entry:
    a = applied.adjustment
    value = f"{decimals.fmt(a.value)}%" if a.kind == "coefficient" else f"{decimals.fmt(a.value)} 分"
    lines = (("类型", f"{ADJUSTMENT_KINDS[a.kind]} {value}（复核人判断，非规则扣分）"), ("理由", a.reason),
             ("复核人", a.reviewer), ("计算", applied.computation),
             ("得分", f"调整前 {_value(result, applied.before)} → 调整后 {_value(result, applied.after)}"),
             ("位置", str(a.location)))
    return Entry(f"{applied.name}（{a.indicator_id}）", f"{signed(applied.delta, result)} 分", lines, (), "warn")
