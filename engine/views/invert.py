"""Invert a rule: the smallest change of one fact that gives a deduction back (stage: explain; pure).

Exact with ``Decimal`` where the rule can be inverted: proportional (reach ``full_at``), per-point and
step (reach the threshold, or stay within one step when only whole steps count), per-count (no
occurrence), bands (the nearest edge of the best band), checklist items (the item's fact true),
targets (the actual value reaches the target) and comparisons whose full-marks case compares one fact
with a number or with another fact. Everything else (a judgement, a rounding residue) gets a plain
statement of what would have to change. ``engine.views.recover`` verifies every change by evaluating again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine import decimals, expr
from engine.compile import LeafPlan
from engine.facts import Facts
from engine.schema import (
    BandsRule,
    ChecklistRule,
    ComparisonRule,
    JudgementRule,
    PerCountRule,
    PerPointRule,
    ProportionalRule,
    TargetsRule,
)
from engine.source import Path
from engine.trace import Deduction

__all__ = ["Change", "Plain", "invert", "nudge"]

RESIDUE = "舍入差额"
_OPS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "="}


@dataclass(frozen=True, slots=True)
class Change:
    """Set ``fact`` (or the item at ``path`` inside it) so that it stands in ``relation`` to ``bound``.

    ``value`` is the value to try: the bound itself, or the nearest value past it for ``<`` and ``>``.
    ``recovers`` is what the rule gives back (all the points, or what its best band allows).
    """

    fact: str
    before: Decimal | bool | None
    bound: Decimal | bool
    relation: str
    value: Decimal | bool
    unit: str | None
    recovers: Decimal
    path: Path = ()
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Plain:
    """A deduction no change of one fact can be computed for: what would have to change, in words."""

    text: str


def invert(plan: LeafPlan, weight: Decimal, deduction: Deduction, facts: Facts,
           integers: frozenset[str] = frozenset()) -> Change | Plain:
    """The smallest change of one fact that recovers ``deduction``, or a plain statement.

    ``integers`` names the facts declared as integers (a value past a strict bound is then ±1).
    """
    rule, typed = plan.rule, _Typed(facts, integers)
    if deduction.note == RESIDUE:
        return Plain("各项扣分按规定位数舍入后的差额：其余扣分挽回后随之消失")
    match rule:
        case ProportionalRule():
            return _change(typed, rule.fact, rule.full_at, "≥", deduction.points)
        case PerPointRule():
            return _per_point(rule, typed, deduction.points)
        case PerCountRule():
            return _change(typed, rule.fact, Decimal(0), "=", deduction.points)
        case BandsRule():
            return _bands(rule, plan, weight, deduction.points, typed)
        case ChecklistRule():
            item = next(i for i in rule.items if i.id == deduction.item)
            return Change(item.fact, False, True, "=", True, None, deduction.points, label=item.wording)
        case TargetsRule():
            return _target(rule, deduction, typed)
        case ComparisonRule():
            return _comparison(rule, plan, weight, deduction.points, typed)
        case JudgementRule():
            top = next((t.name for t, iv in zip(rule.tiers, plan.intervals, strict=False) if iv.contains(Decimal(100))),
                       None)
            tier = f"，且评定等次为「{top}」" if top else ""
            return Plain(f"评价人判断：得分 = 分值 × 评定系数，由评价人评定，不能由事实推算；"
                         f"得满分需评定系数为 100%{tier}")
    return Plain("该项规则不能由事实反推")


@dataclass(frozen=True, slots=True)
class _Typed:
    """The facts, and which of them are integers."""

    facts: Facts
    integers: frozenset[str]

    @property
    def values(self) -> Any:
        return self.facts.values


def _current(facts: _Typed, name: str) -> Decimal | None:
    found = facts.values.get(name)
    return found.value if found is not None and isinstance(found.value, Decimal) else None


def _change(facts: _Typed, name: str, bound: Decimal, relation: str, recovers: Decimal) -> Change:
    current = _current(facts, name)
    found = facts.values.get(name)
    value = nudge(bound, relation, current, integer=name in facts.integers)
    return Change(name, current, bound, relation, value, found.unit if found else None, recovers)


def nudge(bound: Decimal, relation: str, current: Decimal | None, *, integer: bool = False) -> Decimal:
    """The value to try: ``bound`` itself, or one unit of the last shown decimal past it for ``<``/``>``.

    >>> nudge(Decimal(6), "<", Decimal("11.44")), nudge(Decimal(5), ">", None)
    (Decimal('5.99'), Decimal('5.01'))
    >>> nudge(Decimal(3), "<", None, integer=True), nudge(Decimal(90), "≥", Decimal("84.29"))
    (Decimal('2'), Decimal('90'))
    """
    if relation not in ("<", ">"):
        return bound
    places = 0 if integer else max(2, decimals.places_of(bound), decimals.places_of(current or bound))
    unit = Decimal(1).scaleb(-places)
    return bound - unit if relation == "<" else bound + unit


def _per_point(rule: PerPointRule, facts: _Typed, points: Decimal) -> Change:
    above = rule.direction == "above"
    if rule.counting == "whole":  # whole steps only: anything short of one step costs nothing
        bound = rule.threshold + rule.per if above else rule.threshold - rule.per
        return _change(facts, rule.fact, bound, "<" if above else ">", points)
    return _change(facts, rule.fact, rule.threshold, "≤" if above else "≥", points)


def _bands(rule: BandsRule, plan: LeafPlan, weight: Decimal, points: Decimal, facts: _Typed) -> Change | Plain:
    current = _current(facts, rule.fact)
    best = max(b.points for b in rule.bands)
    if current is None:
        return Plain(f"须使「{rule.fact}」落入得 {decimals.fmt(best)} 分的档次")
    options = []
    for band, interval in zip(rule.bands, plan.intervals, strict=True):
        if band.points != best or interval.contains(current):
            continue
        if interval.lo is not None and interval.lo == interval.hi:
            options.append((abs(current - interval.lo), interval.lo, "="))
        elif interval.lo is not None and current < interval.lo:
            options.append((interval.lo - current, interval.lo, "≥" if interval.lo_closed else ">"))
        elif interval.hi is not None and current > interval.hi:
            options.append((current - interval.hi, interval.hi, "≤" if interval.hi_closed else "<"))
    if not options:
        return Plain(f"已在得分最高的档次（{decimals.fmt(best)} 分，低于分值），改变「{rule.fact}」不能再挽回")
    _, bound, relation = min(options, key=lambda o: o[0])
    return _change(facts, rule.fact, bound, relation, min(points, best - (weight - points)))


def _target(rule: TargetsRule, deduction: Deduction, facts: _Typed) -> Change | Plain:
    items = facts.values[rule.fact].value
    assert isinstance(items, tuple)
    index = next((i for i, t in enumerate(items) if t.name == deduction.item), None)
    if index is None:
        return Plain(f"须完成目标「{deduction.item}」的指标值")
    item = items[index]
    relation = "≥" if item.direction == "higher" else "≤"
    return Change(rule.fact, item.actual, item.target, relation, item.target, item.unit, deduction.points,
                  (index, "actual"), f"「{item.name}」完成值")


def _comparison(rule: ComparisonRule, plan: LeafPlan, weight: Decimal, points: Decimal, facts: _Typed
                ) -> Change | Plain:
    index = next((i for i, c in enumerate(rule.cases) if c.points >= weight), None)
    if index is None:
        return Plain("所列情形都不能得满分")
    case = plan.cases[index]
    label = f"（{rule.cases[index].label}）" if rule.cases[index].label else ""
    if isinstance(case, expr.Compare) and case.op in _OPS and isinstance(case.left, expr.Name):
        if isinstance(case.right, expr.Num):
            return _change(facts, case.left.name, case.right.value, _OPS[case.op], points)
        other = _current(facts, case.right.name) if isinstance(case.right, expr.Name) else None
        if other is not None:
            return _change(facts, case.left.name, other, _OPS[case.op], points)
    return Plain(f"须满足「{expr.render(case)}」{label}才能得满分")
