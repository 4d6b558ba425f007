"""Fill a fact-entry workbook from a YAML fact file with openpyxl, as a person typing it in would.

Numbers go in as numbers (``2.50`` becomes the number 2.5, as Excel keeps it), booleans as 是/否,
targets as rows of the 绩效目标 sheet, indicator names into the 指标名称 sheet.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from engine.excel import layout
from engine.loader import read_document


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return number(value)
    return value


def columns(ws: Any) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value}


def rows_by(ws: Any, column: int) -> dict[Any, int]:
    return {ws.cell(r, column).value: r for r in range(2, ws.max_row + 1)}


def fill_workbook(template: Path, facts_yaml: Path, out: Path, edit: Any = None) -> Path:
    """Write ``out``: the template filled with the facts of ``facts_yaml``; ``edit(book)`` may change it."""
    doc = read_document(facts_yaml).value
    book = openpyxl.load_workbook(template)
    info = book[layout.INFO]
    labels = rows_by(info, 1)
    for label, key in layout.INFO_FIELDS.items():
        if key in doc:
            info.cell(labels[label], 2, cell_value(doc[key]))
    sheet = book[layout.FACTS]
    col, row_of = columns(sheet), rows_by(sheet, 1)
    targets = book[layout.TARGETS] if layout.TARGETS in book.sheetnames else None
    next_target = 2
    for name, entry in doc["facts"].items():
        entry = entry if isinstance(entry, dict) else {"value": entry}
        row = row_of[name]
        for key, header in (("source", "来源"), ("quote", "原文摘录"), ("note", "备注")):
            if key in entry:
                sheet.cell(row, col[header], entry[key])
        if isinstance(entry["value"], list):
            next_target = fill_targets(targets, next_target, name, entry["value"])
        else:
            sheet.cell(row, col["填报值"], cell_value(entry["value"]))
    names = book[layout.NAMES]
    ids = rows_by(names, 1)
    for ident, name in doc.get("indicator_names", {}).items():
        names.cell(ids[ident], columns(names)["本单位的名称"], name)
    if edit is not None:
        edit(book)
    book.save(out)
    return out


def fill_targets(targets: Any, next_target: int, name: str, items: list[Any]) -> int:
    """Write the targets of fact ``name`` from row ``next_target`` on; return the next free row."""
    tcol = columns(targets)
    for item in items:
        targets.cell(next_target, tcol["事实"], name)
        for key, header in (("name", "目标名称"), ("target", "目标值"), ("actual", "实际值"),
                            ("unit", "单位"), ("quote", "原文摘录")):
            if key in item:
                targets.cell(next_target, tcol[header], cell_value(item[key]))
        targets.cell(next_target, tcol["方向"], layout.DIRECTION_LABELS[item["direction"]])
        next_target += 1
    return next_target
