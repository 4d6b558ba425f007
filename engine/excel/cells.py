"""One workbook cell → one exact fact-file value (stage: load; pure, no openpyxl).

Excel keeps every number as a binary double and shows at most 15 significant digits. A number
cell is therefore read as the decimal Excel shows for it: the double rounded to 15 significant
digits (``84.48`` stays ``84.48``; a formula ``=0.1+0.2`` gives ``0.3``, not ``0.30000000000000004``).
Text cells holding a number are read exactly from their text (``2.50`` keeps its places). A cell
formatted as a percentage holds the ratio (``84.48%`` is stored as ``0.8448``): it is converted to
the percentage when the fact's unit is ``%`` and refused when it is not, never read as the ratio.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals
from engine.errors import ErrorCode, SourceLocation
from engine.excel.layout import BOOLEAN_WORDS

__all__ = ["Cell", "CellLocation", "CellProblem", "as_boolean", "as_number", "as_text", "column_letter"]

_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # literal text, escapes and [colour]/[condition] parts


def column_letter(index: int) -> str:
    """Excel's column name for a 1-based column number.

    >>> column_letter(1), column_letter(3), column_letter(26), column_letter(27), column_letter(703)
    ('A', 'C', 'Z', 'AA', 'AAA')
    """
    name = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


@dataclass(frozen=True, slots=True, order=True)
class CellLocation(SourceLocation):
    """A cell of a workbook: ``line`` is the row, ``col`` the column (both 1-based).

    >>> str(CellLocation("gz.xlsx", 7, 3, "事实"))
    'gz.xlsx!事实!C7'
    """

    sheet: str

    def __str__(self) -> str:
        return f"{self.file}!{self.sheet}!{column_letter(self.col)}{self.line}"


@dataclass(frozen=True, slots=True)
class Cell:
    """What the reader needs of one cell: its value, number format, and how it got the value.

    ``kind`` is ``"value"`` for a typed or computed value, ``"error"`` for an error value such as
    ``#DIV/0!`` (then ``value`` is its text) and ``"uncalculated"`` for a formula whose result the
    file does not hold (a workbook written by a program that does not calculate).
    """

    value: object  # what openpyxl read: text, a number, a boolean, a date or time, or None
    where: CellLocation
    number_format: str = "General"
    kind: str = "value"
    formula: str = ""

    def is_empty(self) -> bool:
        """No value and no formula (spaces count as empty)."""
        return self.kind == "value" and (self.value is None or (isinstance(self.value, str) and not self.value.strip()))


class CellProblem(Exception):
    """A cell that cannot be read as what its column holds; the reader turns it into a located problem."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        """Keep the code and the Chinese message."""
        super().__init__(message)
        self.code, self.message = code, message


def as_text(cell: Cell) -> str | None:
    """A text column (names, units, sources, quotes, enum values): the text as Excel shows it.

    >>> as_text(_cell("  二（二）1 ")), as_text(_cell(2021)), as_text(_cell(84.48)), as_text(_cell(None))
    ('二（二）1', '2021', '84.48', None)
    """
    value = _value(cell)
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(_number_value(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def as_boolean(cell: Cell) -> bool | None:
    """A 是/否 cell: 是 or 否, or TRUE/FALSE (Excel's logical values, or that text in any case).

    >>> as_boolean(_cell("是")), as_boolean(_cell(" 否 ")), as_boolean(_cell(True)), as_boolean(_cell("True"))
    (True, False, True, True)
    """
    value = _value(cell)
    if value is None or isinstance(value, bool):
        return value
    word = as_text(cell)
    if word is not None and word.casefold() in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[word.casefold()]
    raise CellProblem(ErrorCode.FACTS_TYPE, f"应填「是」或「否」，单元格中是「{word}」")


def as_number(cell: Cell, unit: str | None) -> Decimal | bool | str | None:
    """A number column, read exactly; ``unit`` decides what a percentage-formatted cell means.

    Text that is not a number is returned as it is, for fact validation to report with the
    fact's expected type; a logical value likewise.

    >>> as_number(_cell(84.48), "%"), as_number(_cell(0.8448, "0.00%"), "%"), as_number(_cell("2.50"), "分")
    (Decimal('84.48'), Decimal('84.48'), Decimal('2.50'))
    >>> as_number(_cell(0.1 + 0.2), None), as_number(_cell(21), "个"), as_number(_cell(1e16), None)
    (Decimal('0.3'), Decimal('21'), Decimal('10000000000000000'))
    >>> as_number(_cell(1e300), None) == 10 ** 300
    True
    """
    value = _value(cell)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, datetime.date | datetime.time):
        raise CellProblem(ErrorCode.FACTS_TYPE,
                          f"单元格是日期或时间（{as_text(cell)}），应填数值：请把单元格格式改为「常规」后重新填写")
    if isinstance(value, int | float):
        return _scaled(_number_value(value), cell, unit)
    return _number_text(str(value).strip(), unit)


def _value(cell: Cell) -> object:
    if cell.kind == "error":
        formula = f"（公式 {cell.formula}）" if cell.formula else ""
        raise CellProblem(ErrorCode.FACTS_TYPE, f"单元格是错误值 {cell.value}{formula}")
    if cell.kind == "uncalculated":
        raise CellProblem(ErrorCode.FACTS_TYPE,
                          f"单元格是公式 {cell.formula}，但文件中没有保存它的计算结果："
                          "请用 Excel 或 WPS 打开并保存后再读取，或直接填写数值")
    if isinstance(cell.value, str) and not cell.value.strip():
        return None
    return cell.value


def _number_value(value: int | float) -> Decimal:
    if isinstance(value, int):
        return Decimal(value)
    return _plain(Decimal(format(value, ".15g")))


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent (``5E+1`` → ``50``)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    return Decimal(int(value)) if isinstance(exponent, int) and exponent > 0 else value


def _scaled(value: Decimal, cell: Cell, unit: str | None) -> Decimal:
    if not _is_percent(cell.number_format):
        return value
    percent = _plain(value * 100)
    if unit == "%":
        return percent
    raise CellProblem(ErrorCode.FACTS_UNIT,
                      f"单元格按百分比格式显示（{decimals.fmt(percent)}%），但单位是「{unit or '无'}」："
                      "请把单元格格式改为「常规」，按单位填写数值")


def _is_percent(number_format: str) -> bool:
    r"""A number format that multiplies by 100 (a % outside quotes, escapes and brackets).

    >>> _is_percent("0.00%"), _is_percent("General"), _is_percent('0.00"%"'), _is_percent("0\\%")
    (True, False, False, False)
    """
    return "%" in _QUOTED.sub("", number_format)


def _number_text(text: str, unit: str | None) -> Decimal | str | None:
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return Decimal(text)
    folded = unicodedata.normalize("NFKC", text).replace("。", ".")
    if folded != text and _NUMBER.fullmatch(folded):
        raise CellProblem(ErrorCode.FACTS_TYPE, f"「{text}」含全角字符：数值请用半角数字书写，如 {folded}")
    bare = folded.removesuffix("%").strip()
    if folded.endswith("%") and _NUMBER.fullmatch(bare):
        where = "单位 % 已写在「单位」列" if unit == "%" else f"这项事实的单位是「{unit or '无'}」"
        raise CellProblem(ErrorCode.FACTS_TYPE, f"「{text}」不是数值：请只填 {bare}（{where}）")
    if "," in folded and _NUMBER.fullmatch(folded.replace(",", "")):
        raise CellProblem(ErrorCode.FACTS_TYPE, f"「{text}」中有千位分隔符：请填 {folded.replace(',', '')}")
    return text


def _cell(value: object, number_format: str = "General") -> Cell:
    """A cell for the doctests."""
    return Cell(value, CellLocation("t.xlsx", 2, 3, "事实"), number_format)
