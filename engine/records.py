"""Trace records built on the evaluation's hot path, and a scored leaf's explanation set later (stage: trace).

Every evaluation makes these records by the dozen, so the builders here fill a draft of each
(``engine.drafts``: a plain class with the record's slots, then the record's class) instead of calling
the frozen ``__init__``: about 4× cheaper per record, and the same record (tests/unit/test_records.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.drafts import draft_of
from engine.errors import SourceLocation
from engine.trace import Deduction, FactRead, Finding, IndicatorScore, Result, Status, TableFact

__all__ = ["deduction", "explain_now", "fact_read", "indicator_score", "result"]


_FactReadDraft = draft_of(FactRead)
_DeductionDraft = draft_of(Deduction)
_ScoreDraft = draft_of(IndicatorScore)
_ResultDraft = draft_of(Result)


def fact_read(name: str, value: Decimal | bool | str, unit: str | None, location: SourceLocation | None,
              derivation: str | None, quote: str | None, source: str | None, note: str | None,
              inferred: tuple[tuple[str, str], ...]) -> FactRead:
    """``FactRead(...)`` with every field given, built cheaply (see above)."""
    read = _FactReadDraft()
    read.name = name
    read.value = value
    read.unit = unit
    read.location = location
    read.derivation = derivation
    read.quote = quote
    read.source = source
    read.note = note
    read.inferred = inferred
    read.__class__ = FactRead
    return read  # type: ignore[no-any-return]


def deduction(indicator_id: str, ancestors: tuple[str, ...], rule_id: str, rule_kind: str, wording: str,
              provenance: str, facts: tuple[FactRead, ...], computation: str, threshold: str | None, points: Decimal,
              floored: bool, capped: bool, location: SourceLocation, item: str | None, judgement: bool,
              note: str | None, residue: bool, inferred: tuple[tuple[str, str], ...]) -> Deduction:
    """``Deduction(...)`` with every field given, built cheaply (see above)."""
    made = _DeductionDraft()
    made.indicator_id = indicator_id
    made.ancestors = ancestors
    made.rule_id = rule_id
    made.rule_kind = rule_kind
    made.wording = wording
    made.provenance = provenance
    made.facts = facts
    made.computation = computation
    made.threshold = threshold
    made.points = points
    made.floored = floored
    made.capped = capped
    made.location = location
    made.item = item
    made.judgement = judgement
    made.note = note
    made.residue = residue
    made.inferred = inferred
    made.__class__ = Deduction
    return made  # type: ignore[no-any-return]


def indicator_score(node_id: str, name: str, max_: Decimal | None, score: Decimal, status: Status,
                    children: tuple[IndicatorScore, ...], deductions: tuple[Deduction, ...], computation: str | None,
                    location: SourceLocation, weights_note: str | None, core: bool,
                    explain: tuple[Any, ...] | None = None) -> IndicatorScore:
    """``IndicatorScore(...)`` with every field given, built cheaply (see above).

    With ``explain``, a function and its first arguments, a scored leaf whose two explanation fields
    (``deductions``, ``computation``, given as ``()`` and ``None``) ``function(*arguments, leaf)`` sets when
    first read (:func:`explain_now`):

    >>> leaf = indicator_score("A1", "预算执行率", Decimal(5), Decimal(4), Status.SCORED, (), (), None,
    ...                        SourceLocation("p.yaml", 3, 5), None, False,
    ...                        (lambda text, node: explain_now(node, text, ()), "5 − 1 = 4"))
    >>> leaf.computation, leaf == IndicatorScore("A1", "预算执行率", Decimal(5), Decimal(4), Status.SCORED, (), (),
    ...                                         "5 − 1 = 4", SourceLocation("p.yaml", 3, 5))
    ('5 − 1 = 4', True)
    """
    node = _ScoreDraft()
    node.id = node_id
    node.name = name
    node.max = max_
    node.score = score
    node.status = status
    node.children = children
    node.location = location
    node.weights_note = weights_note
    node.core = core
    if explain is None:
        node.deductions = deductions
        node.computation = computation
    else:
        node._explain = explain  # the explanation's two fields left unset
    node.__class__ = IndicatorScore
    return node  # type: ignore[no-any-return]


def explain_now(node: IndicatorScore, computation: str | None, deductions: tuple[Deduction, ...]) -> None:
    """Set the explanation of a leaf :func:`indicator_score` made with ``explain`` (that call does this)."""
    put = object.__setattr__
    put(node, "computation", computation)
    put(node, "deductions", deductions)
    put(node, "_explain", None)  # after both: a reader finds them set


def result(policy_id: str, policy_name: str, policy_version: str, policy_digest: str, department: str,
           facts_file: str, facts_digest: str, max_: Decimal, total: Decimal, grade: str | None,
           indicators: tuple[IndicatorScore, ...], min_places: int, max_places: int, inferred_rules: int,
           findings: tuple[Finding, ...], declared_max: Decimal | None, weights_note: str | None, title: str,
           tables: tuple[TableFact, ...], inferred_parameters: int, grade_withheld: str | None) -> Result:
    """``Result(...)`` with every field given, built cheaply (see above): one per evaluation, 21 fields."""
    made = _ResultDraft()
    made.policy_id = policy_id
    made.policy_name = policy_name
    made.policy_version = policy_version
    made.policy_digest = policy_digest
    made.department = department
    made.facts_file = facts_file
    made.facts_digest = facts_digest
    made.max = max_
    made.total = total
    made.grade = grade
    made.indicators = indicators
    made.min_places = min_places
    made.max_places = max_places
    made.inferred_rules = inferred_rules
    made.findings = findings
    made.declared_max = declared_max
    made.weights_note = weights_note
    made.title = title
    made.tables = tables
    made.inferred_parameters = inferred_parameters
    made.grade_withheld = grade_withheld
    made.__class__ = Result
    return made  # type: ignore[no-any-return]
