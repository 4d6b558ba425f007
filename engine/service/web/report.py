"""A recorded decision → the report a reviewer downloads from the workbench (edge; pure).

The score report of ``jixiao score --format html`` (:func:`engine.render.page_score.score_page`: the
whole 自评表 with 分值 / 得分 / 扣分, findings, every deduction with its trace, the A4 print styles and
the 评价人 / 复核人 / 日期 block), headed by the decision it was recorded under and followed by the
facts with their source, quote and note as the file states them. Everything comes from the stored
decision, so the report can be downloaded again at any time and says the same thing.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from engine.render.json import load_result
from engine.render.page import Entry, Page, Section
from engine.render.page_score import score_page
from engine.service.store import DecisionRecord

__all__ = ["decision_page"]


def decision_page(record: DecisionRecord, order: Sequence[str] = ()) -> Page:
    """The report of a stored decision; facts in ``order`` (the policy's declarations) first, the rest by name.

    The decision log keeps the fact document with its keys sorted, so the policy gives the order back.
    """
    page = score_page(load_result(record.result))
    header = (("决定编号", record.id), ("记录时间", record.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
              ("评分人", record.actor), *page.header)
    return dataclasses.replace(page, header=header, sections=(*page.sections, _facts(record, order)))


def _facts(record: DecisionRecord, order: Sequence[str]) -> Section:
    document: Any = json.loads(record.facts)
    facts = document.get("facts") if isinstance(document, dict) else None
    if not isinstance(facts, dict) or not facts:
        return Section("事实", ("事实文件中没有事实。",))
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(facts, key=lambda name: (rank.get(name, len(rank)), name))
    entries = tuple(_fact_entry(name, facts[name]) for name in names)
    return Section("事实（事实文件所写的值、来源、原文摘录与说明）", entries=entries)


def _fact_entry(name: str, entry: Any) -> Entry:
    if not isinstance(entry, dict):
        return Entry(name, _text(entry))
    unit = _text(entry.get("unit"))
    value = _text(entry.get("value"))
    shown = f"{value}{unit}" if unit == "%" else f"{value} {unit}".strip()
    lines = tuple((label, _text(entry.get(key))) for key, label in (("source", "来源"), ("quote", "原文摘录"),
                                                                     ("note", "说明")) if entry.get(key))
    return Entry(name, shown, lines)


def _text(value: Any) -> str:
    """A stored fact value as text: booleans in Chinese, a target list by its size.

    >>> _text(True), _text("84.48"), _text([{"name": "a"}]), _text(None)
    ('是', '84.48', '1 项', '')
    """
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return f"{len(value)} 项"
    return "" if value is None else str(value)
