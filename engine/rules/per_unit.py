"""Per-unit deductions, shared by per_point, step and per_count: 每超过/低于…扣…分，扣完为止 (stage: rules).

One plan serves the three kinds: a threshold, a side, points per unit (``per``), how partial units
count, and a floor (扣完为止). The firing engine decides whether the value is within the threshold,
over it, or past the point where the floor is reached; the points are computed here with ``Decimal``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from engine.decimals import fmt, show
from engine.errors import ErrorCode
from engine.firing.conditions import Branch, Case, Input, Probe, interval_tests
from engine.intervals import Interval, gaps
from engine.rules.base import Compiling, Direction, Fired, RulePlan, number, the_case, unit
from engine.rules.checks import check_points, fact_interval
from engine.rules.inversion import Change, Known, Plain, change
from engine.scoring import Outcome, Part
from engine.trace import Deduction

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["Cases", "PerUnit", "PerUnitPlan", "per_unit", "plan_per_unit"]

Counting = Literal["fractional", "whole", "partial"]


class Cases(Case):
    """Within the threshold, over it (points lost per unit), or at the floor."""

    WITHIN = "within", "未超阈值"
    OVER = "over", "超出阈值扣分"
    ZEROED = "zeroed", "扣完为止"


_WITHIN, _ZEROED = Cases.WITHIN, Cases.ZEROED  # bound once (engine.firing.conditions: _SEEN)


@dataclass(frozen=True, slots=True)
class PerUnit:
    """Parameters of a per-point, step or per-count deduction."""

    fact: str
    threshold: Decimal
    above: bool
    points: Decimal
    per: Decimal
    counting: Counting
    floor: Decimal | None
    exact: bool = False  # the fact compared (and counted) unrounded: ``compare: exact``


def zero_excess(weight: Decimal | None, params: PerUnit, counting: Counting) -> Decimal | None:
    """How far past the threshold the score reaches its floor (扣完为止), if it has one.

    >>> p = PerUnit("x", Decimal(100), False, Decimal(2), Decimal(5), "whole", Decimal(0))
    >>> zero_excess(Decimal(8), p, "whole"), zero_excess(Decimal(8), p, "partial")
    (Decimal('20'), Decimal('15'))
    """
    if params.floor is None or weight is None:
        return None
    units = (weight - params.floor) / params.points
    if counting == "fractional":
        return units * params.per
    steps = Decimal(math.ceil(units))
    return steps * params.per if counting == "whole" else max(steps - 1, Decimal(0)) * params.per


def per_unit(weight: Decimal, value: Decimal, rule: PerUnit, case: Case, unit: str = "") -> Outcome:
    """分值 − 每单位扣分 × 超出单位数, not below the floor (扣完为止).

    >>> r = PerUnit("x", Decimal(100), False, Decimal("0.2"), Decimal(1), "fractional", Decimal(0))
    >>> per_unit(Decimal(5), Decimal("99.66"), r, Cases.OVER, "%").computation
    '5 − 0.2 × (100% − 99.66%) = 4.932'
    >>> r = PerUnit("x", Decimal(100), False, Decimal(2), Decimal(5), "whole", Decimal(0))
    >>> per_unit(Decimal(8), Decimal("88.5"), r, Cases.OVER, "%").computation
    '8 − 2 × ⌊(100% − 88.5%) ÷ 5%⌋ = 8 − 2 × 2 = 4'
    """
    side = "≤" if rule.above else "≥"
    if case is _WITHIN:
        return Outcome(weight, f"{show(value)}{unit} {side} {show(rule.threshold)}{unit}，得满分 {show(weight)}")
    gap = f"({show(value)}{unit} − {show(rule.threshold)}{unit})" if rule.above else \
        f"({show(rule.threshold)}{unit} − {show(value)}{unit})"
    units = _units(value, rule)
    if rule.counting == "fractional":
        count = gap if rule.per == 1 else f"{gap} ÷ {show(rule.per)}{unit}"
        text = f"{show(weight)} − {show(rule.points)} × {count}"
    else:
        brackets = "⌊⌋" if rule.counting == "whole" else "⌈⌉"
        text = (f"{show(weight)} − {show(rule.points)} × {brackets[0]}{gap} ÷ {show(rule.per)}{unit}{brackets[1]}"
                f" = {show(weight)} − {show(rule.points)} × {units}")
    raw = weight - rule.points * units
    threshold = f"{'超过' if rule.above else '低于'} {show(rule.threshold)}{unit} 起扣"
    if case is _ZEROED and rule.floor is not None:
        text += f" = {show(raw)}，扣完为止，得 {show(rule.floor)}"
        return Outcome(rule.floor, text, (Part(weight - rule.floor, text, threshold, floored=True),))
    text += f" = {show(raw)}"
    return Outcome(raw, text, (Part(weight - raw, text, threshold),))


def per_unit_points(weight: Decimal, value: Decimal, rule: PerUnit, case: Case) -> Decimal:
    """The score :func:`per_unit` computes, without its computation.

    >>> r = PerUnit("x", Decimal(100), False, Decimal("0.2"), Decimal(1), "fractional", Decimal(0))
    >>> per_unit_points(Decimal(5), Decimal("99.66"), r, Cases.OVER)
    Decimal('4.932')
    """
    if case is _WITHIN:
        return weight
    if case is _ZEROED and rule.floor is not None:
        return rule.floor
    return weight - rule.points * _units(value, rule)


def _units(value: Decimal, rule: PerUnit) -> Decimal:
    """How many units past the threshold count: all of them, whole ones only (⌊⌋) or every begun one (⌈⌉)."""
    excess = (value - rule.threshold) if rule.above else (rule.threshold - value)
    if rule.counting == "fractional":
        return excess / rule.per
    return Decimal(math.floor(excess / rule.per) if rule.counting == "whole" else math.ceil(excess / rule.per))


@dataclass(frozen=True, slots=True)
class PerUnitPlan(RulePlan):
    """A per-unit rule, planned: its parameters and where its floor is reached."""

    rule_id: str
    params: PerUnit
    zero_at: Decimal | None

    def zone(self) -> Interval | None:
        """The values at which the floor is reached."""
        p = self.params
        if self.zero_at is None:
            return None
        closed = p.counting != "partial"
        edge = p.threshold + self.zero_at if p.above else p.threshold - self.zero_at
        return Interval(edge, closed, None, False) if p.above else Interval(None, False, edge, closed)

    def probes(self) -> tuple[Probe, ...]:
        """Within, over (each piece between the threshold and the floor) and zeroed."""
        p, zero = self.params, self.zone()
        within = Interval(None, False, p.threshold, True) if p.above else Interval(p.threshold, True, None, False)
        outside = gaps([within]) if zero is None else gaps([within, zero])
        branches = [Branch.of(Cases.WITHIN, interval_tests("x", within))]
        branches += [Branch.of(Cases.OVER, interval_tests("x", iv)) for iv in outside]
        branches += [Branch.of(Cases.ZEROED, interval_tests("x", zero))] if zero is not None else []
        return (Probe(self.rule_id, self.rule_id, (Input("x", p.fact, "bounds", exact=p.exact),), tuple(branches)),)

    def reads(self) -> tuple[str, ...]:
        """The one fact."""
        return (self.params.fact,)

    def exact_facts(self) -> tuple[str, ...]:
        """The fact, when the rule compares it unrounded."""
        return (self.params.fact,) if self.params.exact else ()

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """Full marks within the threshold, else points per unit past it, down to the floor."""
        case = the_case(fired).case
        assert case is not None
        fact = self.params.fact
        return per_unit(weight, number(facts, fact), self.params, case, unit(facts, fact))

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """:meth:`score`'s number alone."""
        case = the_case(fired).case
        assert case is not None
        return per_unit_points(weight, number(facts, self.params.fact), self.params, case)

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """Reach the threshold, or stay within one step when only whole steps count."""
        p = self.params
        if p.counting == "whole":  # whole steps only: anything short of one step costs nothing
            bound = p.threshold + p.per if p.above else p.threshold - p.per
            return change(facts, p.fact, bound, "<" if p.above else ">", deduction.points)
        return change(facts, p.fact, p.threshold, "≤" if p.above else "≥", deduction.points)

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """The threshold and the value at which the floor is reached."""
        p = self.params
        yield p.fact, p.threshold
        if self.zero_at is not None:
            yield p.fact, p.threshold + self.zero_at if p.above else p.threshold - self.zero_at

    def scalar(self) -> str | None:
        """The one fact."""
        return self.params.fact

    def expected(self, value: Decimal) -> str | None:
        """Within when not past the threshold; zeroed once the excess reaches :attr:`zero_at`."""
        p = self.params
        excess = value - p.threshold if p.above else p.threshold - value
        if excess <= 0:
            return Cases.WITHIN
        if self.zero_at is None:
            return Cases.OVER
        reached = excess > self.zero_at if p.counting == "partial" else excess >= self.zero_at
        return Cases.ZEROED if reached else Cases.OVER

    def direction(self) -> Direction | None:
        """More excess never scores more."""
        return "decreasing" if self.params.above else "increasing"


def plan_per_unit(ctx: Compiling, rule_id: str, params: PerUnit, zero_counting: Counting) -> PerUnitPlan:
    """Check a per-unit rule's floor and threshold against its fact's range, and plan it."""
    if params.floor is not None:
        check_points(ctx, rule_id, [(("floor",), params.floor)])
    spec = ctx.fact(params.fact)
    if ctx.weight is not None and spec is not None:
        _check_reach(ctx, rule_id, params, fact_interval(spec), ctx.weight)
    return PerUnitPlan(rule_id, params, zero_excess(ctx.weight, params, zero_counting))


def _check_reach(ctx: Compiling, rule_id: str, p: PerUnit, within: Interval, weight: Decimal) -> None:
    above = p.above
    reach = p.threshold + weight / p.points * p.per if above else p.threshold - weight / p.points * p.per
    extreme = within.hi if above else within.lo
    if p.floor is None and (extreme is None or (extreme > reach if above else extreme < reach)):
        witness = reach + p.per if above else reach - p.per
        ctx.problem(ErrorCode.POLICY_NO_FLOOR, ("floor",),
                    f"规则 {rule_id} 没有保底（扣完为止），值为 {fmt(witness)} 时得分为负")
    if extreme is not None and (extreme <= p.threshold if above else extreme >= p.threshold):
        ctx.problem(ErrorCode.POLICY_UNREACHABLE, ("threshold",),
                    f"规则 {rule_id} 的阈值 {fmt(p.threshold)} 在取值范围 {within} 之外，永远不会扣分")
