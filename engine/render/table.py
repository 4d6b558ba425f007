"""A policy → its 评分标准表, the table a finance bureau publishes (stage: render; pure).

One row per scored indicator: 一级 / 二级 / 三级指标 (an inner indicator as 「名称（N分）」, repeated on every
row below it so that each row reads alone), 分值, 评分标准 (the rule's official wording verbatim; an inferred
rule's wording is marked 「（推断）」) and 备注 (the rule's note). ``jixiao import`` reads the same columns back
(:mod:`engine.authoring.importer`), so a published table and the executable rules cannot disagree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals
from engine.compile import CompiledIndicator, CompiledPolicy
from engine.render.common import node_name

__all__ = ["INFERRED", "LEVELS", "ScoringTable", "TableRow", "render_table_html", "render_table_markdown",
           "scoring_table", "weight_text"]

LEVELS = tuple(f"{c}级指标" for c in "一二三四五六七八九十")
INFERRED = "（推断）"


@dataclass(frozen=True, slots=True)
class TableRow:
    """One scored indicator: the names down its path, its 分值, the wording and the note."""

    names: tuple[str, ...]
    weight: str
    wording: str
    note: str


@dataclass(frozen=True, slots=True)
class ScoringTable:
    """The page model: a title, the level headers in use, the rows and the total."""

    title: str
    levels: tuple[str, ...]
    rows: tuple[TableRow, ...]
    total: str

    @property
    def header(self) -> tuple[str, ...]:
        """The column headers, in order."""
        return (*self.levels, "分值", "评分标准", "备注")

    def cells(self) -> list[tuple[str, ...]]:
        """Every row as plain cells under :attr:`header` (names padded to the deepest level)."""
        depth = len(self.levels)
        return [(*row.names, *[""] * (depth - len(row.names)), row.weight, row.wording, row.note) for row in self.rows]


def weight_text(value: Decimal | None) -> str:
    """分值 as the table prints it: ``5``, ``0.5``; empty for 加减分."""
    return "" if value is None else decimals.fmt(value)


def scoring_table(policy: CompiledPolicy) -> ScoringTable:
    """The page model of ``policy``'s 评分标准表."""
    rows: list[TableRow] = []

    def walk(node: CompiledIndicator, above: tuple[str, ...]) -> None:
        name = node_name(node)
        if node.leaf is None:
            label = f"{name}（{weight_text(node.max)}分）" if node.max is not None else name
            for child in node.children:
                walk(child, (*above, label))
            return
        rule = node.leaf.rule
        inferred = rule.provenance == "inferred"
        notes = [rule.note or "", *(f"推断参数 {name}：{note}" for name, note in rule.inferred.items())]
        rows.append(TableRow((*above, name), weight_text(node.max),
                             f"{INFERRED}{rule.wording}" if inferred else rule.wording,
                             "；".join(n for n in notes if n)))

    for top in policy.indicators:
        walk(top, ())
    depth = max((len(r.names) for r in rows), default=1)
    levels = (*LEVELS, *(f"{n}级指标" for n in range(len(LEVELS) + 1, depth + 1)))[:depth]
    return ScoringTable(f"{policy.meta.name}评分标准表", levels, tuple(rows), weight_text(policy.total.max))


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def render_table_markdown(table: ScoringTable) -> str:
    """The table as GitHub-flavoured Markdown (pastes into Word and reads back with ``jixiao import``)."""
    lines = [f"# {_md(table.title)}", "", "| " + " | ".join(table.header) + " |",
             "|" + "|".join("---" for _ in table.header) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in cells) + " |" for cells in table.cells()]
    lines += ["", f"合计 {table.total} 分。"]
    return "\n".join(lines) + "\n"


def render_table_html(table: ScoringTable) -> str:
    """The table as one self-contained HTML page (no external resources), A4-printable."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>\n"
                   for cells in table.cells())
    title = html.escape(table.title)
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>"
            "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',sans-serif;margin:2em}"
            "table{border-collapse:collapse;width:100%}th,td{border:1px solid #444;padding:4px 6px;"
            "vertical-align:top}th{background:#ddebf7}tr{page-break-inside:avoid}"
            "@page{size:A4 landscape;margin:15mm}</style></head><body>"
            f"<h1>{title}</h1><table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"
            f"<p>合计 {html.escape(table.total)} 分。</p></body></html>\n")
