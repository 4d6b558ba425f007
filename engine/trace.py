"""Frozen trace records: what was read, what was computed, what was lost (stage: trace).

Records hold only ``Decimal``, strings, booleans, tuples and :class:`SourceLocation`; no
clocks, ids or randomness, so the same input always gives the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from engine.errors import SourceLocation

__all__ = ["Deduction", "FactRead", "IndicatorScore", "Result", "Status"]


class Status(StrEnum):
    """How an indicator was scored."""

    SCORED = "scored"
    NOT_APPLICABLE = "not_applicable"
    EXCLUDED = "excluded"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class FactRead:
    """One fact as a rule used it, with the place it was read from."""

    name: str
    value: Decimal | bool | str
    unit: str | None
    location: SourceLocation | None
    derivation: str | None = None
    quote: str | None = None


@dataclass(frozen=True, slots=True)
class Deduction:
    """Points lost (positive) or gained by a bonus (negative), with the reason.

    ``rule_kind`` is the name of the rule's kind (``engine.rules``); ``residue`` marks the difference
    left by rounding each part of a rule separately (it goes when the other parts are recovered).
    """

    indicator_id: str
    ancestors: tuple[str, ...]
    rule_id: str
    rule_kind: str
    wording: str
    provenance: str
    facts: tuple[FactRead, ...]
    computation: str
    threshold: str | None
    points: Decimal
    floored: bool
    capped: bool
    location: SourceLocation
    item: str | None = None
    judgement: bool = False
    note: str | None = None
    residue: bool = False


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """A node of the score tree."""

    id: str
    name: str
    max: Decimal | None
    score: Decimal
    status: Status
    children: tuple[IndicatorScore, ...]
    deductions: tuple[Deduction, ...]
    computation: str | None
    location: SourceLocation

    def lost(self) -> Decimal:
        """Points lost below this node (bonus counts negative): Σ deductions of the subtree."""
        own = sum((d.points for d in self.deductions), Decimal(0))
        return own + sum((c.lost() for c in self.children), Decimal(0))

    def walk(self) -> tuple[IndicatorScore, ...]:
        """This node and all nodes below it, depth first in policy order."""
        return (self, *(n for c in self.children for n in c.walk()))


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one evaluation: score tree, deductions inside it, identity of the inputs."""

    policy_id: str
    policy_name: str
    policy_version: str
    policy_digest: str
    department: str
    facts_file: str
    facts_digest: str
    max: Decimal
    total: Decimal
    grade: str | None
    indicators: tuple[IndicatorScore, ...]
    min_places: int
    max_places: int
    inferred_rules: int

    def nodes(self) -> tuple[IndicatorScore, ...]:
        """Every node of the tree, depth first in policy order."""
        return tuple(n for root in self.indicators for n in root.walk())

    def deductions(self) -> tuple[Deduction, ...]:
        """Every deduction in policy order."""
        return tuple(d for n in self.nodes() for d in n.deductions)

    def node(self, indicator_id: str) -> IndicatorScore:
        """The node with this id."""
        for n in self.nodes():
            if n.id == indicator_id:
                return n
        raise KeyError(indicator_id)
