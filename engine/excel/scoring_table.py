"""评分标准表 ↔ .xlsx (stage: render / load edge; the only scoring-table module that imports openpyxl).

:func:`table_workbook` writes a :class:`~engine.render.table.ScoringTable` as one sheet, inner indicators
merged down the rows below them as published tables are; the same table always gives the same bytes.
:func:`read_table_rows` reads the first sheet that has a 评分标准 header back as rows of text (a merged
cell's value only in its top-left cell, as Excel stores it), for :mod:`engine.authoring.importer`.
"""

from __future__ import annotations

import datetime
import io
import warnings
import zipfile

from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.excel.cells import column_letter
from engine.excel.sheets import _EPOCH, save_book
from engine.excel.workbook import UNPACKED_BYTES
from engine.render.table import ScoringTable

__all__ = ["read_table_rows", "table_workbook"]

_WIDTHS = {"分值": 8, "评分标准": 70, "备注": 40}


def table_workbook(table: ScoringTable) -> bytes:
    """The bytes of an .xlsx holding ``table`` on a sheet named 评分标准表."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    book.properties.created = book.properties.modified = datetime.datetime(*_EPOCH)  # noqa: DTZ001 - same table, same bytes
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "评分标准表"
    sheet.append([table.title])
    sheet.append(list(table.header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    rows = table.cells()
    for cells in rows:
        sheet.append([_number(c) if h == "分值" else c for h, c in zip(table.header, cells, strict=True)])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = wrap
    for col, header in enumerate(table.header, start=1):
        sheet.column_dimensions[column_letter(col)].width = _WIDTHS.get(header, 22)
    for col in range(len(table.levels)):  # merge each run of the same inner indicator (the published look)
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i][col] != rows[start][col] or rows[i][:col] != rows[start][:col]:
                if i - start > 1 and rows[start][col] and _inner(rows, start, col):
                    sheet.merge_cells(start_row=start + 3, start_column=col + 1, end_row=i + 2, end_column=col + 1)
                start = i
    sheet.append([])
    sheet.append([f"合计 {table.total} 分。"])
    return save_book(book)


def _inner(rows: list[tuple[str, ...]], at: int, col: int) -> bool:
    return col + 1 < len(rows[at]) and bool(rows[at][col + 1])


def _number(text: str) -> int | float | None:
    from decimal import Decimal

    if not text:
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(text)


def read_table_rows(data: bytes, file: str) -> list[tuple[int, list[str]]]:
    """(row number, cell texts) of every row of the sheet that holds a 评分标准 header.

    Raises:
        JixiaoError: ``source.workbook`` when the bytes are not a readable .xlsx.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _error(file, "不是有效的 Excel 工作簿（.xlsx）：文件已损坏，或只是改了扩展名") from None
    if unpacked > UNPACKED_BYTES:
        raise _error(file, f"工作簿解压后有 {unpacked} 字节，超过上限 {UNPACKED_BYTES}")
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as err:  # openpyxl reports a malformed part with many kinds of exception
        raise _error(file, f"无法读取工作簿：{type(err).__name__}: {err}") from None
    for sheet in book.worksheets:
        rows = [(i, [_text(v) for v in row]) for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        if any(any("评分标准" in c or "评分规则" in c or "计分标准" in c for c in cells) for _, cells in rows):
            return rows
    raise _error(file, "工作簿中没有含“评分标准”表头的工作表")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        from decimal import Decimal

        return str(Decimal(repr(value)).normalize())
    return str(value).strip()


def _error(file: str, message: str) -> JixiaoError:
    return JixiaoError(ErrorCode.SOURCE_WORKBOOK, message, SourceLocation(file, 1, 1))
