"""The bytes of an .xlsx file → its fact sheets as grids of :class:`Cell` (stage: load; no file I/O).

The only module that reads workbooks with openpyxl. A formula cell is given the result the file
saved for it (openpyxl's ``data_only`` view), or marked as uncalculated when the file holds none;
anything that is not a readable workbook is one ``source.workbook`` error at ``FILE:1:1``.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import PurePath
from typing import TYPE_CHECKING

from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.excel import layout
from engine.excel.cells import Cell, CellLocation

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell as SheetCell
    from openpyxl.cell.cell import MergedCell
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["SHEETS", "UNPACKED_BYTES", "open_sheets"]

UNPACKED_BYTES = 8 * 2**20  # a fact workbook unpacks to some 100 KB; this bounds a zip bomb's cost
SHEETS = (layout.INFO, layout.FACTS, layout.TARGETS, layout.NAMES)  # the sheets read; others are ignored
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a legacy .xls, or an .xlsx encrypted with a password


def open_sheets(data: bytes, file: str) -> dict[str, list[list[Cell]]]:
    """The fact sheets of a workbook by title, each a list of rows of cells.

    Raises:
        JixiaoError: ``source.workbook``: a legacy .xls or password-protected file, not a zip, a zip
            that unpacks past ``UNPACKED_BYTES``, or a zip that openpyxl cannot read as a workbook.
    """
    if data.startswith(_OLE) or PurePath(file).suffix.lower() == ".xls":
        raise _workbook_error(file, "这是旧版 .xls 文件或设置了打开密码的工作簿："
                                    "请在 Excel 或 WPS 中取消密码并另存为 .xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _workbook_error(file, "不是有效的 Excel 工作簿（.xlsx）：文件已损坏，或只是改了扩展名") from None
    if unpacked > UNPACKED_BYTES:
        raise _workbook_error(file, f"工作簿解压后有 {unpacked} 字节，超过上限 {UNPACKED_BYTES}：事实填报表不应这么大")
    import openpyxl  # here, not at the top: YAML-only runs do not pay for importing it

    def load(data_only: bool) -> Workbook:
        with warnings.catch_warnings():  # about parts a fact workbook does not use (extensions, print styles)
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)

    try:
        book = load(False)
        cached = load(True) if _has_formulas(book) else book
    except Exception as err:  # openpyxl reports a malformed part with many kinds of exception
        raise _workbook_error(file, f"无法读取工作簿：{type(err).__name__}: {err}") from None
    return {ws.title: _grid(ws, _sheet(cached, ws.title), file) for ws in _sheets(book)}


def _sheets(book: Workbook) -> list[Worksheet]:
    """The fact sheets of a workbook opened for editing: the template's, and each table fact's (A1 ``表格：…``)."""
    from openpyxl.worksheet.worksheet import Worksheet

    def is_table(ws: Worksheet) -> bool:
        mark = ws.cell(1, 1).value
        return isinstance(mark, str) and mark.startswith(layout.TABLE_MARK)

    return [ws for ws in book.worksheets if isinstance(ws, Worksheet) and (ws.title in SHEETS or is_table(ws))]


def _sheet(book: Workbook, title: str) -> Worksheet:
    from openpyxl.worksheet.worksheet import Worksheet

    ws = book[title]
    assert isinstance(ws, Worksheet)  # the same workbook's sheet, opened again
    return ws


def _has_formulas(book: Workbook) -> bool:
    return any(c.data_type == "f" for ws in _sheets(book) for row in ws.iter_rows() for c in row)


def _grid(ws: Worksheet, cached: Worksheet, file: str) -> list[list[Cell]]:
    return [[_cell(c, cached, CellLocation(file, _at(c.row), _at(c.column), ws.title)) for c in row]
            for row in ws.iter_rows()]


def _at(index: int | None) -> int:
    assert index is not None  # optional only for a merged cell made by hand; iter_rows gives every cell its place
    return index


def _cell(c: SheetCell | MergedCell, cached: Worksheet, where: CellLocation) -> Cell:
    if c.data_type == "e":
        return Cell(c.value, where, kind="error")
    if c.data_type != "f":
        return Cell(c.value, where, c.number_format)
    formula = str(getattr(c.value, "text", c.value))
    result = cached.cell(where.line, where.col)
    if result.value is None:
        return Cell(None, where, kind="uncalculated", formula=formula)
    kind = "error" if result.data_type == "e" else "value"
    return Cell(result.value, where, c.number_format, kind, formula)


def _workbook_error(file: str, message: str) -> JixiaoError:
    return JixiaoError(ErrorCode.SOURCE_WORKBOOK, message, SourceLocation(file, 1, 1))
