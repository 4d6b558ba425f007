"""A report page for people: title, header, sections of tables and numbered entries (stage: render; pure).

The view builders (``page_explain``, ``page_whatif``, ``page_diff``) turn explain/recover/what-if/sweep/diff
views into a :class:`Page` of ready-made Chinese strings; ``page_text``, ``page_markdown`` and ``html``
only lay it out, so the three formats always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine import decimals
from engine.render.common import (
    FINDINGS_HEADING,
    KIND_NAMES,
    PROVENANCE_NAMES,
    fact_details,
    fact_text,
    flags,
    inferred_lines,
)
from engine.trace import Deduction, IndicatorScore, Result

__all__ = ["Chart", "Entry", "Page", "Row", "Section", "Series", "Table"]


@dataclass(frozen=True, slots=True)
class Row:
    """A table row; ``depth`` indents the first cell, ``emphasis`` marks it (a total, the current value)."""

    cells: tuple[str, ...]
    depth: int = 0
    emphasis: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """Columns (the first one holds labels, the others are right-aligned numbers) and rows."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A numbered block: a title with a badge (points), labelled lines and nested entries.

    ``tone`` tells the HTML what it is: ``lost``, ``gain``, ``ok`` (verified), ``warn`` or ``plain``.
    """

    title: str
    badge: str = ""
    lines: tuple[tuple[str, str], ...] = ()
    children: tuple[Entry, ...] = ()
    tone: str = "plain"


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: a name and a y value at each x."""

    name: str
    points: tuple[tuple[Decimal, Decimal], ...]
    y_max: Decimal | None


@dataclass(frozen=True, slots=True)
class Chart:
    """Scores against one fact (HTML draws it as SVG; text and Markdown show the table instead)."""

    x_label: str
    series: tuple[Series, ...]
    marker: Decimal | None
    marker_label: str


@dataclass(frozen=True, slots=True)
class Section:
    """A heading, then any of: paragraphs, a table, entries, a chart."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    entries: tuple[Entry, ...] = ()
    chart: Chart | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A whole report; ``signatures`` are the labels of a sign-off block at its end (评价人, 复核人, 日期)."""

    kind: str
    title: str
    header: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    signatures: tuple[str, ...] = ()


# -- shared wording and numbers ----------------------------------------------------------------
def points(result: Result, value: Decimal) -> str:
    """Points with the policy's full number of places: ``0.068``, ``6.000``.

    >>> from types import SimpleNamespace as R
    >>> points(R(max_places=3), Decimal("6")), points(R(max_places=3), Decimal("0.31"))
    ('6.000', '0.310')
    """
    places = max(result.max_places, decimals.places_of(value))
    return decimals.fmt(value, places, places)


def signed(result: Result, value: Decimal) -> str:
    """A delta with its sign (U+2212 for minus); zero has none.

    >>> from types import SimpleNamespace as R
    >>> r = R(max_places=3)
    >>> signed(r, Decimal("6")), signed(r, Decimal("-0.31")), signed(r, Decimal(0))
    ('+6.000', '−0.310', '0')
    """
    if not value:
        return "0"
    return ("+" if value > 0 else "−") + points(result, abs(value))


def score(result: Result, value: Decimal | None) -> str:
    """A score as the policy displays it (``13.932``, ``4.00``)."""
    if value is None:
        return "—"
    return decimals.fmt(value, result.min_places, result.max_places)


def identity(result: Result) -> tuple[tuple[str, str], ...]:
    """Header lines naming the policy (with its digest) and the fact file."""
    return (("指标体系", result.policy_name),
            ("版本", f"{result.policy_id} 版本 {result.policy_version}，摘要 {result.policy_digest[:16]}"),
            ("事实文件", f"{result.facts_file}（{result.department}）"))


def findings_section(result: Result) -> tuple[Section, ...]:
    """The findings as a section to put right after the header; nothing when there are none."""
    if not result.findings:
        return ()
    entries = tuple(Entry(f.message, f.code, (("位置", str(f.location) if f.location else "—"),
                                              *((("检查位置", str(f.rule_location)),) if f.rule_location else ())),
                          ()) for f in result.findings)
    return (Section(f"{FINDINGS_HEADING}：共 {len(result.findings)} 项", entries=entries),)


def node_label(node: IndicatorScore) -> str:
    """``资金管理（A1）``."""
    return f"{node.name}（{node.id}）"


def deduction_lines(d: Deduction) -> tuple[tuple[str, str], ...]:
    """The trace of one deduction: rule with wording, facts with file:line, computation, threshold, source."""
    kind = KIND_NAMES.get(str(d.rule_kind), str(d.rule_kind))
    lines = [("规则", f"{d.rule_id}（{kind}，{PROVENANCE_NAMES.get(d.provenance, d.provenance)}）：{d.wording}")]
    for f in d.facts:
        lines += [("事实", fact_text(f)), *((f"　{label}", text) for label, text in fact_details(f))]
    lines.append(("计算", d.computation))
    if d.threshold:
        lines.append(("阈值", d.threshold))
    if flags(d):
        lines.append(("说明", flags(d)))
    if d.provenance == "inferred" and d.note:
        lines.append(("依据", d.note))
    lines += inferred_lines(d)
    lines.append(("规则位置", str(d.location)))
    return tuple(lines)
