"""Pure scoring primitives: fired branch + exact facts → :class:`Outcome` (stage: evaluate).

The firing engine decides *which* branch of a rule holds; these functions compute *how many*
points with exact decimals and say how, with the numbers substituted. They never round:
the policy's rounding is applied per scored indicator by ``engine.evaluate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.decimals import show
from engine.facts import Target
from engine.intervals import Interval

__all__ = [
    "Outcome", "Part", "PerUnit", "adjustment", "bands", "checklist_item", "combine", "judgement",
    "per_unit", "proportional",
    "target",
]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Part:
    """One reason for lost points (negative: points gained by a bonus)."""

    points: Decimal
    computation: str
    threshold: str | None = None
    floored: bool = False
    capped: bool = False
    item: str | None = None
    wording: str | None = None
    judgement: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exact score of one rule, its computation and the reasons for every lost point."""

    score: Decimal
    computation: str
    parts: tuple[Part, ...] = ()


def _n(value: Decimal) -> str:
    return show(value)


def proportional(weight: Decimal, value: Decimal, full_at: Decimal, branch: str, unit: str = "") -> Outcome:
    """得分 = 分值 × 值 ÷ 满分线, at most the weight.

    >>> proportional(Decimal(2), Decimal("84.48"), Decimal(100), "partial", "%").computation
    '2 × 84.48% ÷ 100% = 1.6896'
    >>> proportional(Decimal(2), Decimal(112), Decimal(100), "full", "%").score
    Decimal('2')
    """
    if branch == "full":
        return Outcome(weight, f"{_n(value)}{unit} ≥ {_n(full_at)}{unit}，得满分 {_n(weight)}")
    score = max(weight * value / full_at, ZERO)
    text = f"{_n(weight)} × {_n(value)}{unit} ÷ {_n(full_at)}{unit} = {_n(score)}"
    return Outcome(score, text, (Part(weight - score, text, f"满分线 {_n(full_at)}{unit}"),))


@dataclass(frozen=True, slots=True)
class PerUnit:
    """Parameters of a per-point, step or per-count deduction."""

    threshold: Decimal
    above: bool
    points: Decimal
    per: Decimal
    counting: str
    floor: Decimal | None


def per_unit(weight: Decimal, value: Decimal, rule: PerUnit, branch: str, unit: str = "") -> Outcome:
    """分值 − 每单位扣分 × 超出单位数, not below the floor (扣完为止).

    >>> r = PerUnit(Decimal(100), False, Decimal("0.2"), Decimal(1), "fractional", Decimal(0))
    >>> per_unit(Decimal(5), Decimal("99.66"), r, "over", "%").computation
    '5 − 0.2 × (100% − 99.66%) = 4.932'
    >>> r = PerUnit(Decimal(100), False, Decimal(2), Decimal(5), "whole", Decimal(0))
    >>> per_unit(Decimal(8), Decimal("88.5"), r, "over", "%").computation
    '8 − 2 × ⌊(100% − 88.5%) ÷ 5%⌋ = 8 − 2 × 2 = 4'
    """
    side = "≤" if rule.above else "≥"
    if branch == "within":
        return Outcome(weight, f"{_n(value)}{unit} {side} {_n(rule.threshold)}{unit}，得满分 {_n(weight)}")
    gap = f"({_n(value)}{unit} − {_n(rule.threshold)}{unit})" if rule.above else \
        f"({_n(rule.threshold)}{unit} − {_n(value)}{unit})"
    excess = (value - rule.threshold) if rule.above else (rule.threshold - value)
    if rule.counting == "fractional":
        units = excess / rule.per
        count = gap if rule.per == 1 else f"{gap} ÷ {_n(rule.per)}{unit}"
        text = f"{_n(weight)} − {_n(rule.points)} × {count}"
    else:
        rounded = math.floor(excess / rule.per) if rule.counting == "whole" else math.ceil(excess / rule.per)
        units = Decimal(rounded)
        brackets = "⌊⌋" if rule.counting == "whole" else "⌈⌉"
        text = (f"{_n(weight)} − {_n(rule.points)} × {brackets[0]}{gap} ÷ {_n(rule.per)}{unit}{brackets[1]}"
                f" = {_n(weight)} − {_n(rule.points)} × {rounded}")
    raw = weight - rule.points * units
    threshold = f"{'超过' if rule.above else '低于'} {_n(rule.threshold)}{unit} 起扣"
    if branch == "zeroed" and rule.floor is not None:
        text += f" = {_n(raw)}，扣完为止，得 {_n(rule.floor)}"
        return Outcome(rule.floor, text, (Part(weight - rule.floor, text, threshold, floored=True),))
    text += f" = {_n(raw)}"
    return Outcome(raw, text, (Part(weight - raw, text, threshold),))


def bands(weight: Decimal, value: Decimal, interval: Interval, points: Decimal, label: str | None,
          unit: str = "") -> Outcome:
    """The points of the band (档次) that holds the value.

    >>> from engine.intervals import parse_interval
    >>> bands(Decimal(3), Decimal("84.29"), parse_interval("[80, 90)"), Decimal("1.5"), None, "%").computation
    '84.29% 属于档次 [80, 90)（80（含）至 90），得 1.5'
    """
    name = f"「{label}」" if label else ""
    text = f"{_n(value)}{unit} 属于档次{name} {interval}（{interval.describe()}），得 {_n(points)}"
    parts = (Part(weight - points, text, str(interval)),) if points < weight else ()
    return Outcome(points, text, parts)


def checklist_item(fact: str, points: Decimal, met: bool, item: str, wording: str) -> Outcome:
    """One checklist item: its points if its fact holds, else a deduction.

    >>> checklist_item("资产账实相符", Decimal(2), False, "a", "账实相符").computation
    '「资产账实相符」= 否，未得 2 分'
    """
    if met:
        return Outcome(points, f"「{fact}」= 是，得 {_n(points)} 分")
    text = f"「{fact}」= 否，未得 {_n(points)} 分"
    return Outcome(ZERO, text, (Part(points, text, "须为“是”", item=item, wording=wording),))


def judgement(weight: Decimal, coefficient: Decimal, tier: str | None, tier_range: Interval | None) -> Outcome:
    """得分 = 分值 × 评定系数: a stated judgement, checked against its tier, not recomputed.

    >>> judgement(Decimal(20), Decimal(85), None, None).computation
    '评定系数 85% × 分值 20 = 17（评价人判断，按填报采用）'
    """
    score = weight * coefficient / 100
    where = f"评定等次「{tier}」（系数区间 {tier_range.describe()}%），" if tier and tier_range else ""
    text = f"{where}评定系数 {_n(coefficient)}% × 分值 {_n(weight)} = {_n(score)}（评价人判断，按填报采用）"
    parts = (Part(weight - score, text, str(tier_range) if tier_range else None, judgement=True),) \
        if score < weight else ()
    return Outcome(score, text, parts)


def adjustment(value: Decimal, max_bonus: Decimal, max_penalty: Decimal, branch: str) -> Outcome:
    """加减分 within its caps; a gain is a negative deduction.

    >>> adjustment(Decimal("2.50"), Decimal(5), Decimal(5), "within").parts[0].points
    Decimal('-2.50')
    """
    score, capped = value, False
    text = f"加减分 {_n(value)}"
    if branch == "above_cap":
        score, capped = max_bonus, True
        text += f" 超过加分上限 {_n(max_bonus)}，按 {_n(max_bonus)} 计"
    elif branch == "below_floor":
        score, capped = -max_penalty, True
        text += f" 超过减分上限 {_n(max_penalty)}，按 −{_n(max_penalty)} 计"
    bounds = f"[−{_n(max_penalty)}, {_n(max_bonus)}]"
    parts = (Part(-score, text, bounds, capped=capped),) if score else ()
    return Outcome(score, text, parts)


def target(share: Decimal, item: Target, branch: str) -> Outcome:
    """One target worth ``share`` points: full if met, else pro rata (完成值与指标值的比例).

    >>> t = Target("论文", Decimal(200), Decimal(170), "higher", "篇", None)  # type: ignore[arg-type]
    >>> target(Decimal(10), t, "short").computation
    '「论文」完成 170篇 / 指标 200篇：10 × 170 ÷ 200 = 8.5'
    """
    unit = item.unit or ""
    head = f"「{item.name}」完成 {_n(item.actual)}{unit} / 指标 {_n(item.target)}{unit}"
    if branch in ("met", "met_lower"):
        return Outcome(share, f"{head}：已完成，得 {_n(share)}")
    if branch == "short":
        score = share * item.actual / item.target if item.target else share
        text = f"{head}：{_n(share)} × {_n(item.actual)} ÷ {_n(item.target)} = {_n(score)}"
    else:
        score = share * item.target / item.actual
        text = f"{head}（越低越好）：{_n(share)} × {_n(item.target)} ÷ {_n(item.actual)} = {_n(score)}"
    score = max(score, ZERO)
    return Outcome(score, text, (Part(share - score, text, f"指标值 {_n(item.target)}{unit}", item=item.name),))


def combine(outcomes: Sequence[Outcome], joiner: str = "；") -> Outcome:
    """Sum several outcomes (checklist items, targets) into one."""
    total = sum((o.score for o in outcomes), ZERO)
    parts = tuple(p for o in outcomes for p in o.parts)
    return Outcome(total, joiner.join(o.computation for o in outcomes) + f"；合计 {_n(total)}", parts)
