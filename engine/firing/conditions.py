"""The firing table's vocabulary: tests on exact integers, branches, probes (stage: compile).

A *probe* is one message sent to the firing engine (one per rule, checklist item or target);
its *branches* are the rule's mutually exclusive cases, each a conjunction of *tests*.
Decimal facts travel as a pair of integers at the policy's firing scale ``10**K``:
``lo = floor(v·10**K)`` and ``hi = ceil(v·10**K)``. For a threshold ``t`` that is an integer
at that scale, ``v ≥ t ⟺ lo ≥ t``, ``v > t ⟺ hi > t``, ``v ≤ t ⟺ hi ≤ t``, ``v < t ⟺ lo < t``,
exactly, whatever the precision of ``v``; binary doubles never decide a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Self

from engine.intervals import Interval, gaps

__all__ = ["AnyOf", "Branch", "Case", "Input", "Marker", "Probe", "Test", "bounds", "interval_tests", "scale_pair"]

MAX_EXACT = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Test:
    """``field op value`` or ``field op other_field`` (same message)."""

    field: str
    op: str
    value: int | bool | str | Decimal | None = None
    other: str | None = None


@dataclass(frozen=True, slots=True)
class AnyOf:
    """A disjunction of tests."""

    tests: tuple[Test, ...]


class Case(StrEnum):
    """What a branch means: its name in the firing table and its Chinese label.

    Each rule kind declares its cases as a subclass (``BAND = "band", "档次"``); an indexed case
    (a band, a comparison case, a tier) is named ``band:0``, ``band:1``… in the firing table.
    """

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        """A member whose value is ``value`` and whose Chinese label is ``label``."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Marker(Case):
    """Cases every kind may use: not applicable, a value in no case, an always-true marker."""

    NOT_APPLICABLE = "na", "不适用"
    GAP = "gap", "空档"
    SEEN = "seen", "已处理"


# Members bound once: on Python 3.11 every attribute read of an Enum class goes through EnumType.__getattr__'s
# hook, about ten times a module global's cost, and the evaluation's hot path reads these for every rule.
_SEEN, _GAP = Marker.SEEN, Marker.GAP


@dataclass(frozen=True, slots=True)
class Branch:
    """One case of a rule: its name, the conjunction that selects it, and what it means.

    ``case`` and ``index`` say which case of its kind the branch is (``index`` for a band, a
    comparison case, a tier), so no code parses ``name``.
    """

    name: str
    cond: tuple[Test | AnyOf, ...]
    case: Case | None = None
    index: int | None = None

    @classmethod
    def of(cls, case: Case, cond: tuple[Test | AnyOf, ...], index: int | None = None) -> Branch:
        """The branch for ``case`` (the ``index``-th one, if indexed).

        >>> Branch.of(Marker.GAP, (), 2).name
        'gap:2'
        """
        return cls(str(case) if index is None else f"{case}:{index}", cond, case, index)

    def label(self) -> str:
        """The Chinese label of the branch's case, numbered from 1 when indexed.

        >>> Branch.of(Marker.GAP, (), 2).label(), Branch("x", ()).label()
        ('空档 3', 'x')
        """
        head = self.case.label if self.case is not None else self.name
        return head if self.index is None else f"{head} {self.index + 1}"

    def is_marker(self) -> bool:
        """Whether this branch only marks a message as handled (no case of the rule)."""
        return self.case is _SEEN

    def is_gap(self) -> bool:
        """Whether this branch holds for a value no case covers."""
        return self.case is _GAP


@dataclass(frozen=True, slots=True)
class Input:
    """How one message field is filled from a fact."""

    field: str
    fact: str
    encoding: Literal["bounds", "bool", "enum", "pair"]
    other: str | None = None
    exact: bool = False  # a "bounds" input of a derived fact, sent unrounded (``compare: exact``)


@dataclass(frozen=True, slots=True)
class Probe:
    """One message kind and its branches; ``each_target`` sends one message per target."""

    key: str
    rule_id: str
    inputs: tuple[Input, ...]
    branches: tuple[Branch, ...]
    each_target: str | None = None


def interval_tests(field: str, interval: Interval) -> tuple[Test, ...]:
    """Tests selecting ``interval`` on the bounds pair ``field_lo``/``field_hi`` (unscaled).

    >>> from engine.intervals import parse_interval
    >>> [(t.field, t.op, str(t.value)) for t in interval_tests("x", parse_interval("[80, 90)"))]
    [('x_lo', '>=', '80'), ('x_lo', '<', '90')]
    """
    tests = []
    if interval.lo is not None:
        tests.append(Test(f"{field}_lo", ">=", interval.lo) if interval.lo_closed
                     else Test(f"{field}_hi", ">", interval.lo))
    if interval.hi is not None:
        tests.append(Test(f"{field}_hi", "<=", interval.hi) if interval.hi_closed
                     else Test(f"{field}_lo", "<", interval.hi))
    return tuple(tests)


def complement_tests(field: str, interval: Interval) -> AnyOf:
    """A disjunction that holds exactly outside ``interval``."""
    return AnyOf(tuple(t for gap in gaps([interval]) for t in interval_tests(field, gap)))


def bounds(value: Decimal, scale: int) -> tuple[int, int] | None:
    """``(floor, ceil)`` of ``value·10**scale``, or ``None`` beyond exact doubles.

    >>> bounds(Decimal("97.30"), 2), bounds(Decimal("84.2961"), 2), bounds(Decimal("-0.5"), 0)
    ((9730, 9730), (8429, 8430), (-1, 0))
    """
    scaled = value.scaleb(scale)
    whole = int(scaled)  # exact, toward zero
    if whole == scaled:
        lo = hi = whole
    elif scaled > 0:
        lo, hi = whole, whole + 1
    else:
        lo, hi = whole - 1, whole
    return (lo, hi) if lo >= -MAX_EXACT and hi <= MAX_EXACT else None  # lo ≤ hi: both within ±MAX_EXACT


def scale_pair(left: Decimal, right: Decimal) -> tuple[int, int] | None:
    """Both values as integers at their common exact scale, or ``None`` beyond exact doubles.

    >>> scale_pair(Decimal("120"), Decimal("150.5")), scale_pair(Decimal("21.00"), Decimal("3E+1"))
    ((1200, 1505), (21, 30))
    """
    pair = int(left), int(right)  # whole numbers (counts, the usual targets) are their own scale: no normalising
    if pair[0] != left or pair[1] != right:
        places = max(_places(left), _places(right))
        pair = int(left.scaleb(places)), int(right.scaleb(places))
    return pair if max(map(abs, pair)) <= MAX_EXACT else None


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
