"""Per-count rule (按次扣分): 每出现一例扣 ``points`` 分，扣完为止 (stage: rules)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import Field

from engine.rules.base import Compiling, FactRef, Kind, RuleBase
from engine.rules.checks import check_declared_unit
from engine.rules.inversion import Change, Known, Plain, change
from engine.rules.per_unit import Cases, PerUnit, PerUnitPlan, plan_per_unit
from engine.trace import Deduction

__all__ = ["KIND", "PerCountPlan", "PerCountRule"]


class PerCountRule(RuleBase):
    """每出现一例扣 ``points`` 分，扣完为止."""

    kind: Literal["per_count"] = Field(description="规则类型：per_count")
    fact: str = Field(description="计数事实（整数，如 不合规例数）")
    points: Decimal = Field(gt=0, description="每例扣分")
    floor: Decimal | None = Field(default=Decimal(0), description="最低得分（扣完为止；null 表示不设下限）")
    unit: str | None = Field(default=None, description="事实的单位（写了就与事实声明核对）")


@dataclass(frozen=True, slots=True)
class PerCountPlan(PerUnitPlan):
    """A per-unit deduction from zero occurrences, one unit per occurrence."""

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """No occurrence at all."""
        return change(facts, self.params.fact, Decimal(0), "=", deduction.points)


class PerCount(Kind):
    """每发现一例扣…分，扣完为止."""

    name = "per_count"
    label = "按次扣分"
    model = PerCountRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The count, an integer."""
        assert isinstance(rule, PerCountRule)
        yield FactRef(("fact",), rule.fact, ("integer",))

    def plan(self, rule: RuleBase, ctx: Compiling) -> PerCountPlan:
        """Check the unit, floor and reach; plan the deduction (whole occurrences, floor by fraction)."""
        assert isinstance(rule, PerCountRule)
        check_declared_unit(ctx, rule.id, rule.fact, rule.unit)
        params = PerUnit(rule.fact, Decimal(0), True, rule.points, Decimal(1), "whole", rule.floor)
        planned = plan_per_unit(ctx, rule.id, params, "fractional")
        return PerCountPlan(planned.rule_id, planned.params, planned.zero_at)


KIND = PerCount()
