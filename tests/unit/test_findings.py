"""Findings: a broken ``severity: warning`` constraint is reported beside the score, in every output,
and ``--strict`` turns it into an error (issue 13 §3)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.errors import PolicyErrors
from engine.extend import merge
from engine.facts import refuse_findings
from engine.loader import facts_from_text, policy_from_text
from engine.render.json import dump_result, load_result, render_json
from engine.render.markdown import render_markdown
from engine.render.text import render_text
from engine.source import parse_document
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT

POLICY = ROOT / "tests" / "policies" / "findings" / "ah-project.yaml"
FACTS = ROOT / "tests" / "facts" / "ah-tangxi-cunji-2022.yaml"
FACTS_REL = "tests/facts/ah-tangxi-cunji-2022.yaml"
MESSAGE = "年度资金总额应不少于其中的本年财政拨款"


@pytest.fixture(scope="module")
def result() -> engine.Result:
    policy = engine.load_policy(POLICY)
    return engine.evaluate(policy, engine.read_facts(FACTS, policy))


def test_a_warning_constraint_is_a_located_finding_and_the_score_stands(result):
    assert result.total == 26
    (finding,) = result.findings
    assert finding.code == "facts.constraint" and MESSAGE in finding.message
    assert "0 ≥ 132.912" in finding.message
    assert (finding.location.file.endswith(FACTS_REL), finding.location.line) == (True, 6)
    assert finding.rule_location.file.endswith("ah-project.yaml") and finding.rule_location.line == 27
    assert finding.field == "facts.年度资金总额全年预算数"


def test_the_finding_is_in_text_markdown_and_json(result):
    text, markdown = render_text(result), render_markdown(result)
    for out in (text, markdown):
        assert MESSAGE in out and f"{FACTS_REL}:6:24" in out and "发现" in out
    assert "总分：26.00 / 26.00" in text
    data = json.loads(render_json(result))
    assert data["total"] == "26.00"
    (finding,) = data["findings"]
    assert finding["code"] == "facts.constraint" and finding["location"]["line"] == 6
    assert finding["rule_location"]["line"] == 27 and MESSAGE in finding["message"]


def test_no_findings_no_findings_key_or_line():
    policy = engine.load_policy(GZ_POLICY)
    result = engine.evaluate(policy, engine.read_facts(GZ_FACTS, policy))
    assert result.findings == ()
    assert "findings" not in json.loads(render_json(result)) and "发现" not in render_text(result)


def test_findings_survive_the_stored_result(result):
    assert load_result(dump_result(result)) == result
    assert load_result(dump_result(result)).findings == result.findings


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_score_prints_score_and_finding_in_every_format(fmt):
    run = CliRunner().invoke(main, ["score", str(POLICY), str(FACTS), "--format", fmt])
    assert run.exit_code == 0, run.output
    assert MESSAGE in run.output and "26.00" in run.output


@pytest.mark.parametrize("command", [["score"], ["explain"], ["recover"], ["whatif", "--set", "补助村社区数量=7"]])
def test_views_show_the_finding_and_strict_refuses(command):
    args = [command[0], str(POLICY), str(FACTS), *command[1:]]
    shown = CliRunner().invoke(main, args)
    assert shown.exit_code == 0, shown.output
    if command[0] != "whatif":  # the what-if page shows what changed; its JSON carries the findings
        assert MESSAGE in shown.output
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert strict.exit_code == 1, strict.output
    assert f"{FACTS_REL}:6:24: facts.constraint: " in strict.output and "--strict" in strict.output
    assert "Traceback" not in strict.output


def test_explain_json_carries_the_findings():
    run = CliRunner().invoke(main, ["explain", str(POLICY), str(FACTS), "--format", "json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["findings"][0]["location"]["line"] == 6


def test_check_lists_findings_and_strict_fails():
    run = CliRunner().invoke(main, ["check", str(POLICY), str(FACTS)])
    assert run.exit_code == 0 and "检查通过" in run.output and MESSAGE in run.output
    strict = CliRunner().invoke(main, ["check", str(POLICY), str(FACTS), "--strict"])
    assert strict.exit_code == 1 and MESSAGE in strict.output


def test_strict_keeps_facts_without_findings():
    policy = engine.load_policy(GZ_POLICY)
    facts = engine.read_facts(GZ_FACTS, policy)
    assert refuse_findings(facts) is facts


def test_an_error_constraint_still_refuses_the_file():
    text = POLICY.read_text(encoding="utf-8").replace("    severity: warning\n", "")
    policy = policy_from_text(text, "p.yaml")
    with pytest.raises(PolicyErrors) as err:
        facts_from_text(FACTS.read_text(encoding="utf-8"), FACTS_REL, policy)
    assert [p.code for p in err.value.problems] == ["facts.constraint"]


def test_default_severity_keeps_the_policy_digest():
    text = GZ_POLICY.read_text(encoding="utf-8")
    explicit = text.replace("    message: 已实现绩效目标数不能多于申报绩效目标数\n",
                            "    message: 已实现绩效目标数不能多于申报绩效目标数\n    severity: error\n")
    assert explicit != text
    assert policy_from_text(explicit, "a.yaml").digest == policy_from_text(text, "b.yaml").digest


def test_unknown_severity_is_a_located_schema_error():
    text = POLICY.read_text(encoding="utf-8").replace("severity: warning", "severity: notice")
    with pytest.raises(PolicyErrors) as err:
        policy_from_text(text, "p.yaml")
    (problem,) = err.value.problems
    assert problem.code == "policy.schema" and problem.location.line == 29


def test_extends_adds_constraints_after_the_parents(tmp_path):
    parent = parse_document(GZ_POLICY.read_text(encoding="utf-8"), "gz.yaml")
    child = parse_document("extends: gz.yaml\nconstraints:\n  - when: 申报绩效目标数 >= 30\n"
                           "    message: 申报绩效目标不足 30 项\n    severity: warning\n", "child.yaml")
    merged = merge(parent, child)
    constraints = merged.value["constraints"]
    assert len(constraints) == 3 and constraints[2]["severity"] == "warning"
    assert merged.locate(("constraints", 2, "when")).file == "child.yaml"
    assert merged.locate(("constraints", 2, "when")).line == 3
    assert merged.locate(("constraints", 0, "when")).file == "gz.yaml"
    (tmp_path / "gz.yaml").write_text(GZ_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "child.yaml").write_text(child_text := "extends: gz.yaml\npolicy: {version: '2'}\nconstraints:\n"
                                         "  - when: 申报绩效目标数 >= 30\n    message: 申报绩效目标不足 30 项\n"
                                         "    severity: warning\n", encoding="utf-8")
    assert child_text
    policy = engine.load_policy(tmp_path / "child.yaml")
    result = engine.evaluate(policy, engine.read_facts(GZ_FACTS, policy))
    assert result.total == engine.evaluate(engine.load_policy(GZ_POLICY),
                                           engine.read_facts(GZ_FACTS, engine.load_policy(GZ_POLICY))).total
    (finding,) = result.findings
    assert "申报绩效目标不足 30 项" in finding.message and finding.rule_location.file.endswith("child.yaml")


def test_extends_constraints_must_be_a_list():
    parent = parse_document(GZ_POLICY.read_text(encoding="utf-8"), "gz.yaml")
    child = parse_document("extends: gz.yaml\nconstraints: {when: a}\n", "child.yaml")
    with pytest.raises(PolicyErrors) as err:
        merge(parent, child)
    (problem,) = err.value.problems
    assert problem.code == "policy.extends" and problem.location.line == 2
