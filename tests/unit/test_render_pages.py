"""Report pages: text and Markdown lay out the same content; data never becomes markup."""

from __future__ import annotations

from engine.render.common import width
from engine.render.page import Entry, Page, Row, Section, Table
from engine.render.page_markdown import render_page_markdown
from engine.render.page_text import render_page_text

PAGE = Page("t", "标题 <b>*粗*</b>", (("规则", "a_b | c"),), (
    Section("表", ("说明",), Table(("指标", "分值"), (Row(("资金管理", "20.00")), Row(("预算完成率", "5.00"), 1),
                                                     Row(("总分", "100.00"), 0, True)))),
    Section("条目", entries=(Entry("扣分 <script>", "−6.000", (("计算", "6 − 1 × (11.44% − 5%)"),),
                                   (Entry("子项", "", (("验证", "通过"),), (), "ok"),), "lost"),)),
))


def test_text_aligns_columns_by_display_width():
    lines = render_page_text(PAGE).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("指标"))
    rows = lines[start + 2:start + 5]
    assert [width(r.removesuffix("  ◀")) for r in rows] == [width(lines[start])] * 3
    assert rows[1].startswith("  预算完成率") and rows[2].endswith("◀")
    assert "1. 扣分 <script>  −6.000" in lines and "   · 子项" in lines


def test_markdown_escapes_data_that_looks_like_markup():
    text = render_page_markdown(PAGE)
    assert "# 标题 &lt;b>\\*粗\\*&lt;/b>" in text
    assert "- **规则**：a\\_b | c" in text
    assert "| 　预算完成率 | 5.00 |" in text and "| **总分** | **100.00** |" in text
