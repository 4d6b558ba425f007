"""Invariants every policy must satisfy on every fact file (stage: test; pure but for firing).

Checked on one (policy, facts) pair, they are what ``jixiao fuzz`` and the property tests run:

- ``oracle``: durable_rules and the native oracle give the identical result, deductions included;
- ``bounds``: 0 ≤ score ≤ max at every node (bonus/penalty within its cap);
- ``lost``: Σ points lost below a node = max − score − the points no rule scores (weights gaps
  declared with ``weights_note``, ``unseen`` nodes);
- ``boundary``: the branch that fired is the one exact ``Decimal`` comparison selects, so a value on a
  threshold or band edge lands on its declared side;
- ``monotonic``: a rule's declared (or natural) monotonicity holds one step either side of the value;
- ``determinism``: the same input gives the same bytes;
- ``roundtrip``: the full result survives JSON (``dump_result``/``load_result``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from engine import decimals
from engine.compile import CompiledIndicator, CompiledPolicy, LeafPlan
from engine.errors import JixiaoError
from engine.evaluate import evaluate
from engine.facts import Facts, FactValue
from engine.firing.backends import Backend, DurableBackend, Fired, Message, NativeBackend
from engine.firing.conditions import Marker
from engine.render.json import dump_result, load_result, render_json
from engine.rules.base import Direction
from engine.trace import IndicatorScore, Result, Status

__all__ = ["INVARIANTS", "RecordingBackend", "Violation", "check_invariants", "direction_of"]

INVARIANTS = ("oracle", "bounds", "lost", "boundary", "monotonic", "determinism", "roundtrip")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant, in Chinese."""

    invariant: str
    message: str


class RecordingBackend:
    """Wraps a backend and records, per probe, the branches that fired (for coverage and boundaries)."""

    def __init__(self, inner: Backend) -> None:
        """Record everything ``inner`` fires."""
        self.inner = inner
        self.name = f"recording({inner.name})"
        self.fired: list[tuple[str, frozenset[str]]] = []

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Fire through the wrapped backend and keep ``(probe key, branches)`` for each message."""
        fired = self.inner.fire(policy, messages)
        self.fired.extend((key, frozenset(names)) for (key, _), names in zip(messages, fired, strict=True))
        return fired


def direction_of(plan: LeafPlan) -> Direction | None:
    """The declared monotonicity, or the natural one of the rule's kind."""
    return plan.rule.monotonic or plan.plan.direction()


def check_invariants(policy: CompiledPolicy, facts: Facts) -> list[Violation]:
    """Every invariant on one fact file; an empty list means all hold."""
    recorder = RecordingBackend(DurableBackend())
    result = evaluate(policy, facts, backend=recorder)
    found = list(_oracle(policy, facts, result))
    for node in result.nodes():
        found += _node_invariants(node)
    found += _boundaries(policy, facts, recorder.fired, result)
    found += _monotonic(policy, facts, result)
    if render_json(evaluate(policy, facts)) != render_json(result):
        found.append(Violation("determinism", "同一输入两次求值的 JSON 输出不同"))
    if load_result(dump_result(result)) != result:
        found.append(Violation("roundtrip", "结果经 JSON 序列化再读回后不相等"))
    return found


def _oracle(policy: CompiledPolicy, facts: Facts, result: Result) -> Iterator[Violation]:
    native = evaluate(policy, facts, backend=NativeBackend())
    if native != result:
        diff = [f"{a.id}: durable {a.score} / native {b.score}" for a, b in zip(result.nodes(), native.nodes(),
                                                                                strict=False) if a != b]
        yield Violation("oracle", f"durable_rules 与对照实现结果不同：{'；'.join(diff[:5])}")


def _node_invariants(node: IndicatorScore) -> Iterator[Violation]:
    low, high = _bounds(node)
    if not low <= node.score <= high:
        yield Violation("bounds", f"指标 {node.id} 得分 {node.score} 超出 [{low}, {high}]")
    if node.max is not None and node.lost() != node.max - node.score - node.unscored():
        unscored = f" − 未计分 {node.unscored()}" if node.unscored() else ""
        message = f"指标 {node.id} 扣分合计 {node.lost()} ≠ 分值 {node.max} − 得分 {node.score}{unscored}"
        yield Violation("lost", message)


def _bounds(node: IndicatorScore) -> tuple[Decimal, Decimal]:
    if node.status == Status.ADJUSTMENT:
        gained = -sum((d.points for d in node.deductions), ZERO)
        return min(gained, ZERO), max(gained, ZERO)
    low, high = ZERO, node.max or ZERO
    for child in node.children:
        if child.status == Status.ADJUSTMENT:
            c_low, c_high = _bounds(child)
            low, high = low + c_low, high + c_high
    return low, high


def _leaves(policy: CompiledPolicy) -> Iterator[tuple[CompiledIndicator, LeafPlan]]:
    for node in policy.nodes():
        if node.leaf is not None:
            yield node, node.leaf


def _boundaries(policy: CompiledPolicy, facts: Facts, fired: list[tuple[str, frozenset[str]]],
                result: Result) -> Iterator[Violation]:
    by_key = dict(fired)
    for node, plan in _leaves(policy):
        value = _scalar(plan, facts)
        names = by_key.get(plan.probes[0], frozenset()) - {Marker.SEEN}
        if value is None or Marker.NOT_APPLICABLE in names or not _scored(node, plan, result):
            continue
        want = plan.plan.expected(value)
        if want is not None and names != {want}:
            yield Violation("boundary", f"规则 {plan.rule.id}：值 {decimals.fmt(value)} 应命中分支 {want}，"
                                        f"规则引擎命中 {sorted(names)}")


def _scored(node: CompiledIndicator, plan: LeafPlan, result: Result) -> bool:
    """Whether the rule was scored (applicable; 加减分 always counts)."""
    return plan.kind.adjusts_total or result.node(node.id).status == Status.SCORED


def _scalar(plan: LeafPlan, facts: Facts) -> Decimal | None:
    name = plan.plan.scalar()
    fact = facts.values.get(name) if name is not None else None
    if fact is not None and fact.exact is not None and name in plan.plan.exact_facts():
        return fact.exact  # ``compare: exact``: the branch follows the unrounded value
    return fact.value if fact is not None and isinstance(fact.value, Decimal) else None


def _monotonic(policy: CompiledPolicy, facts: Facts, result: Result) -> Iterator[Violation]:
    for node, plan in _leaves(policy):
        direction = direction_of(plan)
        value = _scalar(plan, facts)
        name = plan.plan.scalar()
        if direction is None or value is None or name is None or not _scored(node, plan, result):
            continue
        spec = next(d.spec for d in policy.facts if d.name == name)
        step = Decimal(1).scaleb(-(spec.places if spec.places is not None else 2))
        here = result.node(node.id).score
        for moved in (value - step, value + step):
            if spec.range and ((spec.range[0] is not None and moved < spec.range[0])
                               or (spec.range[1] is not None and moved > spec.range[1])):
                continue
            there = _score_with(policy, facts, name, moved, node.id)
            if there is None:
                continue
            worse = there < here if (moved > value) == (direction == "increasing") else there > here
            if worse:
                yield Violation("monotonic", f"规则 {plan.rule.id} 声明为{_DIRECTIONS[direction]}，但「{name}」"
                                             f"从 {decimals.fmt(value)} 变为 {decimals.fmt(moved)} 时得分从 "
                                             f"{decimals.fmt(here)} 变为 {decimals.fmt(there)}")


_DIRECTIONS = {"increasing": "单调递增", "decreasing": "单调递减"}


def _score_with(policy: CompiledPolicy, facts: Facts, name: str, value: Decimal, indicator: str) -> Decimal | None:
    """The indicator's score with one fact moved, or None when the engine refuses the moved value.

    A judgement coefficient one step outside its tier is refused: monotonicity says nothing about a
    value that cannot be scored.
    """
    values = dict(facts.values)
    values[name] = FactValue(name, value, values[name].unit, values[name].location)
    moved = replace(facts, values=values)
    try:
        return evaluate(policy, moved, backend=NativeBackend()).node(indicator).score
    except JixiaoError:
        return None
