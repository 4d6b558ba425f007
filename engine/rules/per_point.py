"""Per-point rule (每点扣分): 每超过/低于 ``per`` 个单位扣 ``points`` 分，扣完为止 (stage: rules)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import Field

from engine.rules.base import COMPARE_DESCRIPTION, NUMERIC, Compare, Compiling, FactRef, Kind, RuleBase
from engine.rules.checks import check_declared_unit
from engine.rules.per_unit import Cases, PerUnit, PerUnitPlan, plan_per_unit

__all__ = ["KIND", "PerPointRule"]


class PerPointRule(RuleBase):
    """每超过/低于 ``per`` 个单位扣 ``points`` 分 from ``threshold``, floor (扣完为止)."""

    kind: Literal["per_point"]
    fact: str
    threshold: Decimal
    direction: Literal["above", "below"]
    points: Decimal = Field(gt=0)
    per: Decimal = Field(default=Decimal(1), gt=0)
    counting: Literal["fractional", "whole", "partial"] = "fractional"
    floor: Decimal | None = Decimal(0)
    unit: str | None = None
    # at the default the key stays out of the canonical policy, so existing digests do not change
    compare: Compare = Field(default="rounded", exclude_if=lambda v: v == "rounded", description=COMPARE_DESCRIPTION)


def plan_per_point(rule: PerPointRule, ctx: Compiling) -> PerUnitPlan:
    """Plan a per-point or step rule (its counting decides how partial units count)."""
    check_declared_unit(ctx, rule.id, rule.fact, rule.unit)
    params = PerUnit(rule.fact, rule.threshold, rule.direction == "above", rule.points, rule.per, rule.counting,
                     rule.floor, rule.compare == "exact")
    return plan_per_unit(ctx, rule.id, params, rule.counting)


class PerPoint(Kind):
    """每超过/低于一个百分点扣…分，扣完为止."""

    name = "per_point"
    label = "每点扣分"
    model = PerPointRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The fact, numeric."""
        assert isinstance(rule, PerPointRule)
        yield FactRef(("fact",), rule.fact, NUMERIC)

    def plan(self, rule: RuleBase, ctx: Compiling) -> PerUnitPlan:
        """Check the unit, floor and threshold; plan the per-unit deduction."""
        assert isinstance(rule, PerPointRule)
        return plan_per_point(rule, ctx)


KIND = PerPoint()
