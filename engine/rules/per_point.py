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

    kind: Literal["per_point"] = Field(description="规则类型：per_point")
    fact: str = Field(description="被比较的事实（数值）")
    threshold: Decimal = Field(description="起扣的阈值（如 100）")
    direction: Literal["above", "below"] = Field(description="above：超过阈值起扣；below：低于阈值起扣")
    points: Decimal = Field(gt=0, description="每 per 个单位扣的分")
    per: Decimal = Field(default=Decimal(1), gt=0, description="每多少个单位扣一次（默认 1）")
    counting: Literal["fractional", "whole", "partial"] = Field(
        default="fractional",
        description="fractional 按小数计；whole 只计整单位；partial 不足一个单位按一个计")
    floor: Decimal | None = Field(default=Decimal(0), description="最低得分（扣完为止；null 表示不设下限）")
    unit: str | None = Field(default=None, description="事实的单位（写了就与事实声明核对）")
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
