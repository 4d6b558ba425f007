"""The firing table: applicability, the exact integer scale and the rulesets (stage: compile; pure).

Kinds give their probes unscaled (``engine.rules``); this module adds the applicability branch,
chooses the scale ``10**K`` at which every constant is an exact integer, scales the tests and splits
the probes into rulesets far below durable_rules' limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from decimal import Decimal

from engine.firing import limits
from engine.firing.conditions import AnyOf, Branch, Input, Marker, Probe, Test

__all__ = ["MAX_SCALE", "RULESET_LIMIT", "build", "constants", "group", "limit_problems", "scale_of", "scaled",
           "with_applicability"]

RULESET_LIMIT = limits.RULESET_LIMIT
MAX_SCALE = 10


def with_applicability(probe: Probe, fact: str) -> Probe:
    """The probe with a ``na`` branch for ``fact`` false, and ``fact`` true added to every other branch."""
    app, no, yes = Input("app", fact, "bool"), Test("app", "==", False), Test("app", "==", True)
    branches = (Branch.of(Marker.NOT_APPLICABLE, (no,)), *(replace(b, cond=(yes, *b.cond)) for b in probe.branches))
    return replace(probe, inputs=(app, *probe.inputs), branches=branches)


def constants(probes: Iterable[Probe]) -> Iterator[Decimal]:
    """Every decimal a test compares with."""
    for probe in probes:
        for branch in probe.branches:
            for part in branch.cond:
                for test in part.tests if isinstance(part, AnyOf) else (part,):
                    if isinstance(test.value, Decimal):
                        yield test.value


def scale_of(values: Iterable[Decimal]) -> int:
    """The fewest decimal places at which every value is an integer.

    >>> scale_of([Decimal("0.5"), Decimal(100), Decimal("97.35")])
    2
    """
    exponents = [c.normalize().as_tuple().exponent for c in values if c.is_finite()]
    return max([0, *[-e for e in exponents if isinstance(e, int)]])


def scaled(probe: Probe, scale: int) -> Probe:
    """The probe with every decimal test value as an integer at ``10**scale``."""
    def test(t: Test) -> Test:
        if isinstance(t.value, Decimal):
            return replace(t, value=int(t.value.scaleb(scale)))
        return t

    def part(p: Test | AnyOf) -> Test | AnyOf:
        return AnyOf(tuple(test(t) for t in p.tests)) if isinstance(p, AnyOf) else test(p)

    return replace(probe, branches=tuple(replace(b, cond=tuple(part(p) for p in b.cond)) for b in probe.branches))


def build(probes: Sequence[Probe], maxima: Iterable[Decimal]) -> tuple[tuple[Probe, ...], int, bool]:
    """The probes scaled to the smallest exact scale of every constant and weight.

    Returns ``(probes, scale, over)``: ``over`` (and no probes) when the scale exceeds :data:`MAX_SCALE`.
    """
    scale = scale_of([*maxima, *constants(probes)])
    if scale > MAX_SCALE:
        return (), scale, True
    return tuple(scaled(p, scale) for p in probes), scale, False


def limit_problems(probes: Iterable[Probe]) -> Iterator[tuple[str, str]]:
    """``(rule id, why)`` for every probe durable_rules could not be given safely (``firing.limits``)."""
    for probe in probes:
        message = limits.limit_problem(probe)
        if message is not None:
            yield probe.rule_id, message


def group(probes: tuple[Probe, ...], digest: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Split probes into rulesets of at most :data:`RULESET_LIMIT` durable rules, in order."""
    groups: list[tuple[str, list[str]]] = []
    size = RULESET_LIMIT
    for probe in probes:
        count = len(probe.branches)
        if size + count > RULESET_LIMIT:
            groups.append((f"jixiao_{digest[:16]}_{len(groups)}", []))
            size = 0
        groups[-1][1].append(probe.key)
        size += count
    return tuple((name, tuple(keys)) for name, keys in groups)
