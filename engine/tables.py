"""Table facts and fact groups: a policy's declarations → one fact per name (stage: check / validate; pure).

A table fact (``type: table``) is a block of numbers such as 项目资金 (年度资金总额 / 本年财政拨款 / 上年结转 /
其他资金 × 年初预算数 / 全年预算数 / 全年执行数). Each cell is an ordinary optional number fact named
``表[行][列]``, with the table's unit, range and places, so rules, derived facts and constraints read it
like any fact. A fact group (``fact_groups``) gives each of its names one shared declaration.

A fact file writes a table as a mapping of rows to column mappings (under ``value:`` with ``unit:``, or
directly); :func:`flatten` turns it into one fact per cell before validation, each located at its cell. A
cell written ``null``, ``—`` or ``/``, or left out, is blank (空): it is not 0, a rule or derived fact that
reads it is a ``facts.blank`` error at the cell, and a constraint that reads it does not apply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from engine.errors import ErrorCode, Problem, SourceLocation, did_you_mean
from engine.json_values import DocValue
from engine.schema import FactSpec, Policy
from engine.source import Path, SourceDoc, field_path

__all__ = ["BLANKS", "TableDecl", "cell_name", "declared_facts", "flatten", "table_decls"]

BLANKS = ("—", "/", "－", "-", "／")  # a blank cell as forms print it  # noqa: RUF001


def cell_name(table: str, row: str, column: str) -> str:
    """The fact name of one cell, as expressions write it.

    >>> cell_name("项目资金", "本年财政拨款", "全年执行数")
    '项目资金[本年财政拨款][全年执行数]'
    """
    return f"{table}[{row}][{column}]"


@dataclass(frozen=True, slots=True)
class TableDecl:
    """A declared table: its rows and columns, the spec every cell shares, where it is declared."""

    name: str
    spec: FactSpec
    location: SourceLocation

    def cells(self) -> Iterator[tuple[str, str, str]]:
        """Each cell: its row, its column and its fact name, row by row."""
        for row in self.spec.rows:
            for column in self.spec.columns:
                yield row, column, cell_name(self.name, row, column)


def _cell_spec(table: str, spec: FactSpec, row: str, column: str) -> FactSpec:
    described = f"{spec.description}：" if spec.description else ""
    return FactSpec(type="decimal", unit=spec.unit, range=spec.range, places=spec.places, required=False,
                    description=f"{described}表格「{table}」{row} × {column}")


def declared_facts(policy: Policy, doc: SourceDoc) -> tuple[dict[str, tuple[FactSpec, Path]], list[Problem]]:
    """Every fact a policy declares, by name, with the path that declares it, and the clashes.

    Group members come first (in group order), then ``facts`` in order; each table is followed by its
    cells. A name declared twice (a group member also in ``facts``, a cell name also declared) is a
    ``policy.duplicate_name`` problem at its second declaration.
    """
    out: dict[str, tuple[FactSpec, Path]] = {}
    problems: list[Problem] = []

    def add(name: str, spec: FactSpec, path: Path) -> None:
        if name in out:
            first = doc.locate(out[name][1], key=True)
            problems.append(Problem(ErrorCode.POLICY_DUPLICATE_NAME,
                                    f"事实「{name}」重复声明（第一次出现在第 {first.line} 行）",
                                    doc.locate(path, key=True), field_path(path)))
            return
        out[name] = (spec, path)

    for i, group in enumerate(policy.fact_groups):
        for j, name in enumerate(group.names):
            add(name, group.spec(), ("fact_groups", i, "names", j))
    for name, spec in policy.facts.items():
        add(name, spec, ("facts", name))
        for row in spec.rows:
            for column in spec.columns:
                add(cell_name(name, row, column), _cell_spec(name, spec, row, column), ("facts", name))
    return out, problems


def table_decls(policy: Policy, doc: SourceDoc) -> tuple[TableDecl, ...]:
    """The declared tables, in policy order."""
    return tuple(TableDecl(name, spec, doc.locate(("facts", name), key=True))
                 for name, spec in policy.facts.items() if spec.type == "table")


# -- fact files --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Flat:
    """A fact document with its tables written out as one fact per cell, and where the blank cells are."""

    doc: SourceDoc
    blanks: Mapping[str, SourceLocation]
    problems: tuple[Problem, ...]


def flatten(doc: SourceDoc, tables: tuple[TableDecl, ...]) -> Flat:
    """Write each table of a fact document out as one fact per cell, located at the cell.

    A cell may also be written as a fact of its own name (``项目资金[本年财政拨款][全年执行数]: 89.974``),
    and then that value stands, over the table's (so a what-if ``--set`` or a case ``override`` of one cell
    works on a file that writes the table). Unknown rows and columns are ``facts.unknown``
    (with a suggestion), a row or table that is not a mapping ``facts.type``, a missing or wrong table
    unit ``facts.unit`` (once for the table); the cells' own types, places and ranges are checked later
    like any fact's, at the cell.
    """
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    if not tables or not isinstance(facts, dict):
        return Flat(doc, {}, ())
    work = _Flattening(doc, frozenset(facts))
    out: dict[str, DocValue] = {}
    cells = {cell for t in tables for _, _, cell in t.cells()}
    for name, entry in facts.items():
        table = next((t for t in tables if t.name == name), None)
        if table is not None:
            work.table(table, entry, out)
        elif name in cells and _is_blank(entry.get("value") if isinstance(entry, dict) else entry):
            work.blanks[name] = doc.locate(("facts", name))  # a cell of its own name, written blank
        else:
            out[name] = entry
    for table in tables:
        if table.name not in facts and table.spec.required and not any(c in facts for _, _, c in table.cells()):
            what = table.spec.description or "表格"
            work.add(ErrorCode.FACTS_MISSING, ("facts",), f"缺少必填事实「{table.name}」（{what}）", key=True)
        for _, _, cell in table.cells():
            if cell not in out:
                work.blanks.setdefault(cell, doc.locate(("facts", table.name), key=True)
                                       if table.name in facts else doc.locate(("facts",), key=True))
    assert isinstance(doc.value, dict)  # it has a mapping of facts
    value = {**doc.value, "facts": out}
    flat = SourceDoc(doc.file, value, work.positions, work.key_positions, doc.styles)
    return Flat(flat, work.blanks, tuple(work.problems))


def _is_blank(value: DocValue) -> bool:
    """``null``, ``—`` or ``/``: a blank cell.

    >>> _is_blank(None), _is_blank(" — "), _is_blank(0)
    (True, True, False)
    """
    return value is None or (isinstance(value, str) and value.strip() in BLANKS)


class _Flattening:
    def __init__(self, doc: SourceDoc, written: frozenset[str]) -> None:
        self.doc, self.written = doc, written
        self.positions = dict(doc.positions)
        self.key_positions = dict(doc.key_positions)
        self.blanks: dict[str, SourceLocation] = {}
        self.problems: list[Problem] = []

    def add(self, code: ErrorCode, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(Problem(code, message, self.doc.locate(path, key=key), field_path(path)))

    def table(self, table: TableDecl, entry: DocValue, out: dict[str, DocValue]) -> None:
        name, spec = table.name, table.spec
        full = isinstance(entry, dict) and "value" in entry
        rows = entry.get("value") if full and isinstance(entry, dict) else entry
        base: Path = ("facts", name, "value") if full else ("facts", name)
        if not isinstance(rows, dict):
            self.add(ErrorCode.FACTS_TYPE, base, f"表格事实「{name}」应写成 行名: {{列名: 值}} 的映射")
            return
        unit = entry.get("unit") if full and isinstance(entry, dict) else None
        if spec.unit is not None and unit != spec.unit:
            where: Path = ("facts", name, "unit") if unit is not None else ("facts", name)
            self.add(ErrorCode.FACTS_UNIT, where,
                     f"表格「{name}」的单位应为「{spec.unit}」（写 value: 行… 并写 unit: \"{spec.unit}\"）"
                     + (f"，文件写的是「{unit}」" if unit is not None else "，文件没有写单位"))
        given = entry if full and isinstance(entry, dict) else {}
        details: dict[str, DocValue] = {k: given[k] for k in ("quote", "source", "note") if k in given}
        for row, columns in rows.items():
            self.row(table, row, columns, (*base, row), {"unit": spec.unit, **details}, out)

    def row(self, table: TableDecl, row: str, columns: DocValue, path: Path, extra: dict[str, DocValue],
            out: dict[str, DocValue]) -> None:
        name, spec = table.name, table.spec
        if row not in spec.rows:
            self.add(ErrorCode.FACTS_UNKNOWN, path, f"表格「{name}」没有行「{row}」{did_you_mean(row, spec.rows)}",
                     key=True)
            return
        if columns is None:
            return  # a whole row left blank
        if not isinstance(columns, dict):
            self.add(ErrorCode.FACTS_TYPE, path, f"表格「{name}」的行「{row}」应写成 列名: 值 的映射")
            return
        for column, value in columns.items():
            here = (*path, column)
            if column not in spec.columns:
                self.add(ErrorCode.FACTS_UNKNOWN, here,
                         f"表格「{name}」没有列「{column}」{did_you_mean(column, spec.columns)}", key=True)
                continue
            cell = cell_name(name, row, column)
            if cell in self.written:
                continue  # written as a fact of its own name: that value stands
            if _is_blank(value):
                self.blanks[cell] = self.doc.locate(here)
                continue
            out[cell] = {"value": value, **extra}
            self.positions[("facts", cell)] = self.positions[("facts", cell, "value")] = self.doc.locate(here)
            self.key_positions[("facts", cell)] = self.doc.locate(here, key=True)
