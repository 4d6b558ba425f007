"""Checklist rule (逐项): ①…1分；②…1分 — each item earns its points when its boolean fact holds (stage: rules)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine.decimals import fmt, show
from engine.errors import ErrorCode, SourceLocation
from engine.firing.conditions import Branch, Case, Input, Probe, Test
from engine.rules.base import Compiling, Direction, FactRef, Fired, Kind, Model, NoMatch, RuleBase, RulePlan
from engine.rules.checks import check_repeats
from engine.rules.inversion import Change, Known, Plain
from engine.scoring import Outcome, Part, combine
from engine.trace import Deduction, FactRead

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["KIND", "ChecklistItem", "ChecklistPlan", "ChecklistRule", "PlannedItem", "item_outcome"]

ZERO = Decimal(0)


class ChecklistItem(Model):
    """One checklist item earned when its boolean fact is true."""

    id: str = Field(description="清单项的 id（如 ①），扣分记录中区分各项")
    fact: str = Field(description="该项的布尔事实：为“是”得该项分")
    points: Decimal = Field(ge=0, description="该项分值")
    wording: str = Field(description="该项的规则原文")


class ChecklistRule(RuleBase):
    """Additive checklist: ①…1分；②…1分."""

    kind: Literal["checklist"] = Field(description="规则类型：checklist")
    items: tuple[ChecklistItem, ...] = Field(
        min_length=1,
        description="逐项清单：每项的布尔事实为“是”则得该项分，各项分值之和等于指标分值")


class Cases(Case):
    """An item's fact holds or it does not."""

    MET = "met", "达标"
    UNMET = "unmet", "未达标"


_MET, _UNMET = Cases.MET, Cases.UNMET  # bound once (engine.firing.conditions: _SEEN)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A checklist item as compiled, with its place in the policy."""

    id: str
    fact: str
    points: Decimal
    wording: str
    location: SourceLocation


def item_outcome(fact: str, points: Decimal, met: bool, item: str, wording: str) -> Outcome:
    """One checklist item: its points if its fact holds, else a deduction.

    >>> item_outcome("资产账实相符", Decimal(2), False, "a", "账实相符").computation
    '「资产账实相符」= 否，未得 2 分'
    """
    if met:
        return Outcome(points, f"「{fact}」= 是，得 {show(points)} 分")
    text = f"「{fact}」= 否，未得 {show(points)} 分"
    return Outcome(Decimal(0), text, (Part(points, text, "须为“是”", item=item, wording=wording),))


@dataclass(frozen=True, slots=True)
class ChecklistPlan(RulePlan):
    """A checklist, planned: one probe per item (``rule/item``)."""

    rule_id: str
    items: tuple[PlannedItem, ...]

    def probes(self) -> tuple[Probe, ...]:
        """Per item: its boolean fact is true (met) or false (unmet)."""
        branches = (Branch.of(Cases.MET, (Test("b", "==", True),)), Branch.of(Cases.UNMET, (Test("b", "==", False),)))
        return tuple(Probe(f"{self.rule_id}/{item.id}", self.rule_id, (Input("b", item.fact, "bool"),), branches)
                     for item in self.items)

    def reads(self) -> tuple[str, ...]:
        """Every item's fact."""
        return tuple(item.fact for item in self.items)

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """The sum of the items met."""
        return combine([item_outcome(item.fact, item.points, met, item.id, item.wording)
                        for item, met in zip(self.items, self.met(fired), strict=True)])

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """:meth:`score`'s number alone (a loop: no list of zeros to add up)."""
        total = ZERO
        for item, met in zip(self.items, self.met(fired), strict=True):
            if met:
                total += item.points
        return total

    @staticmethod
    def met(fired: Fired) -> list[bool]:
        """Whether each item is met, as the branches that fired for it say."""
        out = []
        for item_fired in fired:
            ((_, branches),) = item_fired
            if len(branches) == 1:  # the usual answer: one branch, met or unmet
                case = branches[0].case
                if case is _MET or case is _UNMET:
                    out.append(case is _MET)
                    continue
            cases = {b.case for b in branches}
            if cases not in ({Cases.MET}, {Cases.UNMET}):
                raise NoMatch
            out.append(Cases.MET in cases)
        return out

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """The item's fact true."""
        item = next(i for i in self.items if i.id == deduction.item)
        return Change(item.fact, False, True, "=", True, None, deduction.points, label=item.wording)

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """None: items read booleans."""
        yield from ()

    def scalar(self) -> str | None:
        """None: one fact per item."""
        return None

    def expected(self, value: Decimal) -> str | None:
        """None: not a one-number rule."""
        return None

    def direction(self) -> Direction | None:
        """None: not a one-number rule."""
        return None

    def part_reads(self, part: Part, reads: tuple[FactRead, ...], facts: Facts) -> tuple[FactRead, ...]:
        """An item's deduction shows the item's fact only."""
        if not part.item:
            return reads
        item = next(i for i in self.items if i.id == part.item)
        return tuple(r for r in reads if r.name == item.fact)


class Checklist(Kind):
    """逐项计分：每项符合得相应分值."""

    name = "checklist"
    label = "逐项"
    model = ChecklistRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """Each item's fact, boolean."""
        assert isinstance(rule, ChecklistRule)
        for i, item in enumerate(rule.items):
            yield FactRef(("items", i, "fact"), item.fact, ("boolean",))

    def plan(self, rule: RuleBase, ctx: Compiling) -> ChecklistPlan:
        """The items' points must add up to the indicator's weight; item ids must differ."""
        assert isinstance(rule, ChecklistRule)
        total = sum((i.points for i in rule.items), Decimal(0))
        if ctx.weight is not None and total != ctx.weight:
            ctx.problem(ErrorCode.POLICY_POINTS, ("items",),
                        f"逐项规则 {rule.id} 各项分值合计 {fmt(total)}，与指标分值 {fmt(ctx.weight)} 不相等")
        check_repeats(ctx, ((("items", n, "id"), i.id) for n, i in enumerate(rule.items)),
                      ErrorCode.POLICY_DUPLICATE_ID, f"规则 {rule.id} 的检查项 id")  # each item is a probe of its own
        items = tuple(PlannedItem(i.id, i.fact, i.points, i.wording, ctx.locate(("items", n)))
                      for n, i in enumerate(rule.items))
        return ChecklistPlan(rule.id, items)


KIND = Checklist()
