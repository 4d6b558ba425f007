"""What each indicator can score, and the reviewer's adjustments applied beside the rule result (pure).

:func:`bounds_of` gives every indicator (and the total) the range a score can lie in: 0 to its 分值 for
a weighted indicator, −减分上限 to +加分上限 for 加减分, the sums of its rows for a parent (never below
its own 分值). :func:`apply_adjustments` turns each reviewer judgement into a change of score with its
computation; :func:`adjusted_scores` adds the changes up the tree. The rule result is never modified:
the review shows 规则得分 and 复核调整后得分 side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals
from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError
from engine.review_file import ReviewAdjustment
from engine.trace import IndicatorScore, Result, Status

__all__ = ["AppliedAdjustment", "Bounds", "adjusted_scores", "apply_adjustments", "bounds_of"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a score can lie in; ``bonus`` / ``penalty``: what 加减分 below may add or take."""

    floor: Decimal
    ceiling: Decimal
    weight: Decimal | None
    bonus: Decimal = ZERO
    penalty: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class AppliedAdjustment:
    """A reviewer judgement and what it does: the score before and after, and how it was computed."""

    adjustment: ReviewAdjustment
    name: str
    before: Decimal
    after: Decimal
    computation: str

    @property
    def delta(self) -> Decimal:
        """After − before (negative: points taken)."""
        return self.after - self.before


def bounds_of(policy: CompiledPolicy, result: Result) -> dict[str | None, Bounds]:
    """Bounds of every indicator by id, and of the total under the key ``None``."""
    rules = {n.id: n.leaf.rule for n in policy.nodes() if n.leaf is not None}
    found: dict[str | None, Bounds] = {}

    def visit(node: IndicatorScore) -> Bounds:
        if node.status == Status.ADJUSTMENT:
            rule = rules[node.id]
            bonus, penalty = getattr(rule, "max_bonus", ZERO), getattr(rule, "max_penalty", ZERO)
            found[node.id] = Bounds(-penalty, bonus, None, bonus, penalty)
        elif not node.children:
            found[node.id] = Bounds(ZERO, node.max or ZERO, node.max)
        else:
            found[node.id] = _sum(node.max, [visit(c) for c in node.children])
        return found[node.id]

    total = _sum(result.max, [visit(root) for root in result.indicators])
    cap = policy.total.cap
    found[None] = total if cap is None else Bounds(total.floor, min(total.ceiling, cap), total.weight,
                                                   total.bonus, total.penalty)
    return found


def _sum(weight: Decimal | None, parts: list[Bounds]) -> Bounds:
    bonus, penalty = sum((p.bonus for p in parts), ZERO), sum((p.penalty for p in parts), ZERO)
    ceiling = sum((p.ceiling for p in parts), ZERO)
    return Bounds(sum((p.floor for p in parts), ZERO), max(ceiling, (weight or ZERO) + bonus), weight, bonus, penalty)


def apply_adjustments(policy: CompiledPolicy, result: Result, adjustments: tuple[ReviewAdjustment, ...],
                      bounds: Mapping[str | None, Bounds]) -> tuple[AppliedAdjustment, ...]:
    """Each judgement with the score it gives, children before parents (in policy order otherwise).

    Raises:
        JixiaoError: ``review.adjustment`` for a coefficient on an indicator that is not a scored one,
            a deduction below what the indicator can score, or more decimals than the policy rounds to.
    """
    by_id = {a.indicator_id: a for a in adjustments}
    places, mode = policy.rounding.places, policy.rounding.mode
    applied: dict[str, AppliedAdjustment] = {}

    def visit(node: IndicatorScore) -> Decimal:
        score = sum((visit(c) for c in node.children), ZERO) if node.children else node.score
        adjustment = by_id.get(node.id)
        if adjustment is None:
            return score
        done = _apply(adjustment, node, score, bounds[node.id], places, mode)
        applied[node.id] = done
        return done.after

    for root in result.indicators:
        visit(root)
    return tuple(applied[a.indicator_id] for a in adjustments)


def _apply(adjustment: ReviewAdjustment, node: IndicatorScore, before: Decimal, bound: Bounds, places: int,
           mode: str) -> AppliedAdjustment:
    if node.status is Status.UNSEEN:
        raise _error(adjustment, f"指标「{node.name}」（{node.id}）原表未见，规则得分未知，不能复核调整")
    if decimals.places_of(adjustment.value) > places and adjustment.kind == "deduct":
        raise _error(adjustment, f"酌情扣分 {decimals.fmt(adjustment.value)} 的小数位多于指标体系的 {places} 位")
    if adjustment.kind == "coefficient":
        if node.children or node.status != Status.SCORED or node.max is None:
            raise _error(adjustment, f"指标「{node.name}」（{node.id}）不是按规则计分的末级指标，不能更正系数；"
                                     "可改用 deduct（酌情扣分）")
        exact = node.max * adjustment.value / 100
        after = decimals.quantize(exact, places, mode)
        text = f"分值 {decimals.fmt(node.max)} × 更正系数 {decimals.fmt(adjustment.value)}% = {decimals.show(exact)}"
        if after != exact:
            text += f" → {decimals.fmt(after)}（{decimals.ROUNDING_NAMES[mode]}至 {places} 位）"
        return AppliedAdjustment(adjustment, node.name, before, after, text)
    after = before - adjustment.value
    if after < bound.floor:
        raise _error(adjustment, f"酌情扣分 {decimals.fmt(adjustment.value)} 超过指标「{node.name}」（{node.id}）"
                                 f"现有的 {decimals.fmt(before)} 分（最低 {decimals.fmt(bound.floor)} 分）")
    text = f"{decimals.fmt(before)} − 酌情扣分 {decimals.fmt(adjustment.value)} = {decimals.fmt(after)}"
    return AppliedAdjustment(adjustment, node.name, before, after, text)


def _error(adjustment: ReviewAdjustment, message: str) -> JixiaoError:
    return JixiaoError(ErrorCode.REVIEW_ADJUSTMENT, message, adjustment.location, "adjustments")


def adjusted_scores(policy: CompiledPolicy, result: Result, applied: tuple[AppliedAdjustment, ...]
                    ) -> tuple[dict[str, Decimal], Decimal]:
    """Every indicator's score after the reviewer's adjustments, and the adjusted total (capped as the rule's)."""
    by_id = {a.adjustment.indicator_id: a for a in applied}
    scores: dict[str, Decimal] = {}

    def visit(node: IndicatorScore) -> Decimal:
        score = sum((visit(c) for c in node.children), ZERO) if node.children else node.score
        if node.id in by_id:
            score = by_id[node.id].after
        scores[node.id] = decimals.normalise(score)
        return score

    total = sum((visit(root) for root in result.indicators), ZERO)
    cap = policy.total.cap
    return scores, decimals.normalise(total if cap is None or total <= cap else cap)
