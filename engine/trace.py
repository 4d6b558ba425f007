"""Frozen trace records: what was read, what was computed, what was lost (stage: trace).

Records hold only ``Decimal``, strings, booleans, tuples and :class:`SourceLocation`; no
clocks, ids or randomness, so the same input always gives the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from engine.errors import SourceLocation

__all__ = ["Deduction", "FactRead", "Finding", "IndicatorScore", "Result", "Status"]


class Status(StrEnum):
    """How an indicator was scored."""

    SCORED = "scored"
    NOT_APPLICABLE = "not_applicable"
    EXCLUDED = "excluded"
    ADJUSTMENT = "adjustment"
    UNSEEN = "unseen"  # declared ``unseen``: the source is cut off; its max counts, its score is unknown


_UNSEEN = Status.UNSEEN  # bound once (engine.firing.conditions: _SEEN)


@dataclass(frozen=True, slots=True)
class FactRead:
    """One fact as a rule used it, with the place it was read from."""

    name: str
    value: Decimal | bool | str
    unit: str | None
    location: SourceLocation | None
    derivation: str | None = None
    quote: str | None = None
    source: str | None = None  # the fact file's ``source`` (where the report states it), not the file:line
    note: str | None = None
    inferred: tuple[tuple[str, str], ...] = ()  # the policy's inferred parts of the declaration: (key, note)


@dataclass(frozen=True, slots=True)
class TableFact:
    """A table fact as the fact file gave it: ``None`` is a blank cell (空), printed "—"."""

    name: str
    unit: str | None
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[Decimal | None, ...], ...]  # row by row, in the declared order

    def shown(self) -> tuple[tuple[str, ...], ...]:
        """Each row's label and cells as reports print them.

        >>> TableFact("资金", "万元", ("拨款",), ("预算", "执行"), ((Decimal("1.50"), None),)).shown()
        (('拨款', '1.50', '—'),)
        """
        return tuple((row, *("—" if v is None else _plain(v) for v in values))
                     for row, values in zip(self.rows, self.cells, strict=True))


def _plain(value: Decimal) -> str:
    """A cell as written: its digits, never an exponent (``1E+3`` → ``1000``)."""
    return f"{value:f}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A cross-check that failed without blocking the score (a ``severity: warning`` constraint).

    ``code`` is the error code it would carry as an error (``--strict``); ``location`` is where
    in the fact file to look, ``rule_location`` the check in the policy.
    """

    code: str
    message: str
    location: SourceLocation | None
    field: str
    rule_location: SourceLocation | None = None

    def text(self) -> str:
        """One line: ``file:line:col: code: message``."""
        return f"{self.location}: {self.code}: {self.message}" if self.location else f"{self.code}: {self.message}"


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
    inferred: tuple[tuple[str, str], ...] = ()  # the rule's inferred parameters: (parameter, note), policy order


_EXPLAINED = ("computation", "deductions")


class _Explained:
    """The base of :class:`IndicatorScore`: a leaf whose explanation is made when it is first read.

    ``engine.evaluate`` scores every indicator at once but leaves a scored leaf's ``computation`` and
    ``deductions`` unset, keeping in ``_explain`` the call that explains it (a reviewer reads a few
    explanations; a batch of 10^5 results read for their totals reads none): a function and its first
    arguments in one tuple, cheaper to make than a ``functools.partial``, called with the leaf last.
    Reading either field — directly, or through equality, hashing, ``repr``, pickling,
    ``dataclasses.replace`` or pydantic, which all read the fields — makes the call, which sets both
    fields (``engine.records.explain_now``). The record is the same frozen value either way: the fields
    read are the ones an eager evaluation would have set. The call refers to its evaluation, never to
    the leaf (no reference cycle: an unread result is freed as soon as it is dropped).
    """

    __slots__ = ("_explain",)

    def __getattr__(self, name: str) -> object:  # only reached for a slot that is not set
        explain = _explain_of(self) if name in _EXPLAINED else None
        if explain is not None:
            explain[0](*explain[1:], self)  # sets this leaf's two fields
        return object.__getattribute__(self, name)


def _explain_of(node: _Explained) -> tuple[Any, ...] | None:
    try:
        return _Explained._explain.__get__(node)  # type: ignore[attr-defined,no-any-return]
    except AttributeError:  # an eagerly built record
        return None


@dataclass(frozen=True, slots=True)
class IndicatorScore(_Explained):
    """A node of the score tree (a scored leaf's explanation may be made when first read: ``_Explained``)."""

    id: str
    name: str
    max: Decimal | None
    score: Decimal
    status: Status
    children: tuple[IndicatorScore, ...]
    deductions: tuple[Deduction, ...]
    computation: str | None
    location: SourceLocation
    weights_note: str | None = None
    core: bool = False  # 核心指标 (the policy's ``core: true``)

    def gap(self) -> Decimal:
        """Points of this node's max that its children do not carry (declared with ``weights_note``)."""
        if not self.children or self.max is None:
            return Decimal(0)
        return self.max - sum((c.max or Decimal(0) for c in self.children), Decimal(0))

    def unseen(self) -> Decimal:
        """Points of max below this node whose score is unknown (``unseen`` nodes)."""
        if self.status is _UNSEEN:
            return self.max or Decimal(0)
        total = Decimal(0)
        for child in self.children:  # a loop, not sum(genexpr): every result's JSON walks the tree once for this
            total += child.unseen()
        return total

    def unscored(self) -> Decimal:
        """Points of max below this node that no rule scores: weights gaps and unseen nodes.

        ``lost() == max − score − unscored()`` holds at every node (the ``lost`` invariant).
        """
        if self.status is _UNSEEN:
            return self.max or Decimal(0)
        return self.gap() + sum((c.unscored() for c in self.children), Decimal(0))

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
    inferred_rules: int  # rules inferred wholly or in a parameter (``inferred``)
    findings: tuple[Finding, ...] = ()
    declared_max: Decimal | None = None
    weights_note: str | None = None
    title: str = "部门整体支出绩效自评"  # the report title the policy declares (policy.report_title)
    tables: tuple[TableFact, ...] = ()  # the policy's table facts, as the fact file gave them
    inferred_parameters: int = 0  # inferred parameters of rules and of fact declarations (``inferred``)
    grade_withheld: str | None = None  # why there is no grade: unseen points could change it

    def unseen(self) -> Decimal:
        """Points of the total whose score is unknown (``unseen`` nodes): the total is at least ``total``."""
        return sum((r.unseen() for r in self.indicators), Decimal(0))

    def gaps(self) -> tuple[tuple[str, str, Decimal, str], ...]:
        """Every declared weights gap: (indicator id or "", name, points not carried, the note), in policy order.

        ``""`` is the total (``total.weights_note``): ``declared_max`` − the top-level maxima.
        """
        out: list[tuple[str, str, Decimal, str]] = []
        if self.weights_note is not None and self.declared_max is not None:
            out.append(("", "总分", self.declared_max - self.max, self.weights_note))
        out += [(n.id, n.name, n.gap(), n.weights_note) for n in self.nodes() if n.weights_note is not None]
        return tuple(out)

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
