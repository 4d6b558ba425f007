"""A :class:`Page` → Markdown for pasting into the 自评报告 (stage: render; pure)."""

from __future__ import annotations

from engine.render.page import Entry, Page, Section, Table

__all__ = ["render_page_markdown"]


def render_page_markdown(page: Page) -> str:
    """Lay a page out as GitHub-flavoured Markdown; the same page always gives the same bytes."""
    lines = [f"# {_text(page.title)}", "", *(f"- **{k}**：{_text(v)}" for k, v in page.header)]
    for section in page.sections:
        lines += ["", *_section(section)]
    return "\n".join(lines) + "\n"


def _section(section: Section) -> list[str]:
    lines = [f"## {_text(section.heading)}"]
    for paragraph in section.paragraphs:
        lines += ["", _text(paragraph)]
    if section.table is not None:
        lines += ["", *_table(section.table)]
    if section.entries:
        lines.append("")
        for i, entry in enumerate(section.entries, 1):
            lines += _entry(entry, f"{i}. ", "   ")
    return lines


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(_cell(c) for c in table.columns) + " |",
             "|" + "---|" + "---:|" * (len(table.columns) - 1)]
    for row in table.rows:
        cells = [_cell(c) for c in row.cells]
        if row.emphasis:
            cells = [f"**{c}**" if c else c for c in cells]
        cells[0] = "　" * row.depth + cells[0]  # outside the bold: ** followed by a space is not bold
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _entry(entry: Entry, bullet: str, indent: str) -> list[str]:
    badge = f"：{entry.badge}" if entry.badge else ""
    lines = [f"{bullet}**{_text(entry.title)}**{badge}"]
    lines += [f"{indent}- {label}：{_text(text)}" for label, text in entry.lines]
    for child in entry.children:
        lines += _entry(child, f"{indent}- ", indent + "  ")
    return lines


def _text(text: str) -> str:
    """Keep Markdown from reading data as markup (``*``, ``_``, ``<``)."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")
