"""The rule kinds: one module each, and this registry — the one list to edit to add a kind.

Every stage asks a rule's kind (:func:`kind_of`) and the plan it compiled, never ``isinstance``;
``engine.schema`` builds the policy's rule union from :data:`KINDS`, in this order. Steps to add a
kind: ``docs/adding-a-rule-kind.md``.
"""

from __future__ import annotations

from engine.rules import (
    adjustment,
    bands,
    checklist,
    comparison,
    judgement,
    per_count,
    per_point,
    proportional,
    step,
    targets,
)
from engine.rules.base import Kind, RuleBase

__all__ = ["BY_NAME", "KINDS", "kind_of", "label_of"]

KINDS: tuple[Kind, ...] = (
    proportional.KIND,
    per_point.KIND,
    step.KIND,
    per_count.KIND,
    bands.KIND,
    checklist.KIND,
    comparison.KIND,
    judgement.KIND,
    adjustment.KIND,
    targets.KIND,
)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}


def kind_of(rule: RuleBase) -> Kind:
    """The kind of a validated rule."""
    return BY_NAME[rule.kind]


def label_of(name: str) -> str:
    """The Chinese name of a rule kind (the name itself for one not registered).

    >>> label_of("bands"), label_of("rounding")
    ('分档', 'rounding')
    """
    kind = BY_NAME.get(name)
    return kind.label if kind is not None else name
