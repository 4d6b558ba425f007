"""What a rule kind's inversion returns, and the helpers kinds share for it (stage: rules; pure).

A kind inverts a deduction into a :class:`Change` of one fact (exact, with ``Decimal``) or says in a
:class:`Plain` statement what would have to change; ``engine.views.recover`` verifies every change by
evaluating again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from engine import decimals
from engine.source import Path

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["Change", "Known", "Plain", "change", "current", "nudge"]


@dataclass(frozen=True, slots=True)
class Change:
    """Set ``fact`` (or the item at ``path`` inside it) so that it stands in ``relation`` to ``bound``.

    ``value`` is the value to try: the bound itself, or the nearest value past it for ``<`` and ``>``.
    ``recovers`` is what the rule gives back (all the points, or what its best band allows).
    """

    fact: str
    before: Decimal | bool | None
    bound: Decimal | bool
    relation: str
    value: Decimal | bool
    unit: str | None
    recovers: Decimal
    path: Path = ()
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Plain:
    """A deduction no change of one fact can be computed for: what would have to change, in words."""

    text: str


@dataclass(frozen=True, slots=True)
class Known:
    """The facts of the evaluation being inverted, and which facts are declared integers."""

    facts: Facts
    integers: frozenset[str] = frozenset()


def current(known: Known, name: str) -> Decimal | None:
    """A numeric fact's value, ``None`` if it is absent or not a number."""
    found = known.facts.values.get(name)
    return found.value if found is not None and isinstance(found.value, Decimal) else None


def change(known: Known, name: str, bound: Decimal, relation: str, recovers: Decimal) -> Change:
    """Move fact ``name`` to stand in ``relation`` to ``bound``, recovering ``recovers`` points."""
    value = current(known, name)
    found = known.facts.values.get(name)
    tried = nudge(bound, relation, value, integer=name in known.integers)
    return Change(name, value, bound, relation, tried, found.unit if found else None, recovers)


def nudge(bound: Decimal, relation: str, current: Decimal | None, *, integer: bool = False) -> Decimal:
    """The value to try: ``bound`` itself, or one unit of the last shown decimal past it for ``<``/``>``.

    >>> nudge(Decimal(6), "<", Decimal("11.44")), nudge(Decimal(5), ">", None)
    (Decimal('5.99'), Decimal('5.01'))
    >>> nudge(Decimal(3), "<", None, integer=True), nudge(Decimal(90), "≥", Decimal("84.29"))
    (Decimal('2'), Decimal('90'))
    """
    if relation not in ("<", ">"):
        return bound
    places = 0 if integer else max(2, decimals.places_of(bound), decimals.places_of(current or bound))
    step = Decimal(1).scaleb(-places)
    return bound - step if relation == "<" else bound + step
