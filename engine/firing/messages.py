"""Facts → the firing engine's messages: exact integers, booleans and enum strings (stage: evaluate; pure).

A decimal fact travels as the pair ``floor(v·10**K)``, ``ceil(v·10**K)`` at the policy's scale; a pair of
facts compared with each other as integers at their common exact scale; a targets fact as one message
per target. No ``Decimal`` is ever turned into a ``float`` (``engine.firing.conditions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.facts import Facts, FactScalar, Target
from engine.firing.conditions import Probe, bounds, scale_pair
from engine.memo import per_policy

if TYPE_CHECKING:
    from engine.compile import CompiledPolicy
    from engine.firing.backends import FieldValue, Message

__all__ = ["Messages", "Sent"]


@dataclass(frozen=True, slots=True)
class Sent:
    """One message: the probe it was sent for and, for a targets probe, the target."""

    probe: Probe
    target: Target | None = None


@dataclass(frozen=True, slots=True)
class _Plan:
    """One probe's message, planned once per policy: the facts it reads and how each is encoded."""

    probe: Probe
    applicable_if: str | None
    each_target: str | None
    # (encoding, field, fact, other, exact, the pair's two field names), no "app"
    inputs: tuple[tuple[str, str, str, str | None, bool, tuple[str, str]], ...]
    sent: Sent  # what a message of this plan without a target was sent for


# How Messages' loop makes a plan's message: by Messages.add (_GENERAL: applicability, targets, a pair of facts,
# several inputs), or inline from one fact's bounds pair or its boolean or enum value
_GENERAL, _BOUNDS, _SCALAR = 0, 1, 2
# One plan as Messages' loop reads it: the plan, its probe's key, its kind (above), its fact, whether the
# fact is sent unrounded, the message's field names (the bounds pair's two, or the scalar's field twice)
_Row = tuple[_Plan, str, int, str, bool, str, str]


def _plans(policy: CompiledPolicy) -> tuple[_Row, ...]:
    """Every probe's plan but the grade's (the total is graded after scoring), in policy order.

    A usual plan (no applicability, not one message per target) of one input other than a pair is
    encoded in :class:`Messages`' own loop; every other plan is made by :meth:`Messages.add`.
    """
    out = []
    for probe in policy.probes:
        if probe.key == "grade":
            continue
        rule = policy.rules[probe.rule_id]
        inputs = tuple((i.encoding, i.field, i.fact, i.other, i.exact, _names(i.encoding, i.field))
                       for i in probe.inputs if i.field != "app")
        plan = _Plan(probe, rule.applicable_if, probe.each_target, inputs, Sent(probe))
        kind, fact, exact, first, second = _GENERAL, "", False, "", ""
        if not rule.applicable_if and not probe.each_target and len(inputs) == 1 and inputs[0][0] != "pair":
            encoding, field, fact, _, exact, (first, second) = inputs[0]
            kind = _BOUNDS if encoding == "bounds" else _SCALAR
            if kind == _SCALAR:
                first = second = field
        out.append((plan, probe.key, kind, fact, exact, first, second))
    return tuple(out)


def _names(encoding: str, field: str) -> tuple[str, str]:
    """The two message fields of a ``bounds`` (``_lo``, ``_hi``) or ``pair`` (``_l``, ``_r``) input."""
    return (f"{field}_lo", f"{field}_hi") if encoding == "bounds" else (f"{field}_l", f"{field}_r")


class Messages:
    """Facts → one exact message per probe (per target for a targets probe), and what each was sent for.

    Raises:
        JixiaoError: a fact the policy needs is missing (``facts.missing``) or too large to compare
            exactly (``firing.precision``).
    """

    def __init__(self, policy: CompiledPolicy, facts: Facts) -> None:
        self.policy, self.facts = policy, facts
        self.messages: list[Message] = []
        self.sent: list[Sent] = []
        messages, sent, values, scale = self.messages, self.sent, facts.values.get, policy.scale
        # One loop, the usual plans' fields made inline (no call per message): this runs for every
        # evaluation. Whatever the inline encoding cannot make (a missing fact, a value of another
        # type or too large to compare exactly) goes through fields(), which says what is wrong.
        for plan, key, kind, fact, exact, first, second in per_policy("message-plans", policy, lambda: _plans(policy)):
            if kind == _GENERAL:
                self.add(plan)
                continue
            found = values(fact)
            if found is not None:
                value = found.exact if exact and found.exact is not None else found.value
                if kind == _BOUNDS:
                    if type(value) is Decimal:
                        pair = bounds(value, scale)
                        if pair is not None:
                            messages.append((key, {first: pair[0], second: pair[1]}))
                            sent.append(plan.sent)
                            continue
                elif type(value) is bool or type(value) is str:
                    messages.append((key, {first: value}))
                    sent.append(plan.sent)
                    continue
            messages.append((key, self.fields(plan)))
            sent.append(plan.sent)

    def add(self, plan: _Plan) -> None:
        """A probe with applicability or one message per target: its messages, or the applicability alone."""
        probe = plan.probe
        app = self.value(plan.applicable_if, probe.rule_id) if plan.applicable_if else None
        assert app is None or isinstance(app, bool)
        base: dict[str, FieldValue] = {} if app is None else {"app": app}
        if app is False:
            self.send(probe, base)
        elif plan.each_target:
            items = self.value(plan.each_target, probe.rule_id)
            assert isinstance(items, tuple)
            for item in items:
                self.send(probe, {**base, **self.target_fields(item)}, item)
        else:
            base.update(self.fields(plan))
            self.send(probe, base)

    def send(self, probe: Probe, fields: dict[str, FieldValue], target: Target | None = None) -> None:
        """Record one message and what it was sent for."""
        self.messages.append((probe.key, fields))
        self.sent.append(Sent(probe, target))

    def value(self, name: str, rule_id: str, *, exact: bool = False) -> FactScalar | tuple[Target, ...]:
        """The value of fact ``name``, which rule ``rule_id`` needs (``facts.missing`` if not stated).

        ``exact``: a derived fact's value before its declared rounding (``compare: exact``).
        """
        found = self.facts.values.get(name)
        if found is None:
            raise JixiaoError(ErrorCode.FACTS_MISSING, f"规则 {rule_id} 需要事实「{name}」，事实文件未填报",
                              SourceLocation(self.facts.file, 1, 1), f"facts.{name}")
        return found.exact if exact and found.exact is not None else found.value

    def fields(self, plan: _Plan) -> dict[str, FieldValue]:
        """The probe's inputs as exact message fields (``firing.precision`` beyond exact doubles)."""
        out: dict[str, FieldValue] = {}
        for encoding, field, fact, other, exact, (first, second) in plan.inputs:
            value = self.value(fact, plan.probe.rule_id, exact=exact)
            if encoding == "bounds":
                assert isinstance(value, Decimal)
                pair = bounds(value, self.policy.scale)
                if pair is None:
                    raise self.too_large(fact)
                out[first], out[second] = pair
            elif encoding == "pair":
                assert other is not None
                right = self.value(other, plan.probe.rule_id)
                assert isinstance(value, Decimal) and isinstance(right, Decimal)
                scaled = scale_pair(value, right)
                if scaled is None:
                    raise self.too_large(fact)
                out[first], out[second] = scaled
            else:
                assert isinstance(value, bool | str)  # a "bool" or an "enum" input
                out[field] = value
        return out

    def target_fields(self, item: Target) -> dict[str, FieldValue]:
        """One target's direction and its actual and target values at their common exact scale."""
        scaled = scale_pair(item.actual, item.target)
        if scaled is None:
            raise JixiaoError(ErrorCode.FIRING_PRECISION, f"目标「{item.name}」的数值超出精确比较范围",
                              item.location)
        return {"d": item.direction, "a": scaled[0], "t": scaled[1]}

    def too_large(self, name: str) -> JixiaoError:
        """The error for fact ``name``, too large to compare exactly at the policy's scale."""
        fact = self.facts.values[name]
        return JixiaoError(ErrorCode.FIRING_PRECISION,
                           f"事实「{name}」的值 {fact.value} 在 {self.policy.scale} 位小数下"
                           "超出规则引擎的精确整数范围（2^53）",
                           fact.location, f"facts.{name}")
