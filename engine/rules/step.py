"""Step rule (阶梯扣分): 每低于5%扣2分, a per-point rule whose step is declared with its counting (stage: rules)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import Field

from engine.rules.base import NUMERIC, Compiling, FactRef, Kind, RuleBase
from engine.rules.per_point import PerPointRule, plan_per_point
from engine.rules.per_unit import Cases, PerUnitPlan

__all__ = ["KIND", "StepRule"]


class StepRule(PerPointRule):
    """每低于5%扣2分: a per-point rule whose step is declared with its counting."""

    kind: Literal["step"] = Field(description="规则类型：step")  # type: ignore[assignment]
    per: Decimal = Field(gt=0, description="步长：每多少个单位扣一次（必填）")
    counting: Literal["whole", "partial"] = Field(description="whole 只计整步；partial 不足一步按一步计")


class Step(Kind):
    """每低于一档（如 5%）扣…分：only whole (or begun) steps count."""

    name = "step"
    label = "阶梯扣分"
    model = StepRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The fact, numeric."""
        assert isinstance(rule, StepRule)
        yield FactRef(("fact",), rule.fact, NUMERIC)

    def plan(self, rule: RuleBase, ctx: Compiling) -> PerUnitPlan:
        """Check the unit, floor and threshold; plan the per-unit deduction."""
        assert isinstance(rule, StepRule)
        return plan_per_point(rule, ctx)


KIND = Step()
