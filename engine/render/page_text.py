"""A :class:`Page` → plain text for a terminal, with CJK-aware column alignment (stage: render; pure)."""

from __future__ import annotations

from engine.render.common import pad, width
from engine.render.page import Entry, Page, Section, Table

__all__ = ["render_page_text"]


def render_page_text(page: Page) -> str:
    """Lay a page out as text; the same page always gives the same bytes."""
    lines = [page.title, *(f"{k}：{v}" for k, v in page.header)]
    for section in page.sections:
        lines += ["", *_section(section)]
    return "\n".join(lines) + "\n"


def _section(section: Section) -> list[str]:
    lines = [section.heading, *section.paragraphs]
    if section.table is not None:
        lines += _table(section.table)
    for i, entry in enumerate(section.entries, 1):
        lines += _entry(entry, f"{i}. ", "   ")
    return lines


def _table(table: Table) -> list[str]:
    rows = [table.columns, *(("  " * r.depth + r.cells[0], *r.cells[1:]) for r in table.rows)]
    widths = [max(width(row[i]) for row in rows) for i in range(len(table.columns))]
    out = []
    for n, row in enumerate(rows):
        cells = [pad(row[0], widths[0])] + [pad(c, w, right=True) for c, w in zip(row[1:], widths[1:], strict=True)]
        mark = "  ◀" if n and table.rows[n - 1].emphasis else ""
        out.append("  ".join(cells).rstrip() + mark)
        if n == 0:
            out.append("-" * width(out[0]))
    return out


def _entry(entry: Entry, bullet: str, indent: str) -> list[str]:
    badge = f"  {entry.badge}" if entry.badge else ""
    lines = [f"{bullet}{entry.title}{badge}"]
    lines += [f"{indent}{label}：{text}" for label, text in entry.lines]
    for child in entry.children:
        lines += _entry(child, f"{indent}· ", indent + "  ")
    return lines
