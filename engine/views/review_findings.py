"""The findings of a review and how they are found (stage: explain; pure).

:class:`Checker` walks a result with the form's claims: the form's own arithmetic (表内算术) first, then
each claim against the computed score (与规则不符 or 舍入差异), a difference counted only where it
arises. The rules are described in ``engine.views.review``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from engine import decimals
from engine.claims import ClaimedScore, ClaimSet
from engine.compile import CompiledPolicy
from engine.trace import Deduction, IndicatorScore, Result, Status
from engine.views.review_adjust import Bounds

__all__ = ["ARITHMETIC", "CATEGORIES", "Agreement", "Checker", "Finding", "FindingKind", "Part", "ReviewLine",
           "classify"]

ZERO = Decimal(0)


class Agreement(StrEnum):
    """How a claimed score relates to a computed one."""

    EQUAL = "equal"
    ROUNDING = "rounding"
    DIFFERENT = "different"


def classify(claimed: Decimal, computed: Decimal, mode: str = "half_up", places: int | None = None) -> Agreement:
    """How a claimed score agrees with the computed one: equal, rounding or different.

    Equal as decimals; else rounding if the claim is the computed value rounded to ``places`` decimals
    (default: as many as the claim has) with ``mode``; else different.

    >>> classify(Decimal("1.69"), Decimal("1.690")), classify(Decimal("9"), Decimal("8.62"))
    (<Agreement.EQUAL: 'equal'>, <Agreement.ROUNDING: 'rounding'>)
    >>> classify(Decimal("8"), Decimal("8.62")), classify(Decimal("8.6"), Decimal("8.62"))
    (<Agreement.DIFFERENT: 'different'>, <Agreement.ROUNDING: 'rounding'>)

    A form that prints 13.932 elsewhere and writes 2 here means 2.000, not 1.69 rounded:

    >>> classify(Decimal("2"), Decimal("1.69")), classify(Decimal("2"), Decimal("1.69"), places=3)
    (<Agreement.ROUNDING: 'rounding'>, <Agreement.DIFFERENT: 'different'>)
    """
    if claimed == computed:
        return Agreement.EQUAL
    if decimals.quantize(computed, decimals.places_of(claimed) if places is None else places, mode) == claimed:
        return Agreement.ROUNDING
    return Agreement.DIFFERENT


class FindingKind(StrEnum):
    """What a finding says; :data:`CATEGORIES` groups them for people."""

    RULE = "rule"
    ROUNDING = "rounding"
    SUM = "sum"
    TOTAL = "total"
    ABOVE_MAX = "above_max"
    BELOW_FLOOR = "below_floor"


CATEGORIES = {FindingKind.RULE: "与规则不符", FindingKind.ROUNDING: "舍入差异", FindingKind.SUM: "表内算术",
              FindingKind.TOTAL: "表内算术", FindingKind.ABOVE_MAX: "表内算术", FindingKind.BELOW_FLOOR: "表内算术"}
ARITHMETIC = (FindingKind.SUM, FindingKind.TOTAL, FindingKind.ABOVE_MAX, FindingKind.BELOW_FLOOR)


@dataclass(frozen=True, slots=True)
class Part:
    """One row of a claimed sum: its claim, or (``location`` None) the sum of its own claimed rows."""

    id: str
    name: str
    value: Decimal
    location: ClaimedScore | None


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the review found, located at the claim it is about (``indicator`` None: the total).

    ``expected`` is the computed score (rule, rounding), the sum of the rows (sum, total) or the bound
    (above_max, below_floor); ``difference`` is what the finding counts: claimed − expected, less what
    ``explained`` says the rows below already account for.
    """

    kind: FindingKind
    indicator: str | None
    name: str
    claimed: ClaimedScore
    expected: Decimal
    difference: Decimal
    explained: Decimal = ZERO
    parts: tuple[Part, ...] = ()
    deductions: tuple[Deduction, ...] = ()
    full_marks: tuple[IndicatorScore, ...] = ()
    bound: Bounds | None = None
    places: int = 0

    @property
    def category(self) -> str:
        """表内算术, 与规则不符 or 舍入差异."""
        return CATEGORIES[self.kind]

    @property
    def counts(self) -> bool:
        """Whether it is a difference (a rounding difference is not)."""
        return self.kind != FindingKind.ROUNDING


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """One row of the review table: an indicator (``id`` None: the total) claimed vs computed."""

    id: str | None
    name: str
    depth: int
    max: Decimal | None
    claimed: ClaimedScore | None
    computed: Decimal
    adjusted: Decimal
    status: str
    unseen: Decimal = ZERO
    """Points of ``max`` whose score is unknown (``unseen`` nodes at or below): ``computed`` is the seen part."""
    unknown: bool = False
    """The node itself is declared ``unseen``: its rule score is unknown (``computed`` means nothing)."""


class Checker:
    """Finds what a review reports; one per review."""

    def __init__(self, policy: CompiledPolicy, result: Result, claims: ClaimSet,
                 bounds: Mapping[str | None, Bounds]) -> None:
        self.result, self.claims, self.bounds = result, claims, bounds
        self.mode = policy.rounding.mode
        self.cap = policy.total.cap

    # -- claims and their rows ----------------------------------------------------------------
    def claimed(self, node: IndicatorScore | None) -> ClaimedScore | None:
        """The claimed score of ``node`` (of the total for ``None``), if the form claims one."""
        return self.claims.total if node is None else self.claims.get(node.id)

    def children(self, node: IndicatorScore | None) -> tuple[IndicatorScore, ...]:
        """The rows below ``node`` (the top-level indicators for ``None``)."""
        return self.result.indicators if node is None else node.children

    def computed(self, node: IndicatorScore | None) -> Decimal:
        """The engine's score of ``node`` (the total for ``None``)."""
        return self.result.total if node is None else node.score

    def cover(self, node: IndicatorScore) -> Part | None:
        """The node's claim, or the sum of its rows when each has one; an unclaimed excluded row is 0."""
        claim = self.claimed(node)
        if claim is not None:
            return Part(node.id, node.name, claim.value, claim)
        if node.status == Status.EXCLUDED:
            return Part(node.id, node.name, ZERO, None)
        parts = [self.cover(c) for c in node.children]
        if not node.children or any(p is None for p in parts):
            return None
        return Part(node.id, node.name, sum((p.value for p in parts if p), ZERO), None)

    def nearest(self, node: IndicatorScore | None) -> Iterator[IndicatorScore]:
        """The claimed nodes below, with no claimed node in between."""
        for child in self.children(node):
            if self.claimed(child) is not None:
                yield child
            else:
                yield from self.nearest(child)

    def unseen(self, node: IndicatorScore | None) -> Decimal:
        """Points of max below ``node`` (the total for ``None``) whose score is unknown."""
        return self.result.unseen() if node is None else node.unseen()

    def uncovered(self, node: IndicatorScore | None) -> Decimal:
        """Unseen points below ``node`` that no claimed row below accounts for.

        A claimed row below carries its own unseen points (the form claims them); what is left makes the
        rule's score of ``node`` unknown, so its claim cannot be compared.
        """
        return self.unseen(node) - sum((n.unseen() for n in self.nearest(node)), ZERO)

    def gap(self, node: IndicatorScore) -> Decimal:
        """Claimed minus computed, for a claimed node."""
        claim = self.claimed(node)
        assert claim is not None
        return claim.value - node.score

    # -- findings -----------------------------------------------------------------------------
    def findings(self) -> Iterator[Finding]:
        """Every finding, indicator by indicator in policy order, then the total's."""
        for node in (*self.result.nodes(), None):
            claim = self.claimed(node)
            if claim is not None:
                yield from self.check(node, claim)

    def check(self, node: IndicatorScore | None, claim: ClaimedScore) -> Iterator[Finding]:
        """The findings for one claimed row: beyond its bounds, its rows not adding up, and its rule."""
        ident, name = (None, "总分") if node is None else (node.id, node.name)
        bound = self.bounds[ident]
        if claim.value > bound.ceiling:
            yield Finding(FindingKind.ABOVE_MAX, ident, name, claim, bound.ceiling, claim.value - bound.ceiling,
                          bound=bound)
        if claim.value < bound.floor:
            yield Finding(FindingKind.BELOW_FLOOR, ident, name, claim, bound.floor, claim.value - bound.floor,
                          bound=bound)
        arithmetic = ZERO
        parts = self.parts(node)
        if parts is not None:
            expected = sum((p.value for p in parts), ZERO)
            if node is None and self.cap is not None:
                expected = min(expected, self.cap)
            if claim.value != expected:
                arithmetic = claim.value - expected
                kind = FindingKind.TOTAL if node is None else FindingKind.SUM
                yield Finding(kind, ident, name, claim, expected, arithmetic, parts=parts)
        yield from self.rule(node, ident, name, claim, arithmetic)

    def parts(self, node: IndicatorScore | None) -> tuple[Part, ...] | None:
        """What each row below ``node`` claims (or sums to), when every row has one."""
        children = self.children(node)
        parts = [self.cover(c) for c in children]
        if not children or any(p is None for p in parts):
            return None
        return tuple(p for p in parts if p is not None)

    def rule(self, node: IndicatorScore | None, ident: str | None, name: str, claim: ClaimedScore,
             arithmetic: Decimal) -> Iterator[Finding]:
        """The difference neither the claimed rows below nor the arithmetic explain: rounding, or the rule."""
        if self.uncovered(node):
            return  # the rule's score is unknown (原表未见): nothing to compare the claim with
        below = tuple(self.nearest(node))
        explained = sum((self.gap(n) for n in below), ZERO) + arithmetic
        computed = self.computed(node)
        places = max(decimals.places_of(claim.value), self.claims.places)
        agreement = classify(claim.value, computed + explained, self.mode, places)
        if agreement == Agreement.EQUAL:
            return
        kind = FindingKind.ROUNDING if agreement == Agreement.ROUNDING else FindingKind.RULE
        skip = {n.id for n in below}
        scope = self.children(node) if node is None else (node,)
        deductions = tuple(d for root in scope for d in _deductions(root, skip))
        full = tuple(leaf for root in scope for leaf in _full_marks(root, skip))
        yield Finding(kind, ident, name, claim, computed, claim.value - explained - computed, explained,
                      deductions=deductions, full_marks=full, places=places)

    # -- the table and the total difference ---------------------------------------------------
    def lines(self, findings: tuple[Finding, ...], adjusted: Mapping[str, Decimal],
              adjusted_total: Decimal) -> Iterator[ReviewLine]:
        """The review table: one line per indicator in policy order, then the total."""
        for node, depth in _depths(self.result.indicators, 0):
            yield ReviewLine(node.id, node.name, depth, node.max, self.claimed(node), node.score, adjusted[node.id],
                             self.status(node, findings), node.unseen(), node.status is Status.UNSEEN)
        yield ReviewLine(None, "总分", 0, self.result.max, self.claims.total, self.result.total, adjusted_total,
                         self.status(None, findings), self.result.unseen())

    def status(self, node: IndicatorScore | None, findings: tuple[Finding, ...]) -> str:
        """The status column of a row: its findings' labels, 一致, 差异来自下级, or empty when not claimed.

        An unseen row says 原表未见 (claimed: 原表未见，无法复核); a claimed row with unseen points below that
        the claimed rows below do not account for says 含未见 N 分，无法复核, and one whose unseen points they
        account for (its seen part agreeing) 已见部分一致.
        """
        claim = self.claimed(node)
        unseen = self.unseen(node)
        own_unseen = node is not None and node.status is Status.UNSEEN
        if claim is None:
            return "原表未见" if own_unseen else ""
        ident = None if node is None else node.id
        own = list(dict.fromkeys(_LABELS[f.kind] for f in findings if f.indicator == ident))
        uncovered = self.uncovered(node)
        if uncovered:
            own.append("原表未见，无法复核" if own_unseen else f"含未见 {decimals.fmt(uncovered)} 分，无法复核")
        if own:
            return "；".join(own)
        if unseen:  # the claim is the seen part plus the claims on the unseen rows below: its gap is unknown
            below = {n.id for n in (self.result.nodes() if node is None else node.walk())}
            return "差异来自下级" if any(f.counts and f.indicator in below for f in findings) else "已见部分一致"
        return "一致" if claim.value == self.computed(node) else "差异来自下级"

    def difference(self) -> Decimal | None:
        """Claimed total − computed total; without a claimed total, the same over the top claimed rows.

        With unseen points the total's difference is unknown: the sum over the top claimed rows with
        nothing unseen below them (the seen part), None when there is none.
        """
        if self.result.unseen():
            seen = tuple(_seen_claimed(self, self.result.indicators))
            return sum((self.gap(n) for n in seen), ZERO) if seen else None
        if self.claims.total is not None:
            return self.claims.total.value - self.result.total
        top = tuple(self.nearest(None))
        return sum((self.gap(n) for n in top), ZERO) if top else None


_LABELS = {FindingKind.RULE: "与规则不符", FindingKind.ROUNDING: "舍入差异", FindingKind.SUM: "下级合计不符",
           FindingKind.TOTAL: "各项合计不符", FindingKind.ABOVE_MAX: "超过分值", FindingKind.BELOW_FLOOR: "低于下限"}


def _seen_claimed(checker: Checker, nodes: tuple[IndicatorScore, ...]) -> Iterator[IndicatorScore]:
    """The highest claimed nodes with nothing unseen below them."""
    for node in nodes:
        if checker.claimed(node) is not None and not node.unseen():
            yield node
        else:
            yield from _seen_claimed(checker, node.children)


def _deductions(node: IndicatorScore, skip: set[str]) -> Iterator[Deduction]:
    if node.id in skip:
        return
    yield from node.deductions
    for child in node.children:
        yield from _deductions(child, skip)


def _full_marks(node: IndicatorScore, skip: set[str]) -> Iterator[IndicatorScore]:
    if node.id in skip:
        return
    if not node.children and not node.deductions and node.status != Status.ADJUSTMENT:
        yield node
    for child in node.children:
        yield from _full_marks(child, skip)


def _depths(nodes: tuple[IndicatorScore, ...], depth: int) -> Iterator[tuple[IndicatorScore, int]]:
    for node in nodes:
        yield node, depth
        yield from _depths(node.children, depth + 1)
