"""Batch review, the pure parts: many units' records, sorted, as a table, JSON Lines or CSV (stage: render; pure).

A record is :func:`engine.render.review_json.review_record` for a reviewed file or
``{"file", "error": {code, message, location}}`` for a file that could not be reviewed. Records are
sorted by the size of the difference (largest first), ties by path; files that could not be
reviewed come last, by path. The same records always give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal

from engine.json_values import JsonValue
from engine.render.page import Page, Row, Section, Table

__all__ = ["CSV_COLUMNS", "records_csv", "records_jsonl", "sort_records", "summary_page"]

CSV_COLUMNS = ("file", "department", "claimed_total", "computed_total", "difference", "unseen_total", "findings",
               "rounding", "verdict", "forced", "error_code", "error_message", "error_location")


def _size(record: Mapping[str, JsonValue]) -> Decimal:
    difference = _optional_text(record, "difference")
    return abs(Decimal(difference)) if difference is not None else Decimal(0)


def sort_records(records: Iterable[Mapping[str, JsonValue]]) -> list[Mapping[str, JsonValue]]:
    """Largest difference first, ties by path; unreviewable files last, by path.

    >>> rows = [{"file": "b", "difference": "-2"}, {"file": "a", "difference": "2"}, {"file": "c", "error": {}},
    ...         {"file": "d", "difference": "0.5"}]
    >>> [r["file"] for r in sort_records(rows)]
    ['a', 'b', 'd', 'c']
    """
    return sorted(records, key=lambda r: ("error" in r, -_size(r) if "error" not in r else 0, r["file"]))


def records_jsonl(records: Iterable[Mapping[str, JsonValue]]) -> str:
    """One JSON object a line (UTF-8 unescaped, key order kept)."""
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


def records_csv(records: Iterable[Mapping[str, JsonValue]]) -> str:
    """CSV with a header, UTF-8 with a byte-order mark so that spreadsheet programs read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        error = _object(record.get("error") or {})
        values = {**record, "error_code": error.get("code"), "error_message": error.get("message"),
                  "error_location": error.get("location")}
        writer.writerow(["" if values.get(c) is None else _cell(values[c]) for c in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def summary_page(records: list[Mapping[str, JsonValue]], policy: str) -> Page:
    """The summary table of a batch review, one row per unit, in the order given."""
    reviewed = [r for r in records if "error" not in r]
    differing = [r for r in reviewed if r["findings"]]
    rows = tuple(_row(r) for r in records)
    columns = ("文件", "单位", "填报总分", "规则总分", "差异", "差异项数", "结论")
    header = (("指标体系", policy), ("文件数", str(len(records))),
              ("复核结果", f"一致 {len(reviewed) - len(differing)} 个，有差异 {len(differing)} 个，"
                          f"无法复核 {len(records) - len(reviewed)} 个"))
    note = "按差异大小排序（绝对值大的在前，相同时按路径）；无法复核的文件列在最后。"
    return Page("review-batch", "自评得分批量复核汇总", header, (Section("各单位", (note,), Table(columns, rows)),))


def _row(record: Mapping[str, JsonValue]) -> Row:
    if "error" in record:
        error = _object(record["error"])
        return Row((_text(record, "file"), "—", "—", "—", "—", "—", f"无法复核：{error.get('code')}"), 0, True)
    forced = "（--force）" if record.get("forced") else ""
    return Row((_text(record, "file"), _text(record, "department"), _optional_text(record, "claimed_total") or "—",
                _total(record), _signed(_optional_text(record, "difference")),
                str(record["findings"]), _text(record, "verdict") + forced), 0, bool(record["findings"]))


def _total(record: Mapping[str, JsonValue]) -> str:
    """The computed total as score prints it: ``80 + 未见 20`` when part of it is unseen."""
    unseen = _optional_text(record, "unseen_total")
    return _text(record, "computed_total") + (f" + 未见 {unseen}" if unseen else "")


def _object(value: JsonValue) -> Mapping[str, JsonValue]:
    if not isinstance(value, dict):
        raise TypeError(f"a review record's error is not an object: {value!r}")
    return value


def _optional_text(record: Mapping[str, JsonValue], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} of a review record is not text: {value!r}")
    return value


def _text(record: Mapping[str, JsonValue], key: str) -> str:
    value = _optional_text(record, key)
    if value is None:
        raise TypeError(f"a review record has no {key}")
    return value


def _signed(text: str | None) -> str:
    if text is None:
        return "—"
    if Decimal(text) == 0:
        return "0"
    return text.replace("-", "−") if text.startswith("-") else "+" + text
