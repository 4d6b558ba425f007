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
from engine.drafts import draft_of

__all__ = ["Outcome", "Part", "combine"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, init=False)
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

    def __new__(cls, points: Decimal, computation: str, threshold: str | None = None, floored: bool = False,
                capped: bool = False, item: str | None = None, wording: str | None = None,
                judgement: bool = False) -> Part:
        """The part, built from a draft (``engine.drafts``): several per explained rule, cheaper than ``__init__``."""
        made = _PartDraft()
        made.points = points
        made.computation = computation
        made.threshold = threshold
        made.floored = floored
        made.capped = capped
        made.item = item
        made.wording = wording
        made.judgement = judgement
        made.__class__ = cls
        return made  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, init=False)
class Outcome:
    """Exact score of one rule, its computation and the reasons for every lost point."""

    score: Decimal
    computation: str
    parts: tuple[Part, ...] = ()

    def __new__(cls, score: Decimal, computation: str, parts: tuple[Part, ...] = ()) -> Outcome:
        """The outcome, built as :class:`Part` is."""
        made = _OutcomeDraft()
        made.score = score
        made.computation = computation
        made.parts = parts
        made.__class__ = cls
        return made  # type: ignore[no-any-return]


_PartDraft = draft_of(Part)
_OutcomeDraft = draft_of(Outcome)


def combine(outcomes: Sequence[Outcome], joiner: str = "；") -> Outcome:
    """Sum several outcomes (checklist items, targets) into one."""
    total = sum((o.score for o in outcomes), ZERO)
    parts = tuple(p for o in outcomes for p in o.parts)
    return Outcome(total, joiner.join(o.computation for o in outcomes) + f"；合计 {show(total)}", parts)
