"""Writing report workbooks: exact numbers, plain tables and byte-identical files (stage: render; pure).

The reusable part of every workbook jixiao writes as a report (``score``, batch results, and later
``review``): :func:`new_book` and :func:`save_book` give the same bytes for the same content (fixed
document dates, fixed zip entry dates), :func:`write_table` lays out a header row and rows of values,
and :func:`number` turns an exact decimal into a cell value with a number format that shows the
declared places.

Numbers are numbers, never text: a :class:`~decimal.Decimal` is handed to openpyxl, which writes its
``str`` into the sheet XML, so the file holds ``13.932`` exactly as the engine computed it (no
binary float is ever formed on the way). Excel itself reads it as a double, whose nearest value
prints back as ``13.932`` for anything up to 15 significant digits; the number format
(``0.00#`` for at least 2, at most 3 places) makes Excel show the places the policy declares. No
hidden text copy is written: the XML value is already the exact text.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from engine import decimals
from engine.excel.cells import column_letter

if TYPE_CHECKING:
    from _typeshed import SizedBuffer, StrPath
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

CellValue = str | int | bool | Decimal | None
"""A value a report table writes into a cell."""

__all__ = ["Column", "first_sheet", "new_book", "number", "number_format", "save_book", "write_table"]

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the zip format's first date, for the document dates and every entry
_HEADER_COLOUR = "DDEBF7"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its header and its width in characters (a CJK character counts two)."""

    title: str
    width: int = 14
    wrap: bool = False


def number_format(min_places: int, max_places: int) -> str:
    """The Excel number format showing at least ``min_places`` and at most ``max_places`` decimals.

    >>> number_format(2, 3), number_format(0, 0), number_format(0, 2), number_format(3, 3)
    ('0.00#', '0', '0.##', '0.000')
    """
    if max_places <= 0:
        return "0"
    return "0." + "0" * min_places + "#" * max(max_places - min_places, 0)


def number(value: Decimal, min_places: int = 0, max_places: int | None = None) -> tuple[Decimal, str]:
    """An exact cell value (plain notation, no −0) and the format that shows its places.

    >>> number(Decimal("13.932"), 2, 3), number(Decimal("-0"), 2, 3)
    ((Decimal('13.932'), '0.00#'), (Decimal('0'), '0.00#'))
    >>> number(Decimal("1E+1"))  # no exponent reaches the sheet XML
    (Decimal('10'), '0')
    """
    text = decimals.fmt(decimals.normalise(value))
    shown = decimals.places_of(Decimal(text))
    top = shown if max_places is None else max(max_places, min_places)
    low = min(min_places, top)
    return Decimal(text), number_format(low, top)


def new_book() -> Workbook:
    """An empty openpyxl workbook with fixed document properties (no clock reaches the file)."""
    from openpyxl import Workbook  # here, not at the top: only commands writing workbooks need it

    book = Workbook()
    book.properties.creator = "jixiao"
    book.properties.created = book.properties.modified = datetime.datetime(*_EPOCH)  # noqa: DTZ001 - naive: openpyxl means UTC
    return book


def first_sheet(book: Workbook) -> Worksheet:
    """The one sheet a new workbook has."""
    from openpyxl.worksheet.worksheet import Worksheet

    ws = book.active
    assert isinstance(ws, Worksheet)
    return ws


def write_table(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[CellValue | tuple[Decimal, str]]],
                start: int = 1,
                formats: Sequence[str | None] | None = None) -> int:
    """Write a header row at ``start`` and the rows under it; returns the next free row.

    A cell given as ``(Decimal, format)`` (see :func:`number`) is written as a number with that
    format; ``formats`` (one per column, or None) applies to the Decimal cells of a column otherwise.
    """
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    header_fill, bold = PatternFill("solid", fgColor=_HEADER_COLOUR), Font(bold=True)
    line, wrap = Border(bottom=Side(style="thin")), Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(start, index, column.title)
        cell.font, cell.fill, cell.border = bold, header_fill, line
        ws.column_dimensions[column_letter(index)].width = column.width
    for number_row, values in enumerate(rows, start=start + 1):
        for index, value in enumerate(values, start=1):
            shown, style = value if isinstance(value, tuple) else (value, None)
            cell = ws.cell(number_row, index, shown)
            if isinstance(shown, Decimal):
                cell.number_format = style or (formats[index - 1] if formats else None) or "General"
            elif columns[index - 1].wrap:
                cell.alignment = wrap
    ws.freeze_panes = ws.cell(start + 1, 1).coordinate
    return start + 1 + len(rows)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry the same date, so that the same workbook gives the same bytes."""

    def writestr(self, zinfo_or_arcname: str | zipfile.ZipInfo, data: SizedBuffer | str,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(str(zinfo_or_arcname), date_time=_EPOCH)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: StrPath, arcname: StrPath | None = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        self.writestr(str(arcname or filename), Path(filename).read_bytes())  # openpyxl's temporary sheet file


def save_book(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes; the same workbook always gives the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    buffer = io.BytesIO()
    ExcelWriter(book, _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED)).save()  # save() closes the zip
    return buffer.getvalue()
