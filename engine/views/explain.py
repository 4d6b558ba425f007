"""Views of a :class:`Result`: why not full marks, and what changed between two results (stage: explain; pure).

:func:`fails` answers "why not full marks?" from the recorded trace, without evaluating again: each
deduction with its chain of ancestors (as OPA's ``lineage.Fails`` keeps each event's ancestors),
sorted by points lost, with 加减分 apart. :func:`compare` lines two results up by stable ids (the
same policy on changed facts, or two policy versions on the same facts): the score delta of every
indicator and the deductions that appeared, changed or vanished.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from engine.errors import did_you_mean
from engine.trace import Deduction, IndicatorScore, Result, Status

__all__ = [
    "ChangeStatus", "Comparison", "DeductionChange", "Explanation", "Fail", "NodeChange", "UnknownIndicator",
    "compare", "deduction_key", "fails", "find", "is_below_full",
]

ZERO = Decimal(0)


class UnknownIndicator(LookupError):
    """An indicator id that is not in the result (a usage error, with a suggestion)."""


@dataclass(frozen=True, slots=True)
class Fail:
    """One deduction with the scored indicator it belongs to and that indicator's ancestors, root first."""

    deduction: Deduction
    node: IndicatorScore
    chain: tuple[IndicatorScore, ...]

    @property
    def points(self) -> Decimal:
        """Points lost (negative: gained by a bonus)."""
        return self.deduction.points


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a result is below full marks, within an optional indicator."""

    result: Result
    scope: IndicatorScore | None
    below_full: tuple[tuple[IndicatorScore, int], ...]
    fails: tuple[Fail, ...]
    adjustments: tuple[Fail, ...]

    @property
    def lost(self) -> Decimal:
        """Σ points lost in :attr:`fails`."""
        return sum((f.points for f in self.fails), ZERO)


def find(result: Result, indicator_id: str) -> IndicatorScore:
    """The node with this id.

    Raises:
        UnknownIndicator: no such id (the message suggests the nearest ones).
    """
    try:
        return result.node(indicator_id)
    except KeyError:
        ids = [n.id for n in result.nodes()]
        raise UnknownIndicator(f"未知指标「{indicator_id}」{did_you_mean(indicator_id, ids)}") from None


def fails(result: Result, indicator: str | None = None) -> Explanation:
    """Every indicator below full marks and every lost point, with ancestors; 加减分 apart.

    Args:
        result: a recorded evaluation; nothing is evaluated again.
        indicator: restrict the view to this indicator and the indicators below it.

    Raises:
        UnknownIndicator: ``indicator`` is not in the result.
    """
    scope = find(result, indicator) if indicator is not None else None
    roots = (scope,) if scope is not None else result.indicators
    found = [f for root in roots for f in _fails(root, _ancestors(result, root))]
    lost = [f for f in found if f.node.status != Status.ADJUSTMENT and f.points]
    adjustments = [f for f in found if f.node.status == Status.ADJUSTMENT]
    below = tuple((n, d) for root in roots for n, d in _depths(root, 0) if is_below_full(n))
    return Explanation(result, scope, below, tuple(sorted(lost, key=lambda f: -f.points)), tuple(adjustments))


def is_below_full(node: IndicatorScore) -> bool:
    """Whether a weighted indicator scored less than its weight (加减分 never is)."""
    return (node.status not in (Status.ADJUSTMENT, Status.UNSEEN) and node.max is not None
            and node.score < node.max - node.unscored())


def _ancestors(result: Result, target: IndicatorScore) -> tuple[IndicatorScore, ...]:
    def walk(node: IndicatorScore, chain: tuple[IndicatorScore, ...]) -> tuple[IndicatorScore, ...] | None:
        if node is target:
            return chain
        for child in node.children:
            found = walk(child, (*chain, node))
            if found is not None:
                return found
        return None

    for root in result.indicators:
        found = walk(root, ())
        if found is not None:
            return found
    return ()


def _fails(node: IndicatorScore, chain: tuple[IndicatorScore, ...]) -> Iterator[Fail]:
    for deduction in node.deductions:
        yield Fail(deduction, node, chain)
    for child in node.children:
        yield from _fails(child, (*chain, node))


def _depths(node: IndicatorScore, depth: int) -> Iterator[tuple[IndicatorScore, int]]:
    yield node, depth
    for child in node.children:
        yield from _depths(child, depth + 1)


# -- comparing two results -------------------------------------------------------------------
class ChangeStatus(StrEnum):
    """How a deduction differs between two results."""

    APPEARED = "appeared"
    CHANGED = "changed"
    VANISHED = "vanished"


@dataclass(frozen=True, slots=True)
class NodeChange:
    """One indicator in two results (``None`` where it does not exist)."""

    id: str
    name: str
    depth: int
    before: IndicatorScore | None
    after: IndicatorScore | None

    @property
    def delta(self) -> Decimal | None:
        """After − before, or ``None`` for an added or removed indicator."""
        if self.before is None or self.after is None:
            return None
        return self.after.score - self.before.score

    def is_changed(self) -> bool:
        """Added, removed, or scored differently."""
        return self.delta != 0


@dataclass(frozen=True, slots=True)
class DeductionChange:
    """A deduction that appeared, changed (points or computation) or vanished."""

    status: ChangeStatus
    name: str
    before: Deduction | None
    after: Deduction | None

    @property
    def deduction(self) -> Deduction:
        """The newer record if there is one, else the older."""
        found = self.after or self.before
        assert found is not None
        return found


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two results lined up by indicator id."""

    before: Result
    after: Result
    nodes: tuple[NodeChange, ...]
    deductions: tuple[DeductionChange, ...]

    @property
    def total_delta(self) -> Decimal:
        """Total after − total before."""
        return self.after.total - self.before.total

    def changed(self) -> tuple[NodeChange, ...]:
        """The indicators whose score changed, in tree order."""
        return tuple(n for n in self.nodes if n.is_changed())


def compare(before: Result, after: Result) -> Comparison:
    """Line up two results by indicator id: score deltas and deduction changes."""
    old = {n.id: (n, d) for root in before.indicators for n, d in _depths(root, 0)}
    new = [(n, d) for root in after.indicators for n, d in _depths(root, 0)]
    seen = {n.id for n, _ in new}
    nodes = [NodeChange(n.id, n.name, d, old.get(n.id, (None, 0))[0], n) for n, d in new]
    nodes += [NodeChange(n.id, n.name, d, n, None) for n, d in old.values() if n.id not in seen]
    names = {n.id: n.name for n in (*before.nodes(), *after.nodes())}
    return Comparison(before, after, tuple(nodes), tuple(_deduction_changes(before, after, names)))


def deduction_key(d: Deduction) -> tuple[str, str, bool]:
    """What identifies a deduction across two results: indicator, item, and whether it is a rounding residue."""
    return d.indicator_id, d.item or "", d.residue


def _deduction_changes(before: Result, after: Result, names: dict[str, str]) -> Iterator[DeductionChange]:
    old = {deduction_key(d): d for d in before.deductions()}
    new = {deduction_key(d): d for d in after.deductions()}
    for key, d in new.items():
        was = old.get(key)
        if was is None:
            yield DeductionChange(ChangeStatus.APPEARED, names[d.indicator_id], None, d)
        elif (was.points, was.computation, was.rule_id) != (d.points, d.computation, d.rule_id):
            yield DeductionChange(ChangeStatus.CHANGED, names[d.indicator_id], was, d)
    for key, d in old.items():
        if key not in new:
            yield DeductionChange(ChangeStatus.VANISHED, names[d.indicator_id], d, None)
