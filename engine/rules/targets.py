"""Targets rule (目标完成): 完成指标值得满分，未完成按完成值与指标值的比例计分 (stage: rules).

The fact is the department's list of performance targets (绩效目标); one message per target is sent
to the firing engine, which compares the actual value with the target on exact integers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine import decimals
from engine.decimals import show
from engine.firing.conditions import Branch, Case, Probe, Test
from engine.rules.base import Compiling, Direction, FactRef, Fired, Kind, NoMatch, RuleBase, RulePlan
from engine.rules.inversion import Change, Known, Plain
from engine.scoring import Outcome, Part, combine
from engine.trace import Deduction, FactRead

if TYPE_CHECKING:
    from engine.facts import Facts, Target

__all__ = ["KIND", "TargetsPlan", "TargetsRule", "target_outcome"]


class TargetsRule(RuleBase):
    """Per-department targets: 完成指标值得满分，未完成按完成值与指标值的比例计分."""

    kind: Literal["targets"] = Field(description="规则类型：targets")
    fact: str = Field(description="目标清单事实（type: targets）：完成得满分，未完成按比例计分")


class Cases(Case):
    """A target met or short of it, for higher-is-better and lower-is-better targets."""

    MET = "met", "达标"
    SHORT = "short", "未完成（越高越好）"
    MET_LOWER = "met_lower", "达标（越低越好）"
    OVER = "over", "未完成（越低越好）"


_MET, _MET_LOWER, _SHORT = Cases.MET, Cases.MET_LOWER, Cases.SHORT  # bound once (engine.firing.conditions: _SEEN)


def target_outcome(share: Decimal, item: Target, case: Case) -> Outcome:
    """One target worth ``share`` points: full if met, else pro rata (完成值与指标值的比例).

    >>> from engine.facts import Target
    >>> t = Target("论文", Decimal(200), Decimal(170), "higher", "篇", None)  # type: ignore[arg-type]
    >>> target_outcome(Decimal(10), t, Cases.SHORT).computation
    '「论文」完成 170篇 / 指标 200篇：10 × 170 ÷ 200 = 8.5'
    """
    unit = item.unit or ""
    head = f"「{item.name}」完成 {show(item.actual)}{unit} / 指标 {show(item.target)}{unit}"
    if case is _MET or case is _MET_LOWER:
        return Outcome(share, f"{head}：已完成，得 {show(share)}")
    pro_rata = _pro_rata(share, item, case)
    if case is _SHORT:
        text = f"{head}：{show(share)} × {show(item.actual)} ÷ {show(item.target)} = {show(pro_rata)}"
    else:
        text = f"{head}（越低越好）：{show(share)} × {show(item.target)} ÷ {show(item.actual)} = {show(pro_rata)}"
    score = max(pro_rata, Decimal(0))
    return Outcome(score, text, (Part(share - score, text, f"指标值 {show(item.target)}{unit}", item=item.name),))


def target_points(share: Decimal, item: Target, case: Case) -> Decimal:
    """The score :func:`target_outcome` computes, without its computation."""
    if case is _MET or case is _MET_LOWER:
        return share
    return max(_pro_rata(share, item, case), Decimal(0))


def _pro_rata(share: Decimal, item: Target, case: Case) -> Decimal:
    """A target short of its value: the share in the ratio of actual to target (target to actual, lower is better)."""
    if case is _SHORT:
        return share * item.actual / item.target if item.target else share
    return share * item.target / item.actual


@dataclass(frozen=True, slots=True)
class TargetsPlan(RulePlan):
    """A targets rule, planned: one message per target of the fact."""

    rule_id: str
    fact: str

    def probes(self) -> tuple[Probe, ...]:
        """Per target: met or short, by its direction."""
        higher, lower = Test("d", "==", "higher"), Test("d", "==", "lower")
        branches = (
            Branch.of(Cases.MET, (higher, Test("a", ">=", other="t"))),
            Branch.of(Cases.SHORT, (higher, Test("a", "<", other="t"))),
            Branch.of(Cases.MET_LOWER, (lower, Test("a", "<=", other="t"))),
            Branch.of(Cases.OVER, (lower, Test("a", ">", other="t"))),
        )
        return (Probe(self.rule_id, self.rule_id, (), branches, self.fact),)

    def reads(self) -> tuple[str, ...]:
        """The targets fact."""
        return (self.fact,)

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """An equal share of the weight per target, each full or pro rata."""
        share = weight / len(fired[0])
        return combine([target_outcome(share, target, case) for target, case in self.cases(fired)])

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """:meth:`score`'s number alone."""
        share = weight / len(fired[0])
        return sum([target_points(share, target, case) for target, case in self.cases(fired)], Decimal(0))

    @staticmethod
    def cases(fired: Fired) -> list[tuple[Target, Case]]:
        """Each target with the one case that fired for it."""
        out = []
        for target, branches in fired[0]:
            if len(branches) != 1 or target is None:
                raise NoMatch
            (branch,) = branches
            assert branch.case is not None
            out.append((target, branch.case))
        return out

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """The target's actual value reaches its target."""
        items = facts.facts.values[self.fact].value
        assert isinstance(items, tuple)
        index = next((i for i, t in enumerate(items) if t.name == deduction.item), None)
        if index is None:
            return Plain(f"须完成目标「{deduction.item}」的指标值")
        item = items[index]
        relation = "≥" if item.direction == "higher" else "≤"
        return Change(self.fact, item.actual, item.target, relation, item.target, item.unit, deduction.points,
                      (index, "actual"), f"「{item.name}」完成值")

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """None: each target brings its own edge (its target value)."""
        yield from ()

    def scalar(self) -> str | None:
        """None: the fact is a list of targets."""
        return None

    def expected(self, value: Decimal) -> str | None:
        """None: not a one-number rule."""
        return None

    def direction(self) -> Direction | None:
        """None: not a one-number rule."""
        return None

    def part_reads(self, part: Part, reads: tuple[FactRead, ...], facts: Facts) -> tuple[FactRead, ...]:
        """A target's deduction shows that target, with its target and actual values."""
        if not part.item:
            return reads
        items = facts.values[self.fact].value
        assert isinstance(items, tuple)
        return tuple(FactRead(f"{self.fact}·{t.name}",
                              f"指标 {decimals.fmt(t.target)} / 完成 {decimals.fmt(t.actual)}", t.unit, t.location)
                     for t in items if t.name == part.item)


class Targets(Kind):
    """完成指标值得满分，未完成按完成值与指标值的比例计分."""

    name = "targets"
    label = "目标完成"
    model = TargetsRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The targets fact."""
        assert isinstance(rule, TargetsRule)
        yield FactRef(("fact",), rule.fact, ("targets",))

    def plan(self, rule: RuleBase, ctx: Compiling) -> TargetsPlan:
        """Nothing to parse: the targets come with each fact file."""
        assert isinstance(rule, TargetsRule)
        return TargetsPlan(rule.id, rule.fact)


KIND = Targets()
