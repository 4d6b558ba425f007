"""The score report for print and for reading: the full 自评表 on A4, and each fact's quote, source and note."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY

NOTE = "差异原因：临时叫停大湾区个人所得税补贴的经费下达工作"


def _score(fmt: str) -> str:
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", fmt])
    assert run.exit_code == 0, run.output
    return run.output


def test_html_has_an_a4_print_stylesheet_and_a_sign_off_block():
    html = _score("html")
    assert "@page { size: A4" in html and "counter(page)" in html and "@media print" in html
    assert "break-inside: avoid" in html
    block = html[html.index('<section class="signatures">'):]
    assert block.index("评价人") < block.index("复核人") < block.index("日期") < block.index("</main>")


def test_html_lists_every_indicator_full_marks_included():
    html = _score("html")
    policy = engine.load_policy(GZ_POLICY)
    missing = [node.id for node in policy.nodes() if f"<td class=\"num\">{node.id}</td>" not in html]
    assert not missing


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_each_fact_shows_its_quote_source_and_note(fmt):
    out = _score(fmt)
    assert "原文摘录" in out and "财政拨款收入预决算差异率 11.44%" in out
    assert "来源" in out and "二（二）1；即市财政局1—12月支出进度通报" in out
    assert "备注" in out and NOTE in out
