"""What scoring one rule gives: an exact :class:`Outcome` and its :class:`Part` list (stage: evaluate).

The firing engine decides *which* branch of a rule holds; each rule kind (``engine.rules``) computes
*how many* points with exact decimals and says how, with the numbers substituted. Kinds never round:
the policy's rounding is applied per scored indicator by ``engine.evaluate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from engine.decimals import show

__all__ = ["Outcome", "Part", "combine"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Part:
    """One reason for lost points (negative: points gained by a bonus)."""

    points: Decimal
    computation: str
    threshold: str | None = None
    floored: bool = False
    capped: bool = False
    item: str | None = None
    wording: str | None = None
    judgement: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exact score of one rule, its computation and the reasons for every lost point."""

    score: Decimal
    computation: str
    parts: tuple[Part, ...] = ()


def combine(outcomes: Sequence[Outcome], joiner: str = "；") -> Outcome:
    """Sum several outcomes (checklist items, targets) into one."""
    total = sum((o.score for o in outcomes), ZERO)
    parts = tuple(p for o in outcomes for p in o.parts)
    return Outcome(total, joiner.join(o.computation for o in outcomes) + f"；合计 {show(total)}", parts)
