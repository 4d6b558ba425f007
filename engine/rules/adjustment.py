"""Adjustment rule (加减分): a bonus or penalty outside the weighted tree, capped both ways (stage: rules)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine.decimals import show
from engine.errors import ErrorCode
from engine.firing.conditions import Branch, Case, Input, Probe, interval_tests
from engine.intervals import Interval
from engine.rules.base import Compiling, Direction, FactRef, Fired, Kind, RuleBase, RulePlan, number, the_case
from engine.rules.checks import fact_unit
from engine.rules.inversion import Change, Known, Plain
from engine.scoring import Outcome, Part
from engine.trace import Deduction

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["KIND", "AdjustmentPlan", "AdjustmentRule", "adjustment_outcome"]


class AdjustmentRule(RuleBase):
    """加减分 outside the weighted tree, capped both ways."""

    kind: Literal["adjustment"] = Field(description="规则类型：adjustment")
    fact: str = Field(description="加减分事实（单位 分，正数加分、负数减分）")
    max_bonus: Decimal = Field(ge=0, description="加分上限（分）")
    max_penalty: Decimal = Field(ge=0, description="减分上限（分，写正数）")


class Cases(Case):
    """Within both caps, above the bonus cap, or below the penalty cap."""

    WITHIN = "within", "未超阈值"
    ABOVE_CAP = "above_cap", "超过加分上限"
    BELOW_FLOOR = "below_floor", "超过减分上限"


# bound once (engine.firing.conditions: _SEEN)
_WITHIN, _ABOVE_CAP, _BELOW_FLOOR = Cases.WITHIN, Cases.ABOVE_CAP, Cases.BELOW_FLOOR


def adjustment_outcome(value: Decimal, max_bonus: Decimal, max_penalty: Decimal, case: Case) -> Outcome:
    """加减分 within its caps; a gain is a negative deduction.

    >>> adjustment_outcome(Decimal("2.50"), Decimal(5), Decimal(5), Cases.WITHIN).parts[0].points
    Decimal('-2.50')
    """
    score, capped = adjustment_points(value, max_bonus, max_penalty, case), case is not _WITHIN
    text = f"加减分 {show(value)}"
    if case is _ABOVE_CAP:
        text += f" 超过加分上限 {show(max_bonus)}，按 {show(max_bonus)} 计"
    elif case is _BELOW_FLOOR:
        text += f" 超过减分上限 {show(max_penalty)}，按 −{show(max_penalty)} 计"
    bounds = f"[−{show(max_penalty)}, {show(max_bonus)}]"
    parts = (Part(-score, text, bounds, capped=capped),) if score else ()
    return Outcome(score, text, parts)


def adjustment_points(value: Decimal, max_bonus: Decimal, max_penalty: Decimal, case: Case) -> Decimal:
    """The stated points, or the cap they pass.

    >>> adjustment_points(Decimal(7), Decimal(5), Decimal(5), Cases.ABOVE_CAP)
    Decimal('5')
    """
    if case is _ABOVE_CAP:
        return max_bonus
    return -max_penalty if case is _BELOW_FLOOR else value


@dataclass(frozen=True, slots=True)
class AdjustmentPlan(RulePlan):
    """An adjustment, planned: its fact and both caps."""

    rule_id: str
    fact: str
    max_bonus: Decimal
    max_penalty: Decimal

    def probes(self) -> tuple[Probe, ...]:
        """Within [−penalty, bonus], above the bonus cap, below the penalty cap."""
        lo, hi = -self.max_penalty, self.max_bonus
        branches = (Branch.of(Cases.WITHIN, interval_tests("x", Interval(lo, True, hi, True))),
                    Branch.of(Cases.ABOVE_CAP, interval_tests("x", Interval(hi, False, None, False))),
                    Branch.of(Cases.BELOW_FLOOR, interval_tests("x", Interval(None, False, lo, False))))
        return (Probe(self.rule_id, self.rule_id, (Input("x", self.fact, "bounds"),), branches),)

    def reads(self) -> tuple[str, ...]:
        """The one fact."""
        return (self.fact,)

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """The stated points, capped."""
        case = the_case(fired).case
        assert case is not None
        return adjustment_outcome(number(facts, self.fact), self.max_bonus, self.max_penalty, case)

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """:meth:`score`'s number alone."""
        case = the_case(fired).case
        assert case is not None
        return adjustment_points(number(facts, self.fact), self.max_bonus, self.max_penalty, case)

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """Not invertible: a bonus or penalty is stated, not lost."""
        return Plain("该项规则不能由事实反推")

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """Both caps."""
        yield self.fact, self.max_bonus
        yield self.fact, -self.max_penalty

    def scalar(self) -> str | None:
        """The one fact."""
        return self.fact

    def expected(self, value: Decimal) -> str | None:
        """Above the bonus cap, below the penalty cap, or within."""
        if value > self.max_bonus:
            return Cases.ABOVE_CAP
        return Cases.BELOW_FLOOR if value < -self.max_penalty else Cases.WITHIN

    def direction(self) -> Direction | None:
        """More points never score less."""
        return "increasing"


class Adjustment(Kind):
    """加分、减分项：在总分之外，上下封顶."""

    name = "adjustment"
    label = "加减分"
    model = AdjustmentRule
    cases = Cases
    adjusts_total = True

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The points, a decimal."""
        assert isinstance(rule, AdjustmentRule)
        yield FactRef(("fact",), rule.fact, ("decimal",))

    def plan(self, rule: RuleBase, ctx: Compiling) -> AdjustmentPlan:
        """The fact must be in 分."""
        assert isinstance(rule, AdjustmentRule)
        if ctx.fact(rule.fact) is not None and fact_unit(ctx, rule.fact) != "分":
            ctx.problem(ErrorCode.POLICY_UNIT, ("fact",), f"加减分规则 {rule.id} 的事实「{rule.fact}」单位应为「分」")
        return AdjustmentPlan(rule.id, rule.fact, rule.max_bonus, rule.max_penalty)


KIND = Adjustment()
