"""Honest partial structure (issue 13 §4) and golden-case ergonomics (§6): unseen nodes, weights_note
gaps, the lost invariant over both, and case files with subsets, 未见 and set_derived."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

import engine
from engine.authoring.cases import load_case_file, run_case
from engine.authoring.invariants import check_invariants
from engine.commands.main import main
from engine.errors import PolicyErrors
from engine.loader import policy_from_text
from engine.render.html import render_page_html
from engine.render.json import dump_result, load_result, render_json
from engine.render.markdown import render_markdown
from engine.render.page_score import score_page
from engine.render.text import render_text
from engine.trace import Status
from tests.conftest import ROOT

POLICY = ROOT / "tests" / "policies" / "partial" / "sc-daying-2020.yaml"
FACTS = ROOT / "tests" / "facts" / "sc-daying-2020.yaml"
TEXT = POLICY.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compiled() -> engine.CompiledPolicy:
    return engine.load_policy(POLICY)


@pytest.fixture(scope="module")
def result(compiled) -> engine.Result:
    return engine.evaluate(compiled, engine.read_facts(FACTS, compiled))


def test_unseen_nodes_count_in_max_and_have_no_score(result):
    assert (result.max, result.total, result.unseen()) == (100, Decimal("26.8"), 70)
    assert result.node("A2").status is Status.UNSEEN and result.node("B").status is Status.UNSEEN
    assert result.node("A").unseen() == 50 and result.node("A1").unseen() == 0
    for node in result.nodes():  # Σ lost = max − score wherever the score is known
        if node.unseen() == 0:
            assert node.lost() == node.max - node.score, node.id


def test_every_output_says_what_is_unseen(result):
    assert "总分：26.80 + 未见 70.00 / 100.00" in render_text(result)
    assert "原表未见，得分未知" in render_text(result)
    assert "26.80 + 未见 70.00" in render_markdown(result)
    data = json.loads(render_json(result))
    assert data["unseen"] == "70.00" and data["indicators"][1]["score"] is None
    assert data["indicators"][0]["unseen"] == "50.00" and data["indicators"][0]["score"] == "26.80"
    html = CliRunner().invoke(main, ["score", str(POLICY), str(FACTS), "--format", "html"]).output
    assert "26.80 + 未见 70.00" in html and "未见" in html
    explain = CliRunner().invoke(main, ["explain", str(POLICY), str(FACTS)]).output
    assert "26.80 + 未见 70.00" in explain and "部门预算管理的其余指标" not in explain  # not "below full marks"
    assert load_result(dump_result(result)) == result


def test_the_invariants_hold_on_a_partial_policy(compiled, result):
    facts = engine.read_facts(FACTS, compiled)
    assert check_invariants(compiled, facts) == []


def test_fuzz_passes_on_the_partial_policy():
    run = CliRunner().invoke(main, ["fuzz", str(POLICY), "--examples", "25", "--seed", "1"])
    assert run.exit_code == 0, run.output


def test_an_unseen_node_has_no_rule():
    text = TEXT.replace("        max: 50\n        unseen: true\n",
                        "        max: 50\n        unseen: true\n"
                        "        children: [{id: x, name: x, max: 50, unseen: true}]\n")
    with pytest.raises(PolicyErrors) as err:
        policy_from_text(text, "p.yaml")
    (problem,) = err.value.problems
    assert problem.code == "policy.schema" and "unseen" in problem.message


def test_default_unseen_keeps_the_digest():
    assert policy_from_text(TEXT, "a.yaml").digest == policy_from_text(
        TEXT.replace("    name: 目标制定\n", "    name: 目标制定\n            unseen: false\n"), "b.yaml").digest


WEIGHTS = TEXT.replace("        max: 50\n        unseen: true\n",
                       "        max: 50\n        rule: {id: A2.r, kind: proportional, "
                       "fact: 数量指标达成率, full_at: 100, wording: w, provenance: inferred, note: n}\n")
WEIGHTS = WEIGHTS.replace("    max: 20\n    unseen: true\n", "    max: 20\n    rule: {id: B.r, kind: proportional, "
                          "fact: 数量指标达成率, full_at: 100, wording: w, provenance: inferred, note: n}\n")


def test_a_total_that_does_not_add_up_needs_a_weights_note():
    text = WEIGHTS.replace("total: {max: 100}", "total: {max: 110}")
    with pytest.raises(PolicyErrors) as err:
        policy_from_text(text, "p.yaml")
    assert [(p.code, p.location.line) for p in err.value.problems] == [("policy.total", 11)]
    noted = policy_from_text(text.replace("total: {max: 110}", "total: {max: 110, weights_note: 另有 10 分未公开}"),
                             "p.yaml")
    facts = engine.read_facts(FACTS, noted)
    result = engine.evaluate(noted, facts)
    assert result.gaps() == (("", "总分", 10, "另有 10 分未公开"),)
    line = "总分：分值中有 10.00 分未列明下级指标：另有 10 分未公开"
    assert line in render_text(result) and line in render_markdown(result)
    assert json.loads(render_json(result))["weights_note"]["gap"] == "10.00"


def test_a_node_weights_gap_is_shown_and_the_invariant_holds(tmp_path):
    text = WEIGHTS.replace("        name: 预算编制\n        max: 30\n",
                           "        name: 预算编制\n        max: 32\n        weights_note: 原表另有 2 分未列明\n")
    text = text.replace("    name: 部门预算管理\n    max: 80\n", "    name: 部门预算管理\n    max: 82\n")
    text = text.replace("total: {max: 100}", "total: {max: 102}")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    policy = engine.load_policy(path)
    facts = engine.read_facts(FACTS, policy)
    result = engine.evaluate(policy, facts)
    assert result.node("A1").gap() == 2 and result.node("A1").unscored() == 2
    assert check_invariants(policy, facts) == []
    expected = "预算编制（A1）：分值中有 2.00 分未列明下级指标：原表另有 2 分未列明"
    for args in (["score"], ["score", "--format", "html"], ["explain", "--no-recover"],
                 ["explain", "--no-recover", "--format", "html"]):
        run = CliRunner().invoke(main, [args[0], str(path), str(FACTS), *args[1:]])
        assert run.exit_code == 0 and expected in run.output, (args, run.output)
    assert json.loads(render_json(result))["indicators"][0]["children"][0]["weights_note"]["gap"] == "2.00"


def _case(tmp_path, body: str):
    path = tmp_path / "c.yaml"
    path.write_text(f"policy: {POLICY}\ncases:\n  - name: c\n    facts: {FACTS}\n{body}", encoding="utf-8")
    return run_case(load_case_file(path), 0)


def test_a_subset_match_fails_when_a_wanted_deduction_is_missing(tmp_path):
    assert _case(tmp_path, "    match: subset\n    want_deductions: [{rule: A1.2.r1, points: 2}]\n").passed
    failed = _case(tmp_path, "    match: subset\n    want_deductions: [{rule: A1.2.r1, points: 3}]\n")
    assert not failed.passed and "缺少 A1.2.r1 3" in failed.failures[0]
    exact = _case(tmp_path, "    want_deductions: [{rule: A1.2.r1, points: 2}]\n")
    assert not exact.passed


def test_unknown_is_an_expectation_that_can_fail(tmp_path):
    assert _case(tmp_path, "    want_scores: {A2: 未见}\n").passed
    assert not _case(tmp_path, "    want_scores: {A1: 未见}\n").passed
    assert not _case(tmp_path, "    want_scores: {A2: 0}\n").passed


def test_set_derived_replaces_the_value_and_names_only_derived_facts(tmp_path):
    assert _case(tmp_path, "    set_derived: {数量指标达成率: 95}\n    want_scores: {A1.2: 9.5}\n").passed
    bad = _case(tmp_path, "    set_derived: {预算调剂率: 1}\n    want_total: 1\n")
    assert not bad.passed and "不是派生事实" in bad.failures[0]


def test_check_with_facts_catches_an_optional_fact_a_rule_reads(tmp_path):
    policy = ROOT / "tests" / "policies" / "findings" / "ah-project.yaml"
    text = policy.read_text(encoding="utf-8").replace(
        "  保障村干部人数: {type: integer, unit: 个, range: [0, null]}",
        "  保障村干部人数: {type: integer, unit: 个, range: [0, null], required: false}")
    facts = "".join(line for line in (ROOT / "tests" / "facts" / "ah-tangxi-cunji-2022.yaml").read_text(
        encoding="utf-8").splitlines(keepends=True) if "保障村干部人数" not in line)
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "f.yaml").write_text(facts, encoding="utf-8")
    run = CliRunner().invoke(main, ["check", str(tmp_path / "p.yaml"), str(tmp_path / "f.yaml")])
    assert run.exit_code == 1
    assert f"{tmp_path / 'f.yaml'}:5:1: facts.missing: 规则 CC2.r1" in run.output and "可选" in run.output


GRADES = """grading:
  enabled: true
  grades:
    - {grade: 优, when: "[90, 100]"}
    - {grade: 良, when: "[80, 90)"}
    - {grade: 中, when: "[60, 80)"}
    - {grade: 差, when: "[0, 60)"}
"""


def graded(grades: str) -> engine.Result:
    policy = policy_from_text(TEXT.replace("total: {max: 100}\n", "total: {max: 100}\n" + grades), str(POLICY))
    return engine.evaluate(policy, engine.read_facts(FACTS, policy))


def test_the_grade_is_withheld_when_the_unseen_points_could_change_it():
    result = graded(GRADES)
    assert result.grade is None
    reason = "有 70 分的指标原表未见，总分在 26.8 至 96.8 之间：26.8 分为「差」，96.8 分为「优」，等级无法确定"
    assert result.grade_withheld == reason
    assert f"等级：未知（{reason}）" in render_text(result)
    assert f"等级：未知（{reason}）" in render_markdown(result)
    assert f"未知（{reason}）" in render_page_html(score_page(result))
    data = json.loads(render_json(result))
    assert data["grade"] is None and data["grade_withheld"] == reason
    assert load_result(dump_result(result)) == result


def test_the_grade_is_shown_when_no_unseen_score_could_change_it():
    result = graded(GRADES.replace('''    - {grade: 优, when: "[90, 100]"}
    - {grade: 良, when: "[80, 90)"}
    - {grade: 中, when: "[60, 80)"}
    - {grade: 差, when: "[0, 60)"}''', '''    - {grade: 达标, when: "[20, 100]"}
    - {grade: 不达标, when: "[0, 20)"}'''))
    assert (result.grade, result.grade_withheld) == ("达标", None)  # 26.8 to 96.8: 达标 whatever the unseen score
    assert "等级：达标" in render_text(result) and "grade_withheld" not in render_json(result)
