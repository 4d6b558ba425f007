"""Report pages: text, Markdown and HTML lay out the same content; data never becomes markup."""

from __future__ import annotations

from decimal import Decimal as D

from engine.render.chart import plots
from engine.render.common import width
from engine.render.html import render_page_html
from engine.render.page import Chart, Entry, Page, Row, Section, Series, Table
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


def test_html_is_autoescaped_and_self_contained():
    html = render_page_html(PAGE)
    assert "<script>" not in html and "扣分 &lt;script&gt;" in html
    assert "<title>标题 &lt;b&gt;*粗*&lt;/b&gt;</title>" in html
    assert '<li class="entry ok">' in html and "<style>" in html
    assert render_page_html(PAGE) == html


def test_a_chart_gets_one_plot_per_series_with_the_current_value_marked():
    series = (Series("A1.2", ((D(0), D(6)), (D(5), D(6)), (D(11), D(0)), (D(12), D(0))), D(6)),
              Series("总分", ((D(0), D("100.622")), (D(5), D("100.622")), (D(11), D("94.622")), (D(12), D("94.622"))),
                     None))
    found = plots(Chart("差异率（%）", series, D("11.44"), "现值 11.44%"))
    assert [p.title for p in found] == ["A1.2", "总分"]
    first = found[0]
    assert first.line.split()[0] == f"{first.left}.0,{first.top}.0"  # (0, 6): left edge, top (the weight)
    assert first.line.split()[-1] == f"{first.right}.0,{first.bottom}.0"  # (12, 0): right edge, bottom
    assert first.marker is not None and first.marker[1] == "现值 11.44%"
    assert [label for _, label in found[1].y_ticks] == ["94", "97.5", "101"]
