"""Report titles and labels come from the policy (issue 13 §5): 项目支出绩效自评 vs 部门整体支出绩效自评,
得分系数 vs 评定系数, in every renderer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.errors import ErrorCode, JixiaoError
from engine.loader import facts_from_text, policy_from_text
from engine.render.markdown import render_markdown
from engine.render.text import render_text
from tests.conftest import ROOT

JUDGEMENT = (ROOT / "tests" / "policies" / "kinds" / "judgement.yaml").read_text(encoding="utf-8")
CQ = JUDGEMENT.replace('version: "1"}', 'version: "1", labels: {coefficient: 得分系数, tier: 评价等级}}')
FACTS = "department: 测试单位\nfacts:\n  评定等次: 部分达成并具有一定效果\n  评定系数: {value: COEFF, unit: \"%\"}\n"
MOF = ROOT / "policies" / "mof-project-2020.yaml"
TIANCHANG = ROOT / "facts" / "ah-tianchang-shuili-proj-2022.yaml"


def score(text: str, coefficient: str = "70") -> engine.Result:
    policy = policy_from_text(text, "p.yaml")
    return engine.evaluate(policy, facts_from_text(FACTS.replace("COEFF", coefficient), "f.yaml", policy))


def test_the_coefficient_is_named_as_the_policy_names_it():
    (cq,) = score(CQ).deductions()
    assert cq.computation.startswith("评价等级「部分达成并具有一定效果」（系数区间 60（含）至 80%），得分系数 70%")
    (gz,) = score(JUDGEMENT).deductions()
    assert gz.computation.startswith("评定等次「部分达成并具有一定效果」") and "评定系数 70%" in gz.computation
    assert "得分系数 70%" in render_text(score(CQ)) and "得分系数 70%" in render_markdown(score(CQ))


def test_the_labels_name_the_out_of_tier_error_too():
    with pytest.raises(JixiaoError) as caught:
        score(CQ, "85")
    assert caught.value.code is ErrorCode.EVAL_JUDGEMENT_RANGE
    assert "评价等级「部分达成并具有一定效果」" in str(caught.value)


def test_default_labels_stay_out_of_the_digest():
    stated = JUDGEMENT.replace('version: "1"}', 'version: "1", labels: {coefficient: 评定系数}}')
    assert policy_from_text(stated, "p.yaml").digest == policy_from_text(JUDGEMENT, "p.yaml").digest
    assert policy_from_text(CQ, "p.yaml").digest != policy_from_text(JUDGEMENT, "p.yaml").digest


@pytest.mark.parametrize("args", [
    ["score"], ["score", "--format", "markdown"], ["score", "--format", "html"], ["explain"],
    ["explain", "--format", "html"], ["recover"], ["whatif", "--set", "项目资金[年度资金总额][全年执行数]=20"],
])
def test_every_report_of_a_project_form_carries_its_title(args):
    run = CliRunner().invoke(main, [args[0], str(MOF), str(TIANCHANG), *args[1:]])
    assert run.exit_code == 0, run.output
    assert "项目支出绩效自评" in run.output and "部门整体支出绩效自评" not in run.output


def test_a_department_policy_keeps_the_department_title():
    run = CliRunner().invoke(main, ["explain", str(ROOT / "policies" / "gz-dept-2021.yaml"),
                                    str(ROOT / "facts" / "gz-kjj-2021.yaml")])
    assert run.exit_code == 0 and "广州市科学技术局 部门整体支出绩效自评：为什么没有得满分" in run.output
