"""What if a fact were different? One scenario against the recorded result, or a sweep over one fact.

:func:`whatif` evaluates the fact file with ``NAME=VALUE`` overrides (``engine.views.scenario``) and lines the
new result up with the old one (``engine.views.explain.compare``): the delta per indicator and the deductions
that appeared, changed or vanished. :func:`sweep` tabulates, against one fact, the scores of the
indicators whose rules read it (directly or through a derived fact) and the total: what a reviewer plots.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from engine.compile import CompiledIndicator, CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.evaluate import evaluate, facts_read
from engine.facts import Facts, FactValue
from engine.firing.backends import Backend
from engine.source import SourceDoc
from engine.trace import Result
from engine.views.explain import Comparison, compare
from engine.views.scenario import ARGUMENT_DIGITS, Override, OverrideSyntax, Scenario, check_magnitude, run

__all__ = ["FactChange", "Sweep", "SweepPoint", "SweepSpec", "WhatIf", "affected", "parse_sweep", "sweep", "whatif"]

SWEEP_FILE = "--sweep"
MAX_POINTS = 1001
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)


@dataclass(frozen=True, slots=True)
class FactChange:
    """A fact before and after the overrides (``derived``: recomputed because an input changed)."""

    name: str
    before: FactValue | None
    after: FactValue | None
    derived: bool


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A scenario and how it differs from the recorded result."""

    facts: tuple[FactChange, ...]
    scenario: Scenario
    comparison: Comparison

    @property
    def before(self) -> Result:
        """The result of the fact file as it is."""
        return self.comparison.before

    @property
    def after(self) -> Result:
        """The result with the overrides."""
        return self.comparison.after


def whatif(policy: CompiledPolicy, doc: SourceDoc, facts: Facts, overrides: Sequence[Override], *,
           backend: Backend | None = None) -> WhatIf:
    """Evaluate the fact file with ``overrides`` and compare with the file as it is.

    Args:
        policy: the compiled policy.
        doc: the fact file as parsed (values and positions).
        facts: the same file, validated (the baseline).
        overrides: the changed facts.
        backend: the firing backend (default: durable_rules).

    Raises:
        PolicyErrors: a changed fact fails the fact-file validation (located at its ``--set``).
    """
    before = evaluate(policy, facts, backend=backend)
    scenario = run(policy, doc, facts.digest, overrides, backend)
    names = [*dict.fromkeys(o.name for o in overrides)]
    changes = [FactChange(n, facts.values.get(n), scenario.facts.values.get(n), False) for n in names]
    changes += [FactChange(n, facts.values.get(n), scenario.facts.values.get(n), True) for n in scenario.recomputed]
    return WhatIf(tuple(changes), scenario, compare(before, scenario.result))


# -- sweeps ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SweepSpec:
    """``NAME=FROM:TO:STEP``: the values of one fact to try."""

    name: str
    start: Decimal
    stop: Decimal
    step: Decimal
    text: str

    def values(self) -> tuple[Decimal, ...]:
        """FROM, FROM + STEP, … up to TO (inclusive when it falls on a step).

        >>> [str(v) for v in parse_sweep("率=0:1:0.25").values()]
        ['0.00', '0.25', '0.50', '0.75', '1.00']
        """
        with localcontext() as exact:  # FROM + STEP × i exactly: each has at most 2 × ARGUMENT_DIGITS digits
            exact.prec = 4 * ARGUMENT_DIGITS + 4
            count = math.floor((self.stop - self.start) / self.step) + 1
            return tuple(self.start + self.step * i for i in range(count))


def parse_sweep(text: str) -> SweepSpec:
    """Parse ``NAME=FROM:TO:STEP``; the numbers are plain (half-width) decimals of bounded size.

    Raises:
        OverrideSyntax: malformed, STEP ≤ 0, FROM > TO, a number out of reach, or more than ``MAX_POINTS``
            values.
    """
    name, sep, rest = text.partition("=")
    parts = rest.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise OverrideSyntax(f"应写成 事实名=起点:终点:步长，例如 财政拨款收入预决算差异率=0:12:0.5：得到 {text!r}")
    start, stop, step = (_sweep_number(p.strip(), rest) for p in parts)
    if step <= 0 or start > stop:
        raise OverrideSyntax(f"步长应大于 0，且起点不大于终点：得到 {rest!r}")
    with localcontext() as wide:  # bounded operands: the quotient cannot overflow; ≥ MAX_POINTS is all we ask
        wide.prec = 4 * ARGUMENT_DIGITS + 4
        if (stop - start) / step >= MAX_POINTS:
            raise OverrideSyntax(f"取值点太多（最多 {MAX_POINTS} 个）：请加大步长")
    return SweepSpec(name.strip(), start, stop, step, text)


def _sweep_number(part: str, rest: str) -> Decimal:
    if not _NUMBER.fullmatch(part):
        plain = unicodedata.normalize("NFKC", part)
        hint = f"，是否为「{plain}」？请用半角数字" if plain != part and _NUMBER.fullmatch(plain) else ""
        raise OverrideSyntax(f"起点、终点、步长应为数值：得到「{part}」{hint}（{rest!r}）")
    number = Decimal(part)
    problem = check_magnitude(number, part)
    if problem:
        raise OverrideSyntax(problem)
    return number


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """The affected indicators' scores and the total at one value of the fact."""

    value: Decimal
    scores: tuple[Decimal, ...]
    total: Decimal
    is_current: bool


@dataclass(frozen=True, slots=True)
class Sweep:
    """A table of scores against one fact; ``columns`` are the affected indicators, leaves first."""

    spec: SweepSpec
    unit: str | None
    columns: tuple[CompiledIndicator, ...]
    points: tuple[SweepPoint, ...]
    current: Decimal | None
    base: Result
    overrides: tuple[Override, ...]


def sweep(policy: CompiledPolicy, doc: SourceDoc, facts: Facts, spec: SweepSpec,
          overrides: Sequence[Override] = (), *, backend: Backend | None = None) -> Sweep:
    """Evaluate the fact file at every value of ``spec`` (plus the current value), after ``overrides``.

    Raises:
        PolicyErrors: a swept value fails the fact-file validation (located at ``--sweep``).
        JixiaoError: the swept fact is also changed by an override (``source.duplicate_key``).
    """
    where = SourceLocation(SWEEP_FILE, 1, len(SWEEP_FILE) + len(spec.name) + 3)
    for override in overrides:
        if override.name == spec.name:
            raise JixiaoError(ErrorCode.SOURCE_DUPLICATE_KEY,
                              f"事实「{spec.name}」既由 {override.key_location} 改动，又要扫描取值：二者只能选一",
                              SourceLocation(SWEEP_FILE, 1, len(SWEEP_FILE) + 2), f"{SWEEP_FILE} {spec.name}")
    base = run(policy, doc, facts.digest, overrides, backend) if overrides else None
    base_facts = base.facts if base else facts
    found = base_facts.values.get(spec.name)
    current = found.value if found is not None and isinstance(found.value, Decimal) else None
    columns = affected(policy, spec.name)
    values = sorted({*spec.values(), *([current] if current is not None else [])})
    points = []
    for value in values:
        point = Override(spec.name, value, f"{spec.name}={value}", where, where)
        result = run(policy, doc, facts.digest, [*overrides, point], backend).result
        scores = tuple(result.node(c.id).score for c in columns)
        points.append(SweepPoint(value, scores, result.total, value == current))
    result = base.result if base else evaluate(policy, facts, backend=backend)
    unit = found.unit if found is not None else next((d.spec.unit for d in policy.facts if d.name == spec.name), None)
    return Sweep(spec, unit, columns, tuple(points), current, result, tuple(overrides))


def affected(policy: CompiledPolicy, name: str) -> tuple[CompiledIndicator, ...]:
    """Indicators whose score can depend on fact ``name``, deepest first, then in policy order.

    They are the leaves reading it (or a fact derived from it) and their ancestors.
    """
    nodes = {n.id: n for n in policy.nodes()}
    index = {ident: i for i, ident in enumerate(nodes)}
    depth: dict[str, int] = {}
    for node, chain in _with_chains(policy.indicators, ()):
        if name in facts_read(policy, node):
            depth.update((hit.id, d) for d, hit in enumerate((*chain, node)))
    return tuple(nodes[i] for i in sorted(depth, key=lambda i: (-depth[i], index[i])))


def _with_chains(nodes: tuple[CompiledIndicator, ...], chain: tuple[CompiledIndicator, ...]
                 ) -> Iterator[tuple[CompiledIndicator, tuple[CompiledIndicator, ...]]]:
    for node in nodes:
        yield node, chain
        yield from _with_chains(node.children, (*chain, node))
