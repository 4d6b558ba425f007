"""One project-form template scores different projects' rows; row problems are located in the fact file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import engine
from engine.errors import JixiaoError
from engine.project_form import parse_target
from engine.trace import Status

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE = ROOT / "policies" / "mof-project-2020.yaml"
WHOLE = ROOT / "policies" / "mof-project-2020-whole-points.yaml"
LANGFANG = ROOT / "facts" / "he-langfang-food-school-proj-2019.yaml"
TIANCHANG = ROOT / "facts" / "ah-tianchang-shuili-proj-2022.yaml"

FACTS = """department: 示例单位
facts: {项目资金: {unit: 万元, value: {年度资金总额: {年初预算数: 10, 全年预算数: 10, 全年执行数: 10}}}}
rows:
ROWS
  - {category: 经济效益指标, name: 带动就业, weight: 30, target: 效果明显, score: 30}
  - {category: 服务对象满意度指标, name: 满意度, weight: 10, target: "≥90%", actual: "95%"}
"""


def score(policy: Path, facts: Path) -> engine.Result:
    compiled = engine.load_policy(policy)
    return engine.evaluate(compiled, engine.read_facts(facts, compiled))


def test_one_template_scores_two_projects_with_different_rows():
    tianchang, langfang = score(TEMPLATE, TIANCHANG), score(WHOLE, LANGFANG)
    assert tianchang.total == 100 and tianchang.title == "项目支出绩效自评"
    assert langfang.total == 98 and langfang.node("2.1.1").score == 9
    assert tianchang.node("2.1").max == 20 and langfang.node("2.2").max == 20  # different rows and weights
    assert score(TEMPLATE, LANGFANG).node("2.1.1").score == Decimal("8.62")  # the standard keeps 2 places


def test_a_not_applicable_row_keeps_the_category_maximum():
    result = score(TEMPLATE, TIANCHANG)
    assert result.node("3").max == 30
    assert all(n.name != "指标1" for n in result.nodes())


@pytest.mark.parametrize(("rows", "code", "line", "message"), [
    ('  - {category: 数量指标, name: 培训, weight: 50, target: "≥五十个", actual: "50个"}',
     "facts.target", 4, "「≥五十个」"),
    ('  - {category: 数量指标, name: 培训, weight: 50, target: "≥50个", actual: "50人"}',
     "facts.row_unit", 4, "「人」"),
    ('  - {category: 数量指标, name: 培训, weight: 40, target: "≥50个", actual: "50个"}', "facts.row_weights", 4,
     "「培训」40"),
    ('  - {category: 数量, name: 培训, weight: 50, target: "≥50个", actual: "50个"}', "facts.row_category", 4,
     "是否为「数量指标」"),
    ('  - {category: 数量指标, name: 培训, weight: 50, actual: "50个"}', "facts.missing", 4, "缺少年度指标值 target"),
    ('  - {category: 数量指标, name: 培训, weight: 50, target: "≥50个", actual: "50个"}\n'
     '  - {category: 质量指标, name: 截断, weight: "/", unseen: true}', "facts.schema", 5, "须写分值"),
])
def test_row_problems_are_located(tmp_path, rows, code, line, message):
    facts = tmp_path / "project.yaml"
    facts.write_text(FACTS.replace("ROWS", rows), encoding="utf-8")
    with pytest.raises(JixiaoError) as err:
        engine.read_facts(facts, engine.load_policy(TEMPLATE))
    found = [(str(p.code), p.location.line if p.location else None, p.message) for p in err.value.problems]
    assert any(c == code and ln == line and message in m for c, ln, m in found), found


def test_equal_targets_score_the_shortfall_either_way(tmp_path):
    facts = tmp_path / "project.yaml"
    rows = ('  - {category: 数量指标, name: 村数, weight: 25, target: "=8个", actual: "6个"}\n'
            '  - {category: 质量指标, name: 人数, weight: 25, target: "=8个", actual: "10个"}')
    facts.write_text(FACTS.replace("ROWS", rows),
                     encoding="utf-8")
    result = score(TEMPLATE, facts)
    assert result.node("2.1.1").score == Decimal("18.75") and result.node("2.2.1").score == 20


def test_target_strings():
    assert parse_target("≤90万元") is not None and parse_target("≤90万元").unit == "万元"
    assert parse_target("=8个").direction == "equal" and parse_target("很好") is None


def test_an_unseen_row_counts_its_weight_and_has_no_score(tmp_path):
    # the Tangxi form is cut off at 可持续影响: the rest of 效益 and all of 满意度 are unseen rows
    result = score(TEMPLATE, ROOT / "facts" / "ah-tangxi-cunji-proj-2022.yaml")
    assert result.total == 80 and result.unseen() == 20 and result.max == 100
    unseen = [n.id for n in result.nodes() if n.status is Status.UNSEEN]
    assert unseen == ["3.4.1", "4.1.1"]
    assert result.node("3").max == 30 and result.node("3").score == 20


WARNING_CHECKS = "  checks: {row_weights: warning, row_unit: warning, target: warning}\n"


def warned(tmp_path: Path, rows: str, checks: str = WARNING_CHECKS) -> engine.Result:
    template = tmp_path / "template.yaml"
    text = TEMPLATE.read_text(encoding="utf-8").replace("  title: 项目支出绩效自评\n",
                                                        "  title: 项目支出绩效自评\n" + checks)
    template.write_text(text, encoding="utf-8")
    facts = tmp_path / "project.yaml"
    facts.write_text(FACTS.replace("ROWS", rows), encoding="utf-8")
    return score(template, facts)


@pytest.mark.parametrize(("rows", "code", "line", "message", "node", "points"), [
    ('  - {category: 数量指标, name: 培训, weight: 50, target: "≥50个", actual: "50人"}',
     "facts.row_unit", 4, "与年度指标值单位「个」不同；按数值比较", "2.1.1", Decimal(50)),
    ('  - {category: 数量指标, name: 培训, weight: 40, target: "≥50个", actual: "25个"}',
     "facts.row_weights", 4, "各指标行分值之和为 40：「培训」40；按各行分值计分", "2", Decimal(20)),
    ('  - {category: 数量指标, name: 培训, weight: 50, target: "≥五十个", actual: "50个", score: 45}',
     "facts.target", 4, "「≥五十个」无法解析", "2.1.1", Decimal(45)),
])
def test_row_checks_declared_warning_are_findings_beside_the_score(tmp_path, rows, code, line, message, node,
                                                                  points):
    result = warned(tmp_path, rows)
    (finding,) = result.findings
    assert finding.code == code and message in finding.message
    assert finding.location is not None and finding.location.line == line
    assert finding.location.file.endswith("project.yaml") and finding.rule_location is not None
    assert result.node(node).score == points


def test_a_category_whose_rows_fall_short_counts_what_they_carry(tmp_path):
    result = warned(tmp_path, '  - {category: 数量指标, name: 培训, weight: 40, target: "≥50个", actual: "50个"}')
    assert (result.node("2").max, result.max, result.total) == (40, 90, 90)


def test_an_unparseable_target_without_a_score_is_still_an_error(tmp_path):
    with pytest.raises(engine.PolicyErrors) as caught:
        warned(tmp_path, '  - {category: 数量指标, name: 培训, weight: 50, target: "≥五十个", actual: "50个"}')
    assert [str(p.code) for p in caught.value.problems] == ["facts.target"]


def test_only_the_checks_declared_warning_are_relaxed(tmp_path):
    with pytest.raises(engine.PolicyErrors) as caught:
        warned(tmp_path, '  - {category: 数量指标, name: 培训, weight: 50, target: "≥50个", actual: "50人"}',
               "  checks: {row_weights: warning}\n")
    assert [str(p.code) for p in caught.value.problems] == ["facts.row_unit"]


def test_strict_turns_row_findings_into_errors(tmp_path):
    from click.testing import CliRunner

    from engine.commands.main import main

    warned(tmp_path, '  - {category: 数量指标, name: 培训, weight: 50, target: "≥50个", actual: "50人"}')
    args = ["score", str(tmp_path / "template.yaml"), str(tmp_path / "project.yaml")]
    loose, strict = CliRunner().invoke(main, args), CliRunner().invoke(main, [*args, "--strict"])
    assert loose.exit_code == 0 and "facts.row_unit" in loose.output and "总分" in loose.output
    assert strict.exit_code == 1 and "facts.row_unit" in strict.output and "Traceback" not in strict.output


def test_default_checks_stay_out_of_the_digest(tmp_path):
    plain = engine.load_policy(TEMPLATE)
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE.read_text(encoding="utf-8").replace(
        "  title: 项目支出绩效自评\n", "  title: 项目支出绩效自评\n  checks: {row_weights: error}\n"), encoding="utf-8")
    assert engine.load_policy(template).digest == plain.digest


def test_coverage_of_a_template_counts_its_row_types():
    from engine.authoring.case_runner import run_paths

    (only_tianchang,) = run_paths([ROOT / "tests" / "cases" / "mof-project" / "tianchang.yaml"]).coverage
    assert only_tianchang.total == 17  # 6 of the template's own + 4 quantitative + 7 qualitative row branches
    assert "定量指标行 未完成（越高越好）" in only_tianchang.missed
    assert "定性指标行 等次「未达成且效果较差」之外的得分" in only_tianchang.missed
    assert "定性指标行 评价人给出的得分（不报等次）" not in only_tianchang.missed  # its rows state no tier
    (standard,) = run_paths([ROOT / "tests" / "cases" / "mof-project" / "standard.yaml"]).coverage
    assert standard.missed == ()
