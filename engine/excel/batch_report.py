"""Batch records (``engine.render.batch_records``) → an .xlsx of batch results (stage: render; pure).

Sheets: 汇总 (one row per unit, ranked by total, highest first, ties by path; files that could not
be scored follow, unranked, with their error), 扣分明细 (every deduction of every unit, unit first).
Built from the same records the JSON Lines output holds, so the two always agree. Scores are the
records' display strings turned back into exact numbers, shown with the places they were written with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from engine.excel.sheets import Column, first_sheet, new_book, number, save_book, write_table
from engine.render.common import KIND_NAMES, PROVENANCE_NAMES

__all__ = ["SUMMARY", "batch_workbook", "ranked"]

SUMMARY, DEDUCTIONS = "汇总", "扣分明细"
SUMMARY_COLUMNS = (Column("名次", 6), Column("单位", 30, True), Column("事实文件", 36, True), Column("总分", 10),
                   Column("满分", 10), Column("失分", 10), Column("等级", 8), Column("错误", 48, True))
DEDUCTION_COLUMNS = (Column("单位", 30, True), Column("事实文件", 30, True), Column("指标编号", 10),
                     Column("指标", 40, True), Column("规则", 12), Column("规则类型", 10), Column("依据", 10),
                     Column("规则原文", 48, True), Column("计算", 48, True), Column("阈值", 20, True),
                     Column("扣分", 9))


def ranked(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Scored records by total (highest first), ties by fact file path; failed files after, by path.

    >>> rs = [{"facts": {"file": "b"}, "total": "90"}, {"facts": {"file": "a"}, "total": "90.00"},
    ...       {"file": "c", "error": {}}, {"facts": {"file": "d"}, "total": "95"}]
    >>> [_path(r) for r in ranked(rs)]
    ['d', 'a', 'b', 'c']
    """
    scored = [r for r in records if "error" not in r]
    failed = [r for r in records if "error" in r]
    return [*sorted(scored, key=lambda r: (-Decimal(r["total"]), _path(r))), *sorted(failed, key=_path)]


def _path(record: Mapping[str, Any]) -> str:
    return str(record["file"] if "error" in record else record["facts"]["file"])


def _shown(text: str | None) -> Any:
    """A display string (``"94.622"``) as an exact number with its own places."""
    return None if text is None else number(Decimal(text))


def batch_workbook(records: Sequence[Mapping[str, Any]]) -> bytes:
    """The batch results as .xlsx bytes: 汇总, then 扣分明细."""
    book = new_book()
    ws = first_sheet(book)
    ws.title = SUMMARY
    write_table(ws, SUMMARY_COLUMNS, _summary_rows(ranked(records)))
    write_table(book.create_sheet(DEDUCTIONS), DEDUCTION_COLUMNS,
                [row for r in ranked(records) if "error" not in r for row in _deduction_rows(r)])
    return save_book(book)


def _summary_rows(records: list[Mapping[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for rank, record in enumerate(records, start=1):
        if "error" in record:
            error = record["error"]
            rows.append([None, None, record["file"], None, None, None, None,
                         f"{error.get('code', '')}: {error.get('message', '')}"])
            continue
        lost = sum((Decimal(n["lost"]) for n in record["indicators"]), Decimal(0))
        rows.append([rank, record["department"], record["facts"]["file"], _shown(record["total"]),
                     _shown(record["max"]), number(lost), record["grade"], None])
    return rows


def _deduction_rows(record: Mapping[str, Any]) -> list[list[Any]]:
    def walk(nodes: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
        for node in nodes:
            yield node
            yield from walk(node["children"])

    names = {n["id"]: n["name"] for n in walk(record["indicators"])}
    return [[record["department"], record["facts"]["file"], d["indicator"],
             " › ".join((*d["path"], names.get(d["indicator"], ""))) + (f"（{d['item']}）" if d["item"] else ""),
             d["rule"], KIND_NAMES.get(d["kind"], d["kind"]), PROVENANCE_NAMES.get(d["provenance"], d["provenance"]),
             d["wording"], d["computation"], d["threshold"], _shown(d["points"])]
            for n in walk(record["indicators"]) for d in n["deductions"]]
