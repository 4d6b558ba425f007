"""The bytes of an .xlsx fact-entry workbook → :class:`SourceDoc` (stage: load; no file I/O).

The document is the one a YAML fact file gives (``department``, ``fiscal_year``, ``policy``, ``note``,
``indicator_names``, ``facts`` with ``value``/``unit``/``source``/``quote``/``note``), and every
position is a :class:`CellLocation` (``gz.xlsx!事实!C7``), so fact validation runs unchanged and
locates its errors at cells. The reader does not know the policy: a fact row's 类型 column (written
by the template) says how to read its value cell. Problems the reader finds itself (a cell that is
not what its column holds, a missing sheet or column, a repeated name) are all collected and raised
together before validation, as a YAML syntax error is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import TypeVar

from engine.errors import ErrorCode, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.excel import layout
from engine.excel.cells import Cell, CellLocation, CellProblem, as_boolean, as_number, as_text
from engine.excel.workbook import open_sheets
from engine.json_values import DocMapping, DocValue
from engine.source import Path, SourceDoc, field_path

_T = TypeVar("_T")

__all__ = ["WORKBOOK_SUFFIXES", "is_workbook", "read_workbook"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_TYPES = {label: kind for kind, label in layout.TYPE_LABELS.items()}
_FILLED = ("value", "source", "quote", "note")


def is_workbook(path: str | PurePath) -> bool:
    """Whether a fact file is an Excel workbook (by its suffix, in any case).

    >>> is_workbook("gz.xlsx"), is_workbook("GZ.XLSX"), is_workbook("gz.yaml")
    (True, True, False)
    """
    return PurePath(path).suffix.lower() in WORKBOOK_SUFFIXES


def read_workbook(data: bytes, file: str) -> SourceDoc:
    """Read a fact-entry workbook; ``file`` names it in every location.

    Raises:
        JixiaoError: ``source.workbook`` when the bytes are not a readable .xlsx workbook
            (``engine.excel.workbook``).
        PolicyErrors: every cell, sheet or column problem, each located at its cell.
    """
    return _Reader(file, open_sheets(data, file)).document()


@dataclass(frozen=True, slots=True)
class _Table:
    """One sheet's data rows, each as its mapped columns' cells by key."""

    corner: CellLocation
    rows: tuple[tuple[int, dict[str, Cell]], ...]

    def data(self) -> Iterator[tuple[int, dict[str, Cell]]]:
        """The rows that have at least one non-empty mapped cell."""
        return ((n, cells) for n, cells in self.rows if not all(c.is_empty() for c in cells.values()))


class _Reader:
    def __init__(self, file: str, sheets: dict[str, list[list[Cell]]]) -> None:
        self.file, self.sheets = file, sheets
        self.problems: list[Problem] = []
        self.positions: dict[Path, SourceLocation] = {}
        self.key_positions: dict[Path, SourceLocation] = {}

    def document(self) -> SourceDoc:
        info = self.table(layout.INFO, layout.INFO_COLUMNS, ("项目", "内容"), required=True)
        facts = self.table(layout.FACTS, layout.FACT_COLUMNS, layout.FACT_REQUIRED, required=True)
        targets = self.table(layout.TARGETS, layout.TARGET_COLUMNS, layout.TARGET_REQUIRED)
        names = self.table(layout.NAMES, layout.NAME_COLUMNS, ("指标编号", "本单位的名称"))
        if self.problems or info is None or facts is None:
            raise PolicyErrors(self.problems)
        value = self.info(info)
        value["facts"] = self.facts(facts, targets)
        for sheet, grid in self.sheets.items():
            mark = grid[0][0].value if grid and grid[0] else None
            if isinstance(mark, str) and mark.startswith(layout.TABLE_MARK):
                self.table_sheet(sheet, grid, value["facts"])
        if names is not None and (indicator_names := self.names(names)):
            value["indicator_names"] = indicator_names
        if self.problems:
            raise PolicyErrors(self.problems)
        return SourceDoc(self.file, value, self.positions, self.key_positions)

    # -- helpers -------------------------------------------------------------------------------
    def problem(self, code: ErrorCode, message: str, where: SourceLocation, path: Path = ()) -> None:
        self.problems.append(Problem(code, message, where, field_path(path)))

    def read(self, convert: Callable[[Cell], _T], cell: Cell, path: Path) -> _T | None:
        """``convert(cell)``, or ``None`` with a problem at the cell."""
        try:
            return convert(cell)
        except CellProblem as err:
            self.problem(err.code, err.message, cell.where, path)
            return None

    def place(self, path: Path, cell: Cell, key_cell: Cell | None = None) -> None:
        self.positions[path] = cell.where
        self.key_positions[path] = (key_cell or cell).where

    def table(self, sheet: str, columns: tuple[tuple[str, str | None], ...], needed: tuple[str, ...],
              *, required: bool = False) -> _Table | None:
        """A sheet's columns found by their header text in row 1; unknown or missing headers are problems."""
        grid = self.sheets.get(sheet)
        if grid is None:
            if required:
                present = "、".join(self.sheets) or "无"
                self.problem(ErrorCode.SOURCE_WORKBOOK, f"工作簿中没有「{sheet}」工作表（可识别的工作表：{present}）；"
                             "请用 jixiao template 生成的工作簿填写", SourceLocation(self.file, 1, 1))
            return None
        corner = CellLocation(self.file, 1, 1, sheet)
        known = dict(columns)
        found: dict[str, int] = {}
        for index, cell in enumerate(grid[0] if grid else []):
            header = self.read(as_text, cell, ())
            if header is None:
                continue
            if header not in known:
                self.problem(ErrorCode.SOURCE_WORKBOOK, f"未知的列「{header}」{did_you_mean(header, known)}"
                             f"（「{sheet}」表的列：{'、'.join(known)}）", cell.where)
            elif header in found:
                self.problem(ErrorCode.SOURCE_WORKBOOK, f"列「{header}」重复", cell.where)
            else:
                found[header] = index
        for header in needed:
            if header not in found:
                self.problem(ErrorCode.SOURCE_WORKBOOK, f"「{sheet}」表缺少列「{header}」", corner)
        rows = tuple((number, {key: self.at(grid, number, found[h], sheet) for h, key in columns
                               if key is not None and h in found}) for number in range(2, len(grid) + 1))
        return _Table(corner, rows)

    def at(self, grid: list[list[Cell]], row: int, index: int, sheet: str) -> Cell:
        cells = grid[row - 1]
        return cells[index] if index < len(cells) else Cell(None, CellLocation(self.file, row, index + 1, sheet))

    # -- 基本信息 ----------------------------------------------------------------------------------
    def info(self, table: _Table) -> DocMapping:
        out: DocMapping = {}
        self.positions[()] = self.key_positions[()] = table.corner
        for _, cells in table.data():
            label_cell, cell = cells["label"], cells["value"]
            label = self.read(as_text, label_cell, ())
            if label is None:
                self.problem(ErrorCode.FACTS_SCHEMA, "这一行填写了内容，但「项目」列为空", label_cell.where)
                continue
            if label in layout.INFO_REFERENCE:
                continue
            key = layout.INFO_FIELDS.get(label)
            if key is None:
                near = did_you_mean(label, layout.INFO_FIELDS)
                self.problem(ErrorCode.SOURCE_WORKBOOK, f"未知的项目「{label}」{near}", label_cell.where)
            elif (key,) in self.positions:
                self.problem(ErrorCode.SOURCE_DUPLICATE_KEY, f"项目「{label}」重复", label_cell.where, (key,))
            else:
                self.place((key,), cell, label_cell)
                read = self.read(_number(None), cell, (key,)) if key == "fiscal_year" \
                    else self.read(as_text, cell, (key,))
                if read is not None:
                    out[key] = read
        if "department" not in out:
            self.problem(ErrorCode.FACTS_SCHEMA, "请填写单位名称（部门或单位的全称）",
                         self.positions.get(("department",), table.corner), ("department",))
        return out

    # -- 事实 and 绩效目标 --------------------------------------------------------------------------
    def facts(self, table: _Table, targets: _Table | None) -> DocMapping:
        self.place(("facts",), Cell(None, _header_of(table, "value")))
        out: dict[str, DocMapping] = {}
        rows: dict[str, int] = {}
        lists: list[str] = []
        for number, cells in table.data():
            name = self.read(as_text, cells["name"], ())
            if name is None:
                if any(not cells[k].is_empty() for k in _FILLED if k in cells):
                    self.problem(ErrorCode.FACTS_SCHEMA, "这一行填写了内容，但没有名称", cells["name"].where)
                continue
            if name in rows:
                self.problem(ErrorCode.SOURCE_DUPLICATE_KEY, f"事实「{name}」重复（第一次出现在第 {rows[name]} 行）",
                             cells["name"].where, ("facts", name))
                continue
            rows[name] = number
            kind = self.kind(cells["type"], name)
            if kind == "targets":
                lists.append(name)
            out[name] = self.entry(name, kind, cells)
        items = self.targets(targets, lists) if targets is not None else {}
        for name in lists:
            if items.get(name):  # the list stays located at its row of 事实, each target at its own row
                out[name] = {"value": items[name], **out[name]}
        kept: DocMapping = {name: entry for name, entry in out.items() if "value" in entry}
        return kept

    def kind(self, cell: Cell, name: str) -> str | None:
        label = self.read(as_text, cell, ("facts", name))
        if label in _TYPES:
            return _TYPES[label]
        self.problem(ErrorCode.SOURCE_WORKBOOK, f"事实「{name}」的类型「{label or '（空）'}」无法识别，应为："
                     f"{'、'.join(_TYPES)}（由 jixiao template 按指标体系填写，请勿修改）", cell.where, ("facts", name))
        return None

    def entry(self, name: str, kind: str | None, cells: dict[str, Cell]) -> DocMapping:
        base: Path = ("facts", name)
        self.place(base, cells["name"])
        entry: DocMapping = {}
        unit = self.read(as_text, cells["unit"], (*base, "unit"))
        value: DocValue = None
        cell = cells["value"]
        if kind == "boolean":
            value = self.read(as_boolean, cell, (*base, "value"))
        elif kind in ("decimal", "integer"):
            value = self.read(_number(unit), cell, (*base, "value"))
        elif kind == "enum":
            value = self.read(as_text, cell, (*base, "value"))
        if value is not None:
            entry["value"] = value
        for key in ("value", "unit", "source", "quote", "note"):
            if key in cells:
                self.place((*base, key), cells[key])
                text = unit if key == "unit" else None if key == "value" else self.read(
                    as_text, cells[key], (*base, key))
                if text is not None:
                    entry[key] = text
        return entry

    def targets(self, table: _Table, lists: list[str]) -> dict[str, list[DocValue]]:
        found: dict[str, list[DocValue]] = {name: [] for name in lists}
        for _, cells in table.data():
            first = next(iter(cells.values()))
            fact = self.read(as_text, cells["fact"], ()) if "fact" in cells else None
            if fact is None and len(lists) == 1:
                fact = lists[0]
            if fact is None or fact not in found:
                given = f"「{fact}」不是「事实」表中类型为目标清单的事实{did_you_mean(fact, lists)}" if fact else \
                    "请在「事实」列填写这一目标属于哪项事实"
                self.problem(ErrorCode.FACTS_UNKNOWN, f"{given}（可选：{'、'.join(lists) or '无'}）",
                             cells.get("fact", first).where)
                continue
            base: Path = ("facts", fact, "value", len(found[fact]))
            found[fact].append(self.target(base, cells, first))
        return found

    def target(self, base: Path, cells: dict[str, Cell], first: Cell) -> DocMapping:
        self.place(base, cells.get("name", first))
        unit = self.read(as_text, cells["unit"], (*base, "unit")) if "unit" in cells else None
        item: DocMapping = {}
        for key, cell in cells.items():
            if key == "fact":
                continue
            self.place((*base, key), cell)
            if key in ("target", "actual"):
                value = self.read(_number(unit), cell, (*base, key))
            elif key == "direction":
                value = self.read(_direction, cell, (*base, key))
            else:
                value = unit if key == "unit" else self.read(as_text, cell, (*base, key))
            if value is not None:
                item[key] = value
        return item

    # -- a table fact's sheet ------------------------------------------------------------------------
    def table_sheet(self, sheet: str, grid: list[list[Cell]], facts: DocValue) -> None:
        """A sheet whose A1 is ``表格：名称``: one fact, its rows × columns, each value located at its cell.

        Rows and columns are taken as written; fact validation checks them against the policy.
        """
        assert isinstance(facts, dict)
        mark = grid[0][0]
        name = str(mark.value)[len(layout.TABLE_MARK):].strip()
        base: Path = ("facts", name)
        if not name or name in facts:
            what = f"表格事实「{name}」重复（已在「事实」表或另一张表格中填写）" if name else "A1 应写「表格：表名」"
            self.problem(ErrorCode.SOURCE_DUPLICATE_KEY if name else ErrorCode.SOURCE_WORKBOOK, what, mark.where, base)
            return
        unit_cell = self.at(grid, 1, 2, sheet)
        unit = self.read(as_text, unit_cell, (*base, "unit"))
        self.place(base, mark)
        self.place((*base, "unit"), unit_cell)
        self.place((*base, "value"), mark)
        header = grid[1] if len(grid) > 1 else []
        columns = [(i, text, cell) for i, cell in enumerate(header) if i >= 1
                   and (text := self.read(as_text, cell, (*base, "value"))) is not None]
        rows: DocMapping = {}
        for number in range(3, len(grid) + 1):
            label_cell = self.at(grid, number, 0, sheet)
            row = self.read(as_text, label_cell, (*base, "value"))
            cells = [(column, head, self.at(grid, number, i, sheet)) for i, column, head in columns]
            if row is None:
                if any(not cell.is_empty() for _, _, cell in cells):
                    self.problem(ErrorCode.FACTS_SCHEMA, "这一行填写了数值，但 A 列没有行名", label_cell.where, base)
                continue
            if row in rows:
                self.problem(ErrorCode.SOURCE_DUPLICATE_KEY, f"表格「{name}」的行「{row}」重复", label_cell.where,
                             (*base, "value", row))
                continue
            self.place((*base, "value", row), label_cell)
            values: DocMapping = {}
            for column, head, cell in cells:
                path: Path = (*base, "value", row, column)
                read = None if cell.is_empty() else self.read(_number(unit), cell, path)
                if read is not None:
                    values[column] = read
                    self.place(path, cell, head)
            rows[row] = values
        facts[name] = {"value": rows, **({"unit": unit} if unit is not None else {})}

    # -- 指标名称 -----------------------------------------------------------------------------------
    def names(self, table: _Table) -> DocMapping:
        out: DocMapping = {}
        self.place(("indicator_names",), Cell(None, table.corner))
        for _, cells in table.data():
            ident = self.read(as_text, cells["id"], ("indicator_names",))
            name = self.read(as_text, cells["name"], ("indicator_names",))
            if name is None:
                continue
            if ident is None:
                self.problem(ErrorCode.FACTS_SCHEMA, "填写了本单位的名称，但没有指标编号", cells["id"].where)
            elif ident in out:
                self.problem(ErrorCode.SOURCE_DUPLICATE_KEY, f"指标「{ident}」重复", cells["id"].where,
                             ("indicator_names", ident))
            else:
                self.place(("indicator_names", ident), cells["name"], cells["id"])
                out[ident] = name
        return out


def _header_of(table: _Table, key: str) -> CellLocation:
    """The header cell of a column (a missing fact is reported there, at the column to fill)."""
    col = table.rows[0][1][key].where.col if table.rows else 1
    return CellLocation(table.corner.file, 1, col, table.corner.sheet)


def _number(unit: str | None) -> Callable[[Cell], Decimal | bool | str | None]:
    """Read a number cell of a fact in ``unit``."""
    return lambda cell: as_number(cell, unit)


def _direction(cell: Cell) -> str | None:
    word = as_text(cell)
    if word is None:
        return None
    if word.casefold() in layout.DIRECTIONS:
        return layout.DIRECTIONS[word.casefold()]
    raise CellProblem(ErrorCode.FACTS_TYPE, f"方向应填「越高越好」或「越低越好」，单元格中是「{word}」")
