"""Judgement rule (评定): 得分 = 分值 × 评定系数, stated by the evaluator and checked against its tier (stage: rules).

The coefficient is not recomputed from facts: it is the evaluator's judgement. When the policy lists
tiers (等次) with coefficient ranges, the firing engine checks the stated coefficient lies in its tier.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from engine.decimals import fmt, show
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.firing.conditions import Branch, Case, Input, Probe, Test, complement_tests, interval_tests
from engine.intervals import Interval
from engine.rules.base import (
    NUMERIC,
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
    the_case,
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

    name: str = Field(description="等次名称（与等次事实的取值一致）")
    range: str = Field(description="该等次允许的系数区间（%，如 [60, 80]）；用 points 时为分值的百分比")


class JudgementRule(RuleBase):
    """得分 = 分值 × 评定系数 (``coefficient``), or the evaluator's points (``points``) directly.

    Either is stated, checked against its tier (a coefficient range in % of the weight), not recomputed.
    """

    kind: Literal["judgement"] = Field(description="规则类型：judgement")
    coefficient: str | None = Field(
        default=None,
        description="评定系数事实（%）：得分 = 分值 × 系数（与 points 二选一）")
    points: str | None = Field(default=None, description="评价人给出的得分事实（分，与 coefficient 二选一）")
    tier: str | None = Field(default=None, description="评定等次事实（枚举）")
    tiers: tuple[Tier, ...] = Field(default=(), description="各等次及其系数区间：填报的系数必须在所选等次的区间内")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    coefficient_label: str = Field(
        default="评定系数", exclude_if=lambda v: v == "评定系数",
        description="系数在计算、解释和报告中的名称：评定系数（默认）或重庆式的得分系数等")

    @model_validator(mode="after")
    def _coefficient_or_points(self) -> JudgementRule:
        if (self.coefficient is None) == (self.points is None):
            raise ValueError("评定规则须二选一：coefficient（评定系数，%）或 points（评价人给出的得分）")
        return self


class Cases(Case):
    """No tiers (stated), the coefficient within its tier *i*, or outside it (rejected)."""

    STATED = "stated", "评定系数"
    TIER = "tier", "等次"
    REJECT = "reject", "等次外的系数"


_REJECT = Cases.REJECT  # bound once (engine.firing.conditions: _SEEN)


@dataclass(frozen=True, slots=True)
class PlannedTier:
    """A tier as compiled: its name, coefficient range (parsed once) and place in the policy."""

    name: str
    range: Interval
    location: SourceLocation


def judgement_outcome(weight: Decimal, coefficient: Decimal, tier: str | None, tier_range: Interval | None,
                      labels: tuple[str, str] = ("评定系数", "评定等次")) -> Outcome:
    """得分 = 分值 × 评定系数: a stated judgement, checked against its tier, not recomputed.

    ``labels``: the policy's words for the coefficient and the tier (``policy.labels``).

    >>> judgement_outcome(Decimal(20), Decimal(85), None, None).computation
    '评定系数 85% × 分值 20 = 17（评价人判断，按填报采用）'
    >>> judgement_outcome(Decimal(20), Decimal(85), None, None, ("得分系数", "评价等级")).computation
    '得分系数 85% × 分值 20 = 17（评价人判断，按填报采用）'
    """
    score = weight * coefficient / 100
    where = f"{labels[1]}「{tier}」（系数区间 {tier_range.describe()}%），" if tier and tier_range else ""
    text = f"{where}{labels[0]} {show(coefficient)}% × 分值 {show(weight)} = {show(score)}（评价人判断，按填报采用）"
    parts = (Part(weight - score, text, str(tier_range) if tier_range else None, judgement=True),) \
        if score < weight else ()
    return Outcome(score, text, parts)


def points_outcome(weight: Decimal, points: Decimal, tier: str | None, points_range: Interval | None,
                   tier_label: str = "评定等次") -> Outcome:
    """The evaluator's points, accepted as stated (within the tier's range, which the firing engine checked).

    >>> points_outcome(Decimal(10), Decimal(7), None, None).computation
    '评价人给出得分 7（分值 10，评价人判断，按填报采用）'
    """
    where = f"{tier_label}「{tier}」（得分区间 {points_range.describe()}），" if tier and points_range else ""
    text = f"{where}评价人给出得分 {show(points)}（分值 {show(weight)}，评价人判断，按填报采用）"
    parts = (Part(weight - points, text, str(points_range) if points_range else None, judgement=True),) \
        if points < weight else ()
    return Outcome(points, text, parts)


@dataclass(frozen=True, slots=True)
class JudgementPlan(RulePlan):
    """A judgement, planned: the coefficient fact, the tier fact and every tier located."""

    rule_id: str
    coefficient: str
    tier: str | None
    tiers: tuple[PlannedTier, ...]
    weight: Decimal | None = None  # set when ``coefficient`` names the evaluator's points, not a %
    labels: tuple[str, str] = ("评定系数", "评定等次")  # the policy's words for them (``policy.labels``)

    def _range(self, tier: PlannedTier) -> Interval:
        """The tier's range on the stated fact: in %, or in points of the weight."""
        return tier.range if self.weight is None else tier.range.scaled(self.weight / 100)

    def probes(self) -> tuple[Probe, ...]:
        """Stated (no tiers), or per tier: the coefficient within its range or outside it."""
        inputs = (*((Input("tier", self.tier, "enum"),) if self.tier else ()), Input("c", self.coefficient, "bounds"))
        if not self.tiers:
            return (Probe(self.rule_id, self.rule_id, inputs, (Branch.of(Cases.STATED, ()),)),)
        branches: list[Branch] = []
        for i, tier in enumerate(self.tiers):
            same = Test("tier", "==", tier.name)
            branches.append(Branch.of(Cases.TIER, (same, *interval_tests("c", self._range(tier))), i))
            branches.append(Branch.of(Cases.REJECT, (same, complement_tests("c", self._range(tier))), i))
        return (Probe(self.rule_id, self.rule_id, inputs, tuple(branches)),)

    def reads(self) -> tuple[str, ...]:
        """The tier (if any), then the coefficient."""
        return (*((self.tier,) if self.tier else ()), self.coefficient)

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """分值 × 评定系数, once the coefficient is within its tier.

        Raises:
            JixiaoError: ``eval.judgement_range`` for a coefficient outside its tier's range.
        """
        branch = the_case(fired)
        stated = number(facts, self.coefficient)
        tier = self.tiers[branch.index] if branch.index is not None else None
        if tier is not None and branch.case is _REJECT:
            allowed = (f"系数应在 {tier.range.describe()}% 之间，填报的是 {fmt(stated)}%" if self.weight is None else
                       f"得分应在 {self._range(tier).describe()} 分之间（分值 {fmt(self.weight)} 的 "
                       f"{tier.range.describe()}%），填报的是 {fmt(stated)} 分")
            raise JixiaoError(ErrorCode.EVAL_JUDGEMENT_RANGE, f"{self.labels[1]}「{tier.name}」的{allowed}",
                              facts.values[self.coefficient].location, f"facts.{self.coefficient}")
        if self.weight is not None:
            return points_outcome(weight, stated, tier.name if tier else None, self._range(tier) if tier else None,
                                  self.labels[1])
        return judgement_outcome(weight, stated, tier.name if tier else None, tier.range if tier else None,
                                 self.labels)

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """Not invertible: the evaluator judges; full marks need a coefficient of 100% (and its tier)."""
        top = next((t.name for t in self.tiers if t.range.contains(Decimal(100))), None)
        coefficient, tier_label = self.labels
        tier = f"，且{tier_label}为「{top}」" if top else ""
        if self.weight is not None:  # the evaluator's points, stated directly
            return Plain(f"评价人判断：得分由评价人给出，不能由事实推算；得满分需评价人给出的得分等于分值{tier}")
        return Plain(f"评价人判断：得分 = 分值 × {coefficient}，由评价人评定，不能由事实推算；"
                     f"得满分需{coefficient}为 100%{tier}")

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """Both bounds of every tier's coefficient range."""
        for tier in self.tiers:
            bounds = self._range(tier)
            yield from ((self.coefficient, v) for v in (bounds.lo, bounds.hi) if v is not None)

    def choices(self) -> tuple[Choice, ...]:
        """The tier, and the coefficient within that tier's range."""
        if self.tier is None or not self.tiers:
            return ()
        return (Choice(self.tier, self.coefficient, tuple((t.name, self._range(t)) for t in self.tiers)),)

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
        """The coefficient or the points (decimal) and the tier (enum), if any."""
        assert isinstance(rule, JudgementRule)
        if rule.coefficient is not None:
            yield FactRef(("coefficient",), rule.coefficient, ("decimal",))
        if rule.points is not None:
            yield FactRef(("points",), rule.points, NUMERIC)
        if rule.tier:
            yield FactRef(("tier",), rule.tier, ("enum",))

    def plan(self, rule: RuleBase, ctx: Compiling) -> JudgementPlan | None:
        """Parse every tier's range once; tier names must differ; a coefficient in %, points in 分."""
        assert isinstance(rule, JudgementRule)
        if rule.coefficient is not None and ctx.fact(rule.coefficient) is not None and \
                fact_unit(ctx, rule.coefficient) != "%":
            ctx.problem(ErrorCode.POLICY_UNIT, ("coefficient",),
                        f"评定规则 {rule.id} 的系数「{rule.coefficient}」单位应为 %")
        if rule.points is not None and ctx.fact(rule.points) is not None and fact_unit(ctx, rule.points) != "分":
            ctx.problem(ErrorCode.POLICY_UNIT, ("points",), f"评定规则 {rule.id} 的得分「{rule.points}」单位应为 分")
        check_repeats(ctx, ((("tiers", i, "name"), t.name) for i, t in enumerate(rule.tiers)),
                      ErrorCode.POLICY_DUPLICATE_NAME, f"规则 {rule.id} 的评定档次")
        ranges = [ctx.interval(t.range, ("tiers", i, "range")) for i, t in enumerate(rule.tiers)]
        tiers = tuple(PlannedTier(t.name, r, ctx.locate(("tiers", i)))
                      for i, (t, r) in enumerate(zip(rule.tiers, ranges, strict=True)) if r is not None)
        if len(tiers) < len(rule.tiers):
            return None
        # the rule's own name for its coefficient (得分系数 in Chongqing) over the policy's (``policy.labels``)
        own = rule.coefficient_label if rule.coefficient_label != "评定系数" else None
        labels = (own or ctx.label("coefficient"), ctx.label("tier"))
        if rule.points is not None:
            return JudgementPlan(rule.id, rule.points, rule.tier, tiers, ctx.weight or Decimal(0), labels)
        assert rule.coefficient is not None
        return JudgementPlan(rule.id, rule.coefficient, rule.tier, tiers, labels=labels)


KIND = Judgement()
