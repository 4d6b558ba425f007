"""Judgement rule (评定): 得分 = 分值 × 评定系数, stated by the evaluator and checked against its tier (stage: rules).

The coefficient is not recomputed from facts: it is the evaluator's judgement. When the policy lists
tiers (等次) with coefficient ranges, the firing engine checks the stated coefficient lies in its tier.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from engine.decimals import fmt, show
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.firing.conditions import Branch, Case, Input, Probe, Test, complement_tests, interval_tests
from engine.intervals import Interval
from engine.rules.base import (
    Choice,
    Compiling,
    Direction,
    FactRef,
    Fired,
    Kind,
    Model,
    RuleBase,
    RulePlan,
    number,
    one,
    only,
)
from engine.rules.checks import check_repeats, fact_unit
from engine.rules.inversion import Change, Known, Plain
from engine.scoring import Outcome, Part
from engine.trace import Deduction

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["KIND", "JudgementPlan", "JudgementRule", "PlannedTier", "Tier", "judgement_outcome"]


class Tier(Model):
    """A judgement tier and the coefficient range (%) an evaluator may choose in it."""

    name: str
    range: str


class JudgementRule(RuleBase):
    """得分 = 分值 × 评定系数; the coefficient is stated, checked against its tier, not recomputed."""

    kind: Literal["judgement"]
    coefficient: str
    tier: str | None = None
    tiers: tuple[Tier, ...] = ()


class Cases(Case):
    """No tiers (stated), the coefficient within its tier *i*, or outside it (rejected)."""

    STATED = "stated", "评定系数"
    TIER = "tier", "等次"
    REJECT = "reject", "等次外的系数"


@dataclass(frozen=True, slots=True)
class PlannedTier:
    """A tier as compiled: its name, coefficient range (parsed once) and place in the policy."""

    name: str
    range: Interval
    location: SourceLocation


def judgement_outcome(weight: Decimal, coefficient: Decimal, tier: str | None, tier_range: Interval | None
                      ) -> Outcome:
    """得分 = 分值 × 评定系数: a stated judgement, checked against its tier, not recomputed.

    >>> judgement_outcome(Decimal(20), Decimal(85), None, None).computation
    '评定系数 85% × 分值 20 = 17（评价人判断，按填报采用）'
    """
    score = weight * coefficient / 100
    where = f"评定等次「{tier}」（系数区间 {tier_range.describe()}%），" if tier and tier_range else ""
    text = f"{where}评定系数 {show(coefficient)}% × 分值 {show(weight)} = {show(score)}（评价人判断，按填报采用）"
    parts = (Part(weight - score, text, str(tier_range) if tier_range else None, judgement=True),) \
        if score < weight else ()
    return Outcome(score, text, parts)


@dataclass(frozen=True, slots=True)
class JudgementPlan(RulePlan):
    """A judgement, planned: the coefficient fact, the tier fact and every tier located."""

    rule_id: str
    coefficient: str
    tier: str | None
    tiers: tuple[PlannedTier, ...]

    def probes(self) -> tuple[Probe, ...]:
        """Stated (no tiers), or per tier: the coefficient within its range or outside it."""
        inputs = (*((Input("tier", self.tier, "enum"),) if self.tier else ()), Input("c", self.coefficient, "bounds"))
        if not self.tiers:
            return (Probe(self.rule_id, self.rule_id, inputs, (Branch.of(Cases.STATED, ()),)),)
        branches: list[Branch] = []
        for i, tier in enumerate(self.tiers):
            same = Test("tier", "==", tier.name)
            branches.append(Branch.of(Cases.TIER, (same, *interval_tests("c", tier.range)), i))
            branches.append(Branch.of(Cases.REJECT, (same, complement_tests("c", tier.range)), i))
        return (Probe(self.rule_id, self.rule_id, inputs, tuple(branches)),)

    def reads(self) -> tuple[str, ...]:
        """The tier (if any), then the coefficient."""
        return (*((self.tier,) if self.tier else ()), self.coefficient)

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """分值 × 评定系数, once the coefficient is within its tier.

        Raises:
            JixiaoError: ``eval.judgement_range`` for a coefficient outside its tier's range.
        """
        branch = one(only(fired))
        coefficient = number(facts, self.coefficient)
        if branch.index is None:
            return judgement_outcome(weight, coefficient, None, None)
        tier = self.tiers[branch.index]
        if branch.case is Cases.REJECT:
            raise JixiaoError(ErrorCode.EVAL_JUDGEMENT_RANGE,
                              f"评定等次「{tier.name}」的系数应在 {tier.range.describe()}% 之间，"
                              f"填报的是 {fmt(coefficient)}%", facts.values[self.coefficient].location,
                              f"facts.{self.coefficient}")
        return judgement_outcome(weight, coefficient, tier.name, tier.range)

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """Not invertible: the evaluator judges; full marks need a coefficient of 100% (and its tier)."""
        top = next((t.name for t in self.tiers if t.range.contains(Decimal(100))), None)
        tier = f"，且评定等次为「{top}」" if top else ""
        return Plain(f"评价人判断：得分 = 分值 × 评定系数，由评价人评定，不能由事实推算；得满分需评定系数为 100%{tier}")

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """Both bounds of every tier's coefficient range."""
        for tier in self.tiers:
            yield from ((self.coefficient, v) for v in (tier.range.lo, tier.range.hi) if v is not None)

    def choices(self) -> tuple[Choice, ...]:
        """The tier, and the coefficient within that tier's range."""
        if self.tier is None or not self.tiers:
            return ()
        return (Choice(self.tier, self.coefficient, tuple((t.name, t.range) for t in self.tiers)),)

    def scalar(self) -> str | None:
        """None: a judgement is not decided by one number."""
        return None

    def expected(self, value: Decimal) -> str | None:
        """None: a judgement is not decided by one number."""
        return None

    def direction(self) -> Direction | None:
        """None: a judgement is not decided by one number."""
        return None


class Judgement(Kind):
    """按评定等次和评定系数计分：得分 = 分值 × 评定系数."""

    name = "judgement"
    label = "评定"
    model = JudgementRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The coefficient (decimal) and the tier (enum), if any."""
        assert isinstance(rule, JudgementRule)
        yield FactRef(("coefficient",), rule.coefficient, ("decimal",))
        if rule.tier:
            yield FactRef(("tier",), rule.tier, ("enum",))

    def plan(self, rule: RuleBase, ctx: Compiling) -> JudgementPlan | None:
        """Parse every tier's range once; tier names must differ; the coefficient must be in %."""
        assert isinstance(rule, JudgementRule)
        if ctx.fact(rule.coefficient) is not None and fact_unit(ctx, rule.coefficient) != "%":
            ctx.problem(ErrorCode.POLICY_UNIT, ("coefficient",),
                        f"评定规则 {rule.id} 的系数「{rule.coefficient}」单位应为 %")
        check_repeats(ctx, ((("tiers", i, "name"), t.name) for i, t in enumerate(rule.tiers)),
                      ErrorCode.POLICY_DUPLICATE_NAME, f"规则 {rule.id} 的评定档次")
        ranges = [ctx.interval(t.range, ("tiers", i, "range")) for i, t in enumerate(rule.tiers)]
        tiers = tuple(PlannedTier(t.name, r, ctx.locate(("tiers", i)))
                      for i, (t, r) in enumerate(zip(rule.tiers, ranges, strict=True)) if r is not None)
        if len(tiers) < len(rule.tiers):
            return None
        return JudgementPlan(rule.id, rule.coefficient, rule.tier, tiers)


KIND = Judgement()
