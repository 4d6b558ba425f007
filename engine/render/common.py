"""Shared formatting for the renderers: scores as the policy displays them, East-Asian widths."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from engine import decimals
from engine.rules import KINDS
from engine.trace import Deduction, FactRead, IndicatorScore, Result

__all__ = ["fact_text", "pad", "score", "width"]

KIND_NAMES = {kind.name: kind.label for kind in KINDS}  # each kind names itself in Chinese (engine.rules)
PROVENANCE_NAMES = {"official": "官方原文", "inferred": "推断"}


def score(result: Result, value: Decimal | None) -> str:
    """A score as the policy displays it (e.g. at least 2, at most 3 decimals)."""
    if value is None:
        return "—"
    return decimals.fmt(value, result.min_places, result.max_places)


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
