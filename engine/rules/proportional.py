"""Proportional rule (按比例): 得分 = 分值 × 事实 ÷ full_at, at most full marks (stage: rules)."""

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
from engine.rules.base import (
    NUMERIC,
    Compiling,
    Direction,
    FactRef,
    Fired,
    Kind,
    RuleBase,
    RulePlan,
    number,
    the_case,
    unit,
)
from engine.rules.checks import check_declared_unit, fact_unit
from engine.rules.inversion import Change, Known, Plain, change
from engine.scoring import Outcome, Part
from engine.trace import Deduction

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["KIND", "ProportionalPlan", "ProportionalRule", "proportional_outcome"]


class ProportionalRule(RuleBase):
    """得分 = 分值 × 事实 ÷ full_at, capped at full marks."""

    kind: Literal["proportional"] = Field(description="规则类型：proportional")
    fact: str = Field(description="比率事实（%）：得分 = 分值 × 事实 ÷ full_at，最高得满分")
    full_at: Decimal = Field(default=Decimal(100), gt=0, description="达到此值（默认 100%）得满分")
    unit: str | None = Field(default=None, description="事实的单位（写了就与事实声明核对）")


class Cases(Case):
    """At or above ``full_at`` (full marks), or below it (pro rata)."""

    FULL = "full", "满分"
    PARTIAL = "partial", "按比例计分"


_FULL = Cases.FULL  # bound once (engine.firing.conditions: _SEEN)


def proportional_outcome(weight: Decimal, value: Decimal, full_at: Decimal, full: bool, unit: str = "") -> Outcome:
    """得分 = 分值 × 值 ÷ 满分线, at most the weight.

    >>> proportional_outcome(Decimal(2), Decimal("84.48"), Decimal(100), False, "%").computation
    '2 × 84.48% ÷ 100% = 1.6896'
    >>> proportional_outcome(Decimal(2), Decimal(112), Decimal(100), True, "%").score
    Decimal('2')
    """
    if full:
        return Outcome(weight, f"{show(value)}{unit} ≥ {show(full_at)}{unit}，得满分 {show(weight)}")
    score = proportional_points(weight, value, full_at, full)
    text = f"{show(weight)} × {show(value)}{unit} ÷ {show(full_at)}{unit} = {show(score)}"
    return Outcome(score, text, (Part(weight - score, text, f"满分线 {show(full_at)}{unit}"),))


def proportional_points(weight: Decimal, value: Decimal, full_at: Decimal, full: bool) -> Decimal:
    """The score :func:`proportional_outcome` computes, without its computation.

    >>> proportional_points(Decimal(2), Decimal("84.48"), Decimal(100), False)
    Decimal('1.6896')
    """
    return weight if full else max(weight * value / full_at, Decimal(0))


@dataclass(frozen=True, slots=True)
class ProportionalPlan(RulePlan):
    """A proportional rule, planned: its fact and the value that earns full marks."""

    rule_id: str
    fact: str
    full_at: Decimal

    def probes(self) -> tuple[Probe, ...]:
        """Full from ``full_at`` (inclusive) up, partial below."""
        branches = (Branch.of(Cases.FULL, interval_tests("x", Interval(self.full_at, True, None, False))),
                    Branch.of(Cases.PARTIAL, interval_tests("x", Interval(None, False, self.full_at, False))))
        return (Probe(self.rule_id, self.rule_id, (Input("x", self.fact, "bounds"),), branches),)

    def reads(self) -> tuple[str, ...]:
        """The one fact."""
        return (self.fact,)

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """Full marks, or the weight in proportion to the value."""
        full = the_case(fired).case is _FULL
        return proportional_outcome(weight, number(facts, self.fact), self.full_at, full, unit(facts, self.fact))

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """:meth:`score`'s number alone."""
        full = the_case(fired).case is _FULL
        return proportional_points(weight, number(facts, self.fact), self.full_at, full)

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """Reach ``full_at``."""
        return change(facts, self.fact, self.full_at, "≥", deduction.points)

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """``full_at``."""
        yield self.fact, self.full_at

    def scalar(self) -> str | None:
        """The one fact."""
        return self.fact

    def expected(self, value: Decimal) -> str | None:
        """Full from ``full_at`` up."""
        return Cases.FULL if value >= self.full_at else Cases.PARTIAL

    def direction(self) -> Direction | None:
        """A higher value never scores less."""
        return "increasing"


class Proportional(Kind):
    """得分 = 执行率 × 分值，最高得满分."""

    name = "proportional"
    label = "按比例"
    model = ProportionalRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The fact, numeric."""
        assert isinstance(rule, ProportionalRule)
        yield FactRef(("fact",), rule.fact, NUMERIC)

    def plan(self, rule: RuleBase, ctx: Compiling) -> ProportionalPlan:
        """A fact not in % must say at which value it earns full marks."""
        assert isinstance(rule, ProportionalRule)
        check_declared_unit(ctx, rule.id, rule.fact, rule.unit)
        if "full_at" not in rule.model_fields_set and ctx.fact(rule.fact) is not None and \
                fact_unit(ctx, rule.fact) != "%":
            ctx.problem(ErrorCode.POLICY_UNIT, (),
                        f"按比例规则 {rule.id} 的事实「{rule.fact}」单位为「{fact_unit(ctx, rule.fact)}」而不是 %，"
                        f"请写明 full_at（得满分时的值）")
        return ProportionalPlan(rule.id, rule.fact, rule.full_at)


KIND = Proportional()
