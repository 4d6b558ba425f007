"""The reviewer's walk through the workbench in a real browser (issue 15 §1, §5).

Load the Guangzhou facts → 94.622 and a recorded decision; open the 差异率 deduction → its trace;
change 财政拨款收入预决算差异率 to 5 → 100.622; download the report; compare two policy versions;
an Excel workbook, pasted text and a broken file. Every figure is the engine's (`jixiao score`).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import openpyxl
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT
from tests.excel.fill import fill_workbook

VARIANCE = "财政拨款收入预决算差异率"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def score(browser: Any, server: Any, facts: Path = GZ_FACTS, policy: str = "gz-dept-2021@1.0.0-r1") -> Any:
    """Open the start page, choose the policy, upload ``facts`` and score: the page with the result."""
    page = browser.page()
    page.goto(f"{server.url}/")
    page.select_option("#policy", policy)
    page.set_input_files("#facts_file", str(facts))
    page.get_by_role("button", name="评分并记录").click()
    expect(page.locator("#total")).to_be_visible()
    return page


def test_scoring_the_guangzhou_facts_shows_94_622_and_records_the_decision(browser, server):
    page = browser.page()
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", name="为部门整体支出绩效自评打分")).to_be_visible()
    browser.screenshot(page, "01-start")
    page.close()
    page = score(browser, server)
    expect(page.locator("#total")).to_have_text("94.622")
    expect(page.locator("#tree-total")).to_have_text("94.622")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("广州市科学技术局")
    expect(summary).to_contain_text("gz-dept-2021 版本 1.0.0-r1")
    decision = page.locator("#decision-id").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", decision), decision
    stored = httpx.get(f"{server.url}/decisions/{decision}").json()  # recorded as the API records it
    assert stored["total"] == "94.622" and stored["facts"]["department"] == "广州市科学技术局"
    funds = page.locator('details[data-id="A1"] > summary')  # 资金管理: 分值 20, 得分 13.932, 扣分 6.068
    expect(funds.locator(".num")).to_have_text(["20.00", "13.932", "6.068"])
    browser.screenshot(page, "02-result")
    funds.click()  # collapsible: a click folds it
    expect(page.locator('details[data-id="A1"]')).not_to_have_attribute("open", "")


def test_the_variance_deduction_opens_its_trace(browser, server):
    page = score(browser, server)
    page.locator('button.deduction[data-indicator="A1.2"]').click()
    panel = page.locator("#panel")
    expect(panel.locator("h2")).to_have_text("追踪：财政拨款收入预决算差异率（A1.2）")
    for text in ("差异率≤5%得满分，每超1个百分点扣1分，扣完为止",  # the wording, verbatim
                 "A1.2.r1（每点扣分，推断）",  # rule and provenance
                 "弱推断",  # why it was inferred
                 "11.44%", "gz-kjj-2021.yaml:18", "二（二）1", "「财政拨款收入预决算差异率 11.44%」",
                 "差异原因：临时叫停大湾区个人所得税补贴的经费下达工作",  # the fact's source, quote and note
                 "6 − 1 × (11.44% − 5%) = −0.44，扣完为止，得 0",  # the computation
                 "超过 5% 起扣",  # the threshold
                 "降至 5.00% 及以下，可挽回 6.000 分", "验证通过"):  # the verified recovery
        expect(panel).to_contain_text(text)
    page.locator("#scores").scroll_into_view_if_needed()
    browser.screenshot(page, "03-trace")


def test_changing_the_variance_to_5_gives_100_622(browser, server):
    page = score(browser, server)
    page.locator('button.deduction[data-indicator="A1.2"]').click()
    panel = page.locator("#panel")
    panel.get_by_label(f"{VARIANCE} 的新值").fill("5")
    panel.get_by_role("button", name="试算", exact=True).click()
    expect(page.locator("#whatif-total")).to_have_text("94.622 → 100.622（+6.000）")
    row = panel.locator("tr", has=page.locator("td", has_text="A1.2"))
    expect(row.locator("td")).to_have_text([VARIANCE, "A1.2", "0.00", "6.00", "+6.000"])
    expect(panel).to_contain_text("扣分消失")
    expect(page.locator("#total")).to_have_text("94.622")  # the recorded score is left as it was
    browser.screenshot(page, "04-whatif")


def test_editing_facts_in_the_facts_table_without_uploading_again(browser, server):
    page = score(browser, server)
    facts = page.locator("#facts")
    facts.get_by_label(VARIANCE, exact=True).fill("7")
    facts.get_by_label("政府采购执行率", exact=True).fill("100")
    facts.get_by_role("button", name="试算").click()
    # 7 %: 6 − 1 × (7 − 5) = 4 (+4); 100 %: +0.310 → 94.622 + 4.310
    expect(page.locator("#whatif-total")).to_have_text("94.622 → 98.932（+4.310）")


def test_the_report_downloads_with_the_decision_id(browser, server):
    page = score(browser, server)
    decision = page.locator("#decision-id").inner_text()
    with page.expect_download() as info:
        page.locator("#report-html").click()
    download = info.value
    assert download.suggested_filename == f"jixiao-广州市科学技术局-{decision}.html"
    html = Path(download.path()).read_text(encoding="utf-8")
    for text in (decision, "94.622 / 100.00", "资金管理", "13.932", "差异率≤5%得满分，每超1个百分点扣1分，扣完为止",
                 "差异原因：临时叫停大湾区个人所得税补贴的经费下达工作"):
        assert text in html, text
    with page.expect_download() as info:
        page.locator("#report-json").click()
    body = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert (body["id"], body["total"]) == (decision, "94.622")
    with page.expect_download() as info:
        page.locator("#report-xlsx").click()
    assert info.value.suggested_filename == f"jixiao-广州市科学技术局-{decision}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))  # the path has no suffix
    assert book.sheetnames == ["自评表", "扣分明细", "事实"]
    assert next(row for row in book["自评表"].iter_rows(values_only=True) if "总分" in row)[3] == 94.622
    expect(page.locator("#total")).to_have_text("94.622")  # the page stayed where it was
    report = browser.page()  # the downloaded file is self-contained: shown as it is, it loads nothing
    report.set_content(html)
    expect(report.locator("h1")).to_have_text("广州市科学技术局 部门整体支出绩效自评得分")
    expect(report.locator(".signatures")).to_contain_text("复核人")
    browser.screenshot(report, "07-report", full_page=True)


def test_two_policy_versions_compare_on_the_same_facts(browser, server):
    page = score(browser, server)
    page.select_option("#other", "gz-dept-2021-r1p@1.0.0-r1p")
    page.get_by_role("button", name="比较").click()
    panel = page.locator("#panel")
    expect(panel.locator("h2")).to_have_text("指标体系版本比较")
    expect(panel).to_contain_text("A1.2.r1p")
    expect(panel).to_contain_text("差异率≤5%得满分；5%-10%（含）得50%；差异率>10%不得分")
    expect(page.locator("#diff-total")).to_have_text("94.622 → 94.622（0）")  # both readings give 0 at 11.44 %
    browser.screenshot(page, "05-diff")


def test_an_excel_workbook_scores_the_same_and_traces_to_its_cell(browser, server, tmp_path):
    template = tmp_path / "template.xlsx"
    run = CliRunner().invoke(main, ["template", str(GZ_POLICY), "--xlsx", str(template)])
    assert run.exit_code == 0, run.output
    workbook = fill_workbook(template, GZ_FACTS, tmp_path / "gz.xlsx")
    page = score(browser, server, workbook)
    expect(page.locator("#total")).to_have_text("94.622")
    page.locator('button.deduction[data-indicator="A1.2"]').click()
    expect(page.locator("#panel")).to_contain_text(re.compile(r"gz\.xlsx!事实!C\d+"))
    page.locator("#panel").get_by_label(f"{VARIANCE} 的新值").fill("5")
    page.locator("#panel").get_by_role("button", name="试算", exact=True).click()
    expect(page.locator("#whatif-total")).to_have_text("94.622 → 100.622（+6.000）")


def test_pasted_facts_score_and_a_broken_file_is_located(browser, server):
    page = browser.page()
    page.goto(f"{server.url}/")
    page.select_option("#policy", "gz-dept-2021@1.0.0-r1")
    page.fill("#facts_text", GZ_FACTS.read_text(encoding="utf-8"))
    page.get_by_role("button", name="评分并记录").click()
    expect(page.locator("#total")).to_have_text("94.622")
    page.fill("#facts_text", GZ_FACTS.read_text(encoding="utf-8").replace("value: 11.44", "value: 十一"))
    page.get_by_role("button", name="评分并记录").click()
    problems = page.locator("#result .problems")
    expect(problems).to_contain_text("粘贴的事实.yaml:18")
    expect(problems).to_contain_text("facts.type")
    browser.screenshot(page, "06-problem")


def test_claimed_scores_are_reviewed_in_their_tab(browser, server):
    page = score(browser, server, ROOT / "facts" / "gz-kjj-2021-claimed.yaml")
    page.get_by_role("link", name="复核填报得分").click()
    page.locator("#review").get_by_role("button", name="复核", exact=True).click()
    panel = page.locator("#panel")
    expect(panel.locator("h2")).to_have_text("广州市科学技术局 部门整体支出绩效自评：得分复核")
    expect(panel).to_contain_text("一致")
    browser.screenshot(page, "10-review")
    with page.expect_download() as info:
        page.locator("#review-xlsx").click()
    assert info.value.suggested_filename == "jixiao-复核-广州市科学技术局.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames[:2] == ["复核表", "差异明细"]
    expect(panel).to_contain_text("一致")  # the page stayed where it was
