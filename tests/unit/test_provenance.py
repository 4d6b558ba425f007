"""Provenance of single parameters (issue 13 §5): ``inferred`` on a rule and on a fact declaration,
printed next to the rule in text, Markdown and HTML, counted in the header and kept in JSON."""

from __future__ import annotations

import json

import pytest

import engine
from engine.errors import ErrorCode, PolicyErrors
from engine.loader import facts_from_text, policy_from_text
from engine.render.html import render_page_html
from engine.render.json import dump_result, load_result, render_json
from engine.render.markdown import render_markdown
from engine.render.page_score import score_page
from engine.render.text import render_text
from tests.conftest import ROOT

POLICY = """\
policy: {id: t, name: 测试, issuer: 测试, fiscal_year: 2021, version: "1"}
rounding: {score: {places: 2, mode: half_up}}
total: {max: 10}
facts:
  执行数: {type: decimal, unit: 万元, range: [0, null]}
  预算数: {type: decimal, unit: 万元, range: [0, null]}
  执行率:
    type: decimal
    unit: "%"
    range: [0, 200]
    derive: 执行数 / 预算数 * 100
    rounding: {places: 2, mode: down}
    inferred: {rounding: 报告把 90.567% 印成 90.56%，推断为截断}
indicators:
  - id: A
    name: 执行率
    max: 10
    rule:
      id: A.r1
      kind: per_point
      fact: 执行率
      direction: below
      threshold: 100
      points: 1
      counting: whole
      wording: 每低1个百分点扣1分
      provenance: official
      inferred: {counting: 原文未说明不足1个百分点如何计，按整点推断}
"""
FACTS = "department: 测试单位\nfacts:\n  执行数: {value: 90.567, unit: 万元}\n  预算数: {value: 100, unit: 万元}\n"


@pytest.fixture(scope="module")
def result() -> engine.Result:
    policy = policy_from_text(POLICY, "p.yaml")
    return engine.evaluate(policy, facts_from_text(FACTS, "f.yaml", policy))


def test_an_official_rule_with_an_inferred_parameter_counts_as_inferred(result):
    assert (result.inferred_rules, result.inferred_parameters) == (1, 2)
    (d,) = result.deductions()
    assert d.provenance == "official" and d.inferred == (("counting", "原文未说明不足1个百分点如何计，按整点推断"),)
    rate = next(r for r in d.facts if r.name == "执行率")
    assert rate.inferred == (("rounding", "报告把 90.567% 印成 90.56%，推断为截断"),)
    assert result.total == 1  # 90.567 → 90.56 % (down), 9.44 points below → 9 whole points lost


def render_html(result: engine.Result) -> str:
    return render_page_html(score_page(result))


@pytest.mark.parametrize("render", [render_text, render_markdown, render_html])
def test_every_report_prints_the_inferred_parameter_next_to_the_rule(result, render):
    out = render(result)
    assert "有 1 条规则全部或部分为推断（inferred），共 2 处参数或事实声明为推断" in out
    rule_at = out.index("每低1个百分点扣1分")
    assert out.index("推断参数 counting") > rule_at and "原文未说明不足1个百分点如何计，按整点推断" in out
    assert "推断（rounding）" in out and "报告把 90.567% 印成 90.56%，推断为截断" in out


def test_json_keeps_the_inferred_parameters_and_round_trips(result):
    data = json.loads(render_json(result))
    assert data["inferred_rules"] == 1 and data["inferred_parameters"] == 2
    (deduction,) = data["indicators"][0]["deductions"]
    assert deduction["inferred"] == {"counting": "原文未说明不足1个百分点如何计，按整点推断"}
    assert deduction["facts"][0]["inferred"] == {"rounding": "报告把 90.567% 印成 90.56%，推断为截断"}
    assert load_result(dump_result(result)) == result


def test_a_policy_without_inferred_parameters_keeps_its_json_shape():
    policy = engine.load_policy(ROOT / "tests" / "bad" / "base-policy.yaml")
    assert policy.inferred_parameters == 0


@pytest.mark.parametrize(("edit", "message", "line"), [
    ("inferred: {counting: 原文未说明", "inferred 的键「countin」不是本规则的参数，是否为「counting」？", 28),
    ("inferred: {rounding: 报告把", "inferred 的键「roundin」不是事实声明的键，是否为「rounding」？", 13),
])
def test_an_inferred_key_that_names_no_parameter_is_located(edit, message, line):
    text = POLICY.replace(edit, edit.replace("counting", "countin").replace("rounding", "roundin"))
    with pytest.raises(PolicyErrors) as caught:
        policy_from_text(text, "p.yaml")
    (problem,) = caught.value.problems
    assert problem.code is ErrorCode.POLICY_SCHEMA and message in problem.message
    assert problem.location is not None and problem.location.line == line


def test_an_empty_note_is_refused():
    with pytest.raises(PolicyErrors) as caught:
        policy_from_text(POLICY.replace("{counting: 原文未说明不足1个百分点如何计，按整点推断}", "{counting: ' '}"),
                         "p.yaml")
    assert "推断依据不能为空" in caught.value.problems[0].message


def test_the_bundled_policies_mark_their_inferred_parameters_and_keep_their_scores():
    gz = engine.load_policy(ROOT / "policies" / "gz-dept-2021.yaml")
    result = engine.evaluate(gz, engine.read_facts(ROOT / "facts" / "gz-kjj-2021.yaml", gz))
    assert str(result.total) == "94.622" and result.inferred_parameters == 4
    assert {d.name for d in gz.facts if d.spec.inferred} == {"固定资产使用率", "公用经费控制率", "三公经费控制率",
                                                              "绩效目标完成率"}
    mof = engine.load_policy(ROOT / "policies" / "mof-project-2020.yaml")
    tianchang = engine.evaluate(mof, engine.read_facts(ROOT / "facts" / "ah-tianchang-shuili-proj-2022.yaml", mof))
    qualitative = [r for r in tianchang.nodes() if r.id.startswith(("3.", "4."))]
    assert tianchang.total == 100 and qualitative
    assert tianchang.inferred_parameters == 6  # 6 qualitative rows, each with its tiers' boundary inferred
