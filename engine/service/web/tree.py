"""What the workbench shows of a result: the score tree, each deduction's trace, the editable facts (edge; pure).

Plain records of ready-made Chinese strings for the templates, built from the engine's values with
the formatting the reports use (``engine.render.page``), so a number reads the same in the
workbench, the text report and the HTML report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.compile import CompiledPolicy
from engine.errors import SourceLocation
from engine.excel.cells import CellLocation
from engine.render.common import KIND_NAMES, PROVENANCE_NAMES, flags, node_score, value_text
from engine.render.page import points, score
from engine.source import SourceDoc
from engine.trace import Deduction, FactRead, IndicatorScore, Result, Status
from engine.views.explain import deduction_key
from engine.views.recover import Recovery, Suggestion

__all__ = ["DeductionLink", "EditableFact", "FactLine", "FactRow", "Node", "Trace", "editable_facts", "fact_rows",
           "fact_text_of", "place", "traces", "tree"]

STATUS = {Status.NOT_APPLICABLE: "不适用，按满分", Status.EXCLUDED: "不适用，不计分", Status.ADJUSTMENT: "加减分",
          Status.UNSEEN: "原表未见，得分未知"}
EDITABLE = ("decimal", "integer", "boolean", "enum")


@dataclass(frozen=True, slots=True)
class DeductionLink:
    """A deduction in the tree: what its trace is asked for by (indicator id and item) and a short label."""

    indicator: str
    item: str
    badge: str
    wording: str
    gain: bool


@dataclass(frozen=True, slots=True)
class Node:
    """One indicator of the score tree with 分值 / 得分 / 扣分."""

    id: str
    name: str
    max: str
    score: str
    lost: str
    note: str
    below_full: bool
    depth: int
    children: tuple[Node, ...]
    deductions: tuple[DeductionLink, ...]


def tree(result: Result) -> tuple[Node, ...]:
    """The score tree of a result, in policy order."""
    return tuple(_node(result, n, 0) for n in result.indicators)


def _node(result: Result, node: IndicatorScore, depth: int) -> Node:
    lost = node.lost()  # Σ deductions below: the text report's 扣分 column (a bonus counts negative)
    below = node.status is not Status.UNSEEN and node.max is not None and node.score + node.unseen() < node.max
    links = tuple(DeductionLink(d.indicator_id, d.item or "", _badge(result, d.points), d.wording, d.points < 0)
                  for d in node.deductions if d.points)
    return Node(node.id, node.name, score(result, node.max), node_score(result, node),
                score(result, lost) if lost else "", STATUS.get(node.status, ""), below, depth,
                tuple(_node(result, c, depth + 1) for c in node.children), links)


def _badge(result: Result, lost: Decimal) -> str:
    """Points lost as ``−6.000``, points gained by a bonus as ``+1.000``."""
    return ("+" if lost < 0 else "−") + points(result, abs(lost))


@dataclass(frozen=True, slots=True)
class FactLine:
    """A fact a rule read: its value and place, how it was derived, and what the fact file says of it."""

    name: str
    value: str
    location: str
    derivation: str
    source: str
    quote: str
    note: str
    editable: EditableFact | None


@dataclass(frozen=True, slots=True)
class Trace:
    """One deduction explained: rule and wording, facts, computation, threshold, and how to recover it."""

    path: str
    indicator: str
    badge: str
    gain: bool
    rule: str
    wording: str
    basis: str
    facts: tuple[FactLine, ...]
    computation: str
    threshold: str
    flags: str
    location: str
    suggestion: str
    verification: str
    verified: bool
    try_set: str
    inputs: tuple[str, ...]


def traces(result: Result, deductions: tuple[Deduction, ...], recovery: Recovery | None,
           editable: Mapping[str, EditableFact], doc: SourceDoc) -> tuple[Trace, ...]:
    """The traces of ``deductions`` with their recover suggestions (matched by :func:`deduction_key`)."""
    found = {deduction_key(s.fail.deduction): s for s in recovery.suggestions} if recovery else {}
    names = {n.id: n.name for n in result.nodes()}
    return tuple(_trace(result, d, found.get(deduction_key(d)), editable, doc, names) for d in deductions)


def _trace(result: Result, d: Deduction, suggestion: Suggestion | None, editable: Mapping[str, EditableFact],
           doc: SourceDoc, names: Mapping[str, str]) -> Trace:
    kind = KIND_NAMES.get(str(d.rule_kind), str(d.rule_kind))
    path = " › ".join((*d.ancestors, names.get(d.indicator_id, d.indicator_id))) + (f"（{d.item}）" if d.item else "")
    basis = (d.note or "") if d.provenance == "inferred" else ""
    text, verification, verified, try_set = _suggestion(result, suggestion)
    inputs = tuple(s.text for s in suggestion.inputs) if suggestion else ()
    return Trace(path, d.indicator_id, _badge(result, d.points), d.points < 0,
                 f"{d.rule_id}（{kind}，{PROVENANCE_NAMES.get(d.provenance, d.provenance)}）", d.wording, basis,
                 tuple(_fact_line(f, doc, editable) for f in d.facts), d.computation, d.threshold or "", flags(d),
                 str(d.location), text, verification, verified, try_set, inputs)


def _suggestion(result: Result, s: Suggestion | None) -> tuple[str, str, bool, str]:
    """Text, verification, whether verified, and the ``NAME=VALUE`` a what-if of it would set."""
    if s is None:
        return "", "", False, ""
    if s.check is None:
        return s.text, "未验证：不能由事实推算" if s.change is None else "未验证：重新计算未能完成", False, ""
    total = f"重新计算：总分 {score(result, s.check.total_before)} → {score(result, s.check.total_after)}"
    verdict = "通过" if s.verified else "未通过"
    try_set = ""
    if s.change is not None and s.formula is None and not s.change.path:
        try_set = f"{s.change.fact}={_plain(s.change.value)}"
    return s.text, f"验证{verdict}，{total}", s.verified, try_set


def _entry(doc: SourceDoc, name: str) -> Mapping[str, Any]:
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    entry = facts.get(name) if isinstance(facts, dict) else None
    return entry if isinstance(entry, dict) else {}


def _fact_line(read: FactRead, doc: SourceDoc, editable: Mapping[str, EditableFact]) -> FactLine:
    entry = _entry(doc, read.name)
    where = place(read.location)
    return FactLine(read.name, fact_text_of(read.value, read.unit), where, read.derivation or "",
                    read.source or _str(entry.get("source")), read.quote or _str(entry.get("quote")),
                    read.note or _str(entry.get("note")), editable.get(read.name))


def place(location: SourceLocation | None) -> str:
    """Where a fact was read, as the reports write it: ``gz.yaml:13``, or a workbook cell ``gz.xlsx!事实!C7``."""
    if location is None:
        return ""
    return str(location) if isinstance(location, CellLocation) else f"{location.file}:{location.line}"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fact_text_of(value: Any, unit: str | None) -> str:
    """A fact's value for a person: ``11.44%``, ``是``, ``3 项目标``.

    >>> fact_text_of(Decimal("11.44"), "%"), fact_text_of(True, None), fact_text_of("良", None)
    ('11.44%', '是', '良')
    """
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return value_text(FactRead("", value, unit, None))
    if isinstance(value, tuple):
        return f"{len(value)} 项目标"
    return str(value)


@dataclass(frozen=True, slots=True)
class EditableFact:
    """A fact of the file that can be changed in place for a what-if: its input and the value as written."""

    name: str
    kind: str  # "number", "boolean", "enum"
    current: str
    unit: str
    options: tuple[str, ...]
    description: str


def editable_facts(policy: CompiledPolicy, doc: SourceDoc) -> dict[str, EditableFact]:
    """Every fact the file states that a what-if can set: numbers, booleans and enums (not derived, not tables)."""
    return {fact.name: fact for fact in _editable(policy, doc)}


def _editable(policy: CompiledPolicy, doc: SourceDoc) -> Iterator[EditableFact]:
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    if not isinstance(facts, dict):
        return
    for decl in policy.facts:
        spec = decl.spec
        if decl.derive is not None or spec.type not in EDITABLE or decl.name not in facts:
            continue
        raw = facts[decl.name]
        value = raw.get("value") if isinstance(raw, dict) else raw
        kind = {"decimal": "number", "integer": "number"}.get(spec.type, spec.type)
        yield EditableFact(decl.name, kind, _plain(value), spec.unit or "", tuple(spec.values), spec.description)


def _plain(value: Any) -> str:
    """A value as a fact file writes it: ``11.44``, ``true``.

    >>> _plain(Decimal("11.440")), _plain(Decimal("1E+3")), _plain(False), _plain(None)
    ('11.440', '1000', 'false', '')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class FactRow:
    """A fact as the file states it, for the facts tab: value, unit, source, quote, note, and its input."""

    name: str
    value: str
    unit: str
    source: str
    quote: str
    note: str
    editable: EditableFact | None


def fact_rows(doc: SourceDoc, editable: Mapping[str, EditableFact]) -> tuple[FactRow, ...]:
    """Every fact of the file in its order (a table fact by its number of rows)."""
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    rows = []
    for name, raw in (facts if isinstance(facts, dict) else {}).items():
        entry = raw if isinstance(raw, dict) else {"value": raw}
        value = entry.get("value")
        shown = f"{len(value)} 项" if isinstance(value, list) else fact_text_of(value, None)
        rows.append(FactRow(name, shown, _str(entry.get("unit")), _str(entry.get("source")), _str(entry.get("quote")),
                            _str(entry.get("note")), editable.get(name)))
    return tuple(rows)
