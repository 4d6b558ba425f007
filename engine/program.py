"""A compiled policy's evaluation program: what every evaluation reads of the policy, worked out once (stage: evaluate).

``engine.evaluate`` scores the tree for each fact file. Everything it needs that depends on the policy
alone — each node's fixed fields, each leaf's rule plan bound to its probes and rounding, the fixed fields
of its deduction records, the inferred parts of fact declarations, the rounding, whether any node is ``unseen`` — is
built here once per compiled policy (``engine.memo``) and kept as plain frozen data, so an evaluation
only does the work that depends on the facts.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals
from engine.compile import CompiledIndicator, CompiledPolicy, LeafPlan
from engine.errors import SourceLocation
from engine.facts import Facts
from engine.memo import per_policy
from engine.rules.base import Fired
from engine.scoring import Outcome
from engine.trace import Status

__all__ = ["PRECISION", "LeafStep", "NodeStep", "Program", "Rounding", "program"]

ZERO = Decimal(0)
PRECISION = 34  # digits of the scoring context: far beyond any score the input limits allow


@dataclass(frozen=True, slots=True)
class LeafStep:
    """One scored indicator, ready to score: its plan, its probes and the fixed fields of its records."""

    node: CompiledIndicator
    plan: LeafPlan
    weight: Decimal
    score: Callable[[Decimal, Fired, Facts], Outcome]  # the rule plan's ``score``, bound
    points: Callable[[Decimal, Fired, Facts], Decimal]  # its ``points``: the same exact score, unexplained
    probes: tuple[str, ...]
    probe: str | None  # the only probe of a one-probe leaf (most are), else None
    exact: tuple[str, ...]  # facts compared unrounded (``compare: exact``)
    applicable_if: str | None
    adjusts: bool  # 加减分: outside the weighted tree
    status: Status
    # the fixed fields of this leaf's deduction records (engine.trace.Deduction)
    head: tuple[str, tuple[str, ...], str, str]  # its first four: indicator id, ancestors, rule id, rule kind
    rule_id: str
    wording: str
    provenance: str
    location: SourceLocation
    note: str | None
    inferred: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class NodeStep:
    """One node of the tree: a leaf's step, or its children's; an unseen node has neither."""

    node: CompiledIndicator
    leaf: LeafStep | None
    children: tuple[NodeStep, ...]
    excludes: bool = False  # a leaf below may be excluded (不适用，不计分), so this node's max depends on the facts


@dataclass(frozen=True, slots=True)
class Rounding:
    """The policy's rounding of each scored indicator."""

    places: int
    mode: str
    rounding: str  # the decimal module's constant
    quantum: Decimal
    note: str  # what a computation says after the rounded score
    context: decimal.Context  # the scoring context: only ever entered as a copy (decimal.localcontext copies it)

    @classmethod
    def of(cls, policy: CompiledPolicy) -> Rounding:
        """The rounding the policy declares, with the decimal module's constant and the note a computation shows."""
        places, mode = policy.rounding.places, policy.rounding.mode
        note = f"（{decimals.ROUNDING_NAMES[mode]}至 {places} 位）"
        context = decimal.Context(prec=PRECISION, rounding=decimals.ROUNDING_MODES[mode])
        context.traps[decimal.Inexact] = False
        return cls(places, mode, decimals.ROUNDING_MODES[mode], Decimal(1).scaleb(-places), note, context)


@dataclass(frozen=True, slots=True)
class Program:
    """The policy's tree as steps, and what every record of an evaluation shares."""

    roots: tuple[NodeStep, ...]
    rounding: Rounding
    has_unseen: bool  # any node declared ``unseen``: only then does the grade depend on unseen points
    fact_inferred: dict[str, tuple[tuple[str, str], ...]]  # a declaration's inferred parts, by fact name


def program(policy: CompiledPolicy) -> Program:
    """The policy's program, built on first use and kept with the policy."""
    return per_policy("evaluation-program", policy, lambda: _build(policy))


def _build(policy: CompiledPolicy) -> Program:
    nodes = list(policy.nodes())
    return Program(
        roots=tuple(_step(n) for n in policy.indicators),
        rounding=Rounding.of(policy),
        has_unseen=any(n.unseen for n in nodes),
        fact_inferred={d.name: tuple(d.spec.inferred.items()) for d in policy.facts if d.spec.inferred},
    )


def _step(node: CompiledIndicator) -> NodeStep:
    if node.leaf is not None:
        leaf = _leaf(node, node.leaf)
        return NodeStep(node, leaf, (), leaf.applicable_if is not None and node.leaf.rule.not_applicable == "exclude")
    children = tuple(_step(c) for c in node.children)
    return NodeStep(node, None, children, any(c.excludes for c in children))


def _leaf(node: CompiledIndicator, plan: LeafPlan) -> LeafStep:
    rule, adjusts = plan.rule, plan.kind.adjusts_total
    return LeafStep(
        node=node, plan=plan, weight=node.max if node.max is not None else ZERO, score=plan.plan.score,
        points=plan.plan.points,
        probes=plan.probes, probe=plan.probes[0] if len(plan.probes) == 1 else None,
        exact=plan.plan.exact_facts(), applicable_if=rule.applicable_if, adjusts=adjusts,
        status=Status.ADJUSTMENT if adjusts else Status.SCORED,
        head=(node.id, node.ancestors, rule.id, rule.kind), rule_id=rule.id, wording=rule.wording,
        provenance=rule.provenance, location=plan.location, note=rule.note, inferred=tuple(rule.inferred.items()),
    )
