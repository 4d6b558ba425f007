"""Shared formatting for the renderers: scores as the policy displays them, East-Asian widths."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Protocol

from engine import decimals
from engine.errors import SourceLocation
from engine.json_values import JsonObject, JsonValue
from engine.rules import KINDS
from engine.trace import Deduction, FactRead, IndicatorScore, Result, Status

__all__ = ["CORE_MARK", "FACT_DETAIL_LABELS", "fact_details", "fact_text", "finding_dicts", "finding_lines",
           "gap_lines", "grade_text", "inferred_lines", "inferred_notice", "node_name", "node_score", "pad", "score",
           "total_score", "width"]

KIND_NAMES = {kind.name: kind.label for kind in KINDS}  # each kind names itself in Chinese (engine.rules)
PROVENANCE_NAMES = {"official": "官方原文", "inferred": "推断"}


def score(result: Result, value: Decimal | None) -> str:
    """A score as the policy displays it (e.g. at least 2, at most 3 decimals)."""
    if value is None:
        return "—"
    return decimals.fmt(value, result.min_places, result.max_places)


def node_score(result: Result, node: IndicatorScore) -> str:
    """A node's score as printed: ``未见`` for an unseen node, ``16.00 + 未见 58.00`` above one."""
    if node.status is Status.UNSEEN:
        return "未见"
    unseen = node.unseen()
    return f"{score(result, node.score)} + 未见 {score(result, unseen)}" if unseen else score(result, node.score)


def total_score(result: Result) -> str:
    """The total as printed: ``94.622``, or ``16.00 + 未见 58.00`` when part of the tree is unseen."""
    unseen = result.unseen()
    return f"{score(result, result.total)} + 未见 {score(result, unseen)}" if unseen else score(result, result.total)


def grade_text(result: Result) -> str:
    """The grade as the header prints it: the grade, 未知 with the reason, or 只评分，不评等级."""
    if result.grade:
        return result.grade
    if result.grade_withheld:
        return f"未知（{result.grade_withheld}）"
    return "只评分，不评等级"


def gap_lines(result: Result) -> tuple[str, ...]:
    """Each declared weights gap (``weights_note``) as one line; empty when there are none."""
    return tuple(f"{name}{f'（{iid}）' if iid else ''}：分值中有 {score(result, gap)} 分未列明下级指标：{note}"
                 for iid, name, gap, note in result.gaps())


FINDINGS_HEADING = "发现（不影响得分，--strict 时视为错误）"


def finding_lines(result: Result) -> tuple[str, ...]:
    """Each finding as one line, ``事实文件:行:列: 代码: 说明``; empty when there are none."""
    return tuple(f.text() for f in result.findings)


def finding_dicts(result: Result) -> list[JsonValue]:
    """The JSON shape of the findings, which every JSON output that carries a result uses.

    The error shape (``{"code", "message", "location": {"file", "line", "col"} or null, "field"}``, as a
    finding becomes under ``--strict``) plus ``rule_location``, where the check is in the policy.
    """
    def at(loc: SourceLocation | None) -> JsonObject | None:
        return {"file": loc.file, "line": loc.line, "col": loc.col} if loc else None

    return [{"code": f.code, "message": f.message, "location": at(f.location), "field": f.field,
             "rule_location": at(f.rule_location)} for f in result.findings]


CORE_MARK = "（核心指标）"  # after a core indicator's name; the scoring-table import reads it back


class _Indicator(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def core(self) -> bool: ...


def node_name(node: _Indicator) -> str:
    """The indicator's name as reports and the scoring table print it: a core indicator (核心指标) says so."""
    return f"{node.name}{CORE_MARK}" if node.core else node.name


def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two).

    >>> width("资金管理"), width("A1.1")
    (8, 4)
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """Pad to ``columns`` terminal columns."""
    fill = " " * max(columns - width(text), 0)
    return fill + text if right else text + fill


def value_text(read: FactRead) -> str:
    """A fact's value with its unit."""
    value = read.value
    if isinstance(value, bool):
        return "是" if value else "否"
    text = decimals.fmt(value) if isinstance(value, Decimal) else str(value)
    unit = read.unit or ""
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".rstrip()


def fact_text(read: FactRead) -> str:
    """``名称 = 值（file:line）`` and how it was derived."""
    where = f"（{read.location.file}:{read.location.line}）" if read.location else ""
    derived = f"；{read.derivation}" if read.derivation else ""
    return f"{read.name} = {value_text(read)}{where}{derived}"


FACT_DETAIL_LABELS = ("原文摘录", "来源", "备注")  # the fact file's quote, source, note (the template's columns)


def fact_details(read: FactRead) -> tuple[tuple[str, str], ...]:
    """What the fact file says about a fact beside its value: quote, source and note, those given.

    >>> fact_details(FactRead("差异率", Decimal("11.44"), "%", None, quote="差异率 11.44%", note="临时叫停"))
    (('原文摘录', '差异率 11.44%'), ('备注', '临时叫停'))
    """
    given = zip(FACT_DETAIL_LABELS, (read.quote, read.source, read.note), strict=True)
    inferred = tuple((f"推断（{key}）", note) for key, note in read.inferred)
    return (*((label, text) for label, text in given if text), *inferred)


def inferred_lines(deduction: Deduction) -> tuple[tuple[str, str], ...]:
    """The rule's inferred parameters beside its provenance: ``("推断参数 counting", note)``.

    >>> d = Deduction("A", (), "A.r1", "per_point", "每低1个百分点扣0.2分", "official", (), "", None, Decimal(1),
    ...               False, False, SourceLocation("p.yaml", 1, 1), inferred=(("counting", "原文未说明"),))
    >>> inferred_lines(d)
    (('推断参数 counting', '原文未说明'),)
    """
    return tuple((f"推断参数 {name}", note) for name, note in deduction.inferred)


def inferred_notice(result: Result) -> str | None:
    """The header's warning that some rules or parameters are inferred, not official wording."""
    if not result.inferred_rules and not result.inferred_parameters:
        return None
    partly = "全部或部分" if result.inferred_parameters else ""
    parts = [f"有 {result.inferred_rules} 条规则{partly}为推断（inferred）"] if result.inferred_rules else []
    if result.inferred_parameters:
        parts.append(f"共 {result.inferred_parameters} 处参数或事实声明为推断")
    return f"{'，'.join(parts)}，并非官方原文，见各扣分项的依据说明。"


def path_text(deduction: Deduction, name: str) -> str:
    """``管理效能 › 资金管理 › 预算完成率``."""
    return " › ".join((*deduction.ancestors, name))


def flags(deduction: Deduction) -> str:
    """Floor, cap and judgement flags in Chinese."""
    out = []
    if deduction.floored:
        out.append("扣完为止")
    if deduction.capped:
        out.append("触及上限")
    if deduction.judgement:
        out.append("评价人判断")
    return "、".join(out)


def walk(nodes: tuple[IndicatorScore, ...], depth: int = 0) -> list[tuple[IndicatorScore, int]]:
    """Every node with its depth, depth first in policy order."""
    return [pair for n in nodes for pair in [(n, depth), *walk(n.children, depth + 1)]]
