"""`jixiao review`: claimed scores against the rules, the form's own arithmetic, rounding, reviewer
adjustments, identity checks. One test (or more) per finding kind; the golden numbers come from the
engine (94.622 on the seed)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.claims import ClaimedScore, ClaimSet, parse_claims
from engine.commands.main import main
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.loader import read_document
from engine.source import parse_document
from engine.views.review import build_review, review_document
from engine.views.review_findings import Agreement, FindingKind, classify
from tests.conftest import GZ_POLICY, ROOT
from tests.helpers import policy_text

CLAIMED = ROOT / "facts" / "gz-kjj-2021-claimed.yaml"
ROW = ROOT / "facts" / "gz-kjj-2021-claimed-row.yaml"
SUM = ROOT / "facts" / "gz-kjj-2021-claimed-sum.yaml"
ADJUSTMENTS = ROOT / "reviews" / "gz-kjj-2021-adjustments.yaml"


def cli(*args: object) -> tuple[int, str]:
    run = CliRunner().invoke(main, [str(a) for a in args])
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    return run.exit_code, run.output


def variant(tmp_path: Path, name: str, **claims: str) -> Path:
    """The seed's claimed file with some claimed lines replaced (``key="new value"``)."""
    text = CLAIMED.read_text(encoding="utf-8")
    for key, value in claims.items():
        old = next(line for line in text.splitlines() if line.startswith(f"  {key}: "))
        text = text.replace(old + "\n", f"  {key}: {value}\n" if value else "")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def reviewed(path: Path, policy: engine.CompiledPolicy, **kwargs: object):
    return review_document(policy, read_document(path), **kwargs)  # type: ignore[arg-type]


# -- done when: the seed, one changed row, a total that does not add up -------------------------
def test_the_seed_with_its_printed_scores_reviews_as_agreeing(gz_policy):
    view = reviewed(CLAIMED, gz_policy)
    assert view.verdict == "一致" and view.agrees and not view.findings
    assert len(view.claims.indicators) == 10 and view.claims.total is not None  # the 11 printed numbers
    assert set(view.claims.indicators) == {"A", "A1", "A2", "A3", "A4", "A5", "A6", "B", "B1", "B2"}
    assert view.claims.get("B1").key.startswith("设立专项资金")  # the name the fact file gives B1
    assert view.claims.get("A2").value == D("1.69") and view.result.node("A2").score == D("1.690")
    code, out = cli("review", GZ_POLICY, CLAIMED)
    assert code == 0, out
    assert "结论：一致\n" in out and "与规则不符\n无" in out and "表内算术\n无" in out


def test_one_changed_row_is_reported_alone_with_its_difference_and_the_rules_trace(gz_policy):
    view = reviewed(ROW, gz_policy)
    (finding,) = view.findings
    assert (finding.kind, finding.indicator, finding.difference) == (FindingKind.RULE, "A2", D("0.310"))
    assert finding.claimed.value == D("2.00") and finding.expected == D("1.690")
    assert [d.rule_id for d in finding.deductions] == ["A2.1.r1"]
    assert view.verdict == "有差异：1 项，合计 +0.310 分"
    code, out = cli("review", GZ_POLICY, ROW)
    assert code == 1
    assert "与规则不符（1 项）\n1. 采购管理（A2）" in out
    assert f"填报：2.00（{ROW}:144）" in out
    assert "规则：A2.1.r1（按比例，推断）" in out and "计算：2 × 84.48% ÷ 100% = 1.6896 → 1.69" in out
    assert "表内算术\n无" in out
    assert cli("review", GZ_POLICY, ROW, "--report-only")[0] == 0


def test_rows_that_do_not_add_up_to_the_claimed_total_are_the_forms_arithmetic(gz_policy):
    view = reviewed(SUM, gz_policy)
    (finding,) = view.findings
    assert (finding.kind, finding.indicator, finding.category) == (FindingKind.TOTAL, None, "表内算术")
    assert finding.expected == D("94.622") and finding.difference == D("1.000")
    assert [(p.id, p.value) for p in finding.parts] == [("A", D("42.122")), ("B", D("52.50"))]
    assert view.verdict == "有差异：1 项，合计 +1.000 分"
    code, out = cli("review", GZ_POLICY, SUM)
    assert code == 1
    assert "与规则不符\n无" in out and "表内算术（1 项）\n1. 总分：各项合计与填报总分不符" in out
    assert "各项合计：42.122 + 52.50 = 94.622" in out


def test_a_row_changed_without_its_parent_gives_a_rule_finding_and_an_arithmetic_one(gz_policy, tmp_path):
    view = reviewed(variant(tmp_path, "row-only", 采购管理="2.00"), gz_policy)
    kinds = [(f.kind, f.indicator, f.difference) for f in view.findings]
    assert kinds == [(FindingKind.SUM, "A", D("-0.310")), (FindingKind.RULE, "A2", D("0.310"))]
    assert view.difference == 0 and view.verdict == "有差异：2 项，合计 0 分"


# -- rounding -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("claimed", "computed", "mode", "want"), [
    ("9", "8.62", "half_up", Agreement.ROUNDING),      # Langfang: pro rata 8.62 printed as 9
    ("1.69", "1.690", "half_up", Agreement.EQUAL),     # the seed: equal as decimals
    ("8", "8.62", "half_up", Agreement.DIFFERENT),
    ("8.6", "8.62", "half_up", Agreement.ROUNDING),
    ("8.7", "8.62", "half_up", Agreement.DIFFERENT),
    ("9", "8.5", "half_up", Agreement.ROUNDING),       # 四舍五入 at .5
    ("9", "8.5", "half_even", Agreement.DIFFERENT),    # the policy's mode decides
    ("14", "13.932", "half_up", Agreement.ROUNDING),
    ("13.93", "13.932", "half_up", Agreement.ROUNDING),
    ("13.94", "13.932", "half_up", Agreement.DIFFERENT),
    ("-3", "-2.5", "half_up", Agreement.ROUNDING),
])
def test_the_rounding_classifier(claimed, computed, mode, want):
    assert classify(D(claimed), D(computed), mode) == want


def test_a_pro_rata_score_printed_as_a_whole_point_is_a_rounding_difference_with_both_numbers():
    """The Langfang case on a department form: 10 × 86.20 % = 8.62, printed 9 (issue 13 brings the project form)."""
    text = policy_text("""\
        id: L1.r
        kind: proportional
        fact: 执行率
        wording: 得分=执行率×分值
        provenance: official
        """, "执行率: {type: decimal, unit: \"%\", places: 2, range: [0, 100]}\n", max="10")
    policy = engine.policy_from_text(text, "policy.yaml")
    facts = ("department: 测试单位\nfacts:\n  执行率: {value: 86.20, unit: \"%\"}\n"
             "claimed:\n  L1: 9\n  L0: 9\n  total: 9\n")
    view = review_document(policy, parse_document(facts, "facts.yaml"))
    (finding,) = view.findings
    assert (finding.kind, finding.indicator, finding.claimed.value, finding.expected) == (
        FindingKind.ROUNDING, "L1", D("9"), D("8.620"))
    assert view.agrees and view.verdict == "一致（另有 1 项舍入差异，不计为差异）"
    assert view.difference == D("0.380")


def test_a_form_of_whole_points_rounds_and_its_parents_follow(gz_policy, tmp_path):
    whole = {"管理效能": "42", "资金管理": "14", "采购管理": "2", "信息公开管理": "4", "资产管理": "4", "成本管理": "4",
             "绩效管理": "15", "履职效能": "53", "工作表现加减分": "3", "total": "95",
             "设立专项资金，聚集基础研究和关键技术攻关，分层分类扶持科创企业": "50"}
    view = reviewed(variant(tmp_path, "whole", **whole), gz_policy)
    assert view.claims.places == 0
    # each row rounds, but 14 + 2 + 4 + 4 + 4 + 15 = 43, not the 42 printed for 管理效能
    assert [(f.kind, f.indicator, f.difference) for f in view.findings if f.counts] == [(FindingKind.SUM, "A", -1)]
    rounding = [(f.indicator, f.claimed.value, f.expected) for f in view.findings if not f.counts]
    assert rounding == [("A1", D("14"), D("13.932")), ("A2", D("2"), D("1.690")), ("A4", D("4"), D("3.500")),
                        ("B2", D("3"), D("2.500"))]


def test_a_whole_number_on_a_form_of_three_decimals_is_not_rounding(gz_policy, tmp_path):
    view = reviewed(variant(tmp_path, "two", 采购管理="2", 管理效能="42.432", total="94.932"), gz_policy)
    assert [(f.kind, f.indicator, f.difference) for f in view.findings] == [(FindingKind.RULE, "A2", D("0.310"))]


# -- bounds ---------------------------------------------------------------------------------------
def test_a_claim_above_the_weight_and_a_negative_claim(gz_policy, tmp_path):
    view = reviewed(variant(tmp_path, "bounds", 采购管理="2.50", 成本管理="-1", 管理效能="37.932",
                            total="90.432"), gz_policy)
    found = [(f.kind, f.indicator, f.expected) for f in view.findings]
    assert (FindingKind.ABOVE_MAX, "A2", D("2.000")) in found
    assert (FindingKind.BELOW_FLOOR, "A5", D(0)) in found
    assert {f.indicator for f in view.findings if f.kind == FindingKind.RULE} == {"A2", "A5"}
    assert not [f for f in view.findings if f.kind in (FindingKind.SUM, FindingKind.TOTAL)]


def test_bonus_points_may_lift_a_parent_above_its_weight(gz_policy):
    view = reviewed(CLAIMED, gz_policy)
    assert view.claims.get("B").value == D("52.50") and view.result.node("B").max == D(50)
    assert not view.findings  # 50 + 加分 2.50 is within 50 + 加分上限 5


# -- reviewer adjustments ----------------------------------------------------------------------------
def test_reviewer_adjustments_are_judgements_beside_the_rule_result(gz_policy):
    view = reviewed(CLAIMED, gz_policy, adjustments=read_document(ADJUSTMENTS))
    assert view.result.total == D("94.622") and view.agrees  # the rule result is untouched
    assert view.adjusted_total == D("91.622")
    assert [(a.adjustment.indicator_id, a.delta, a.adjustment.reviewer) for a in view.adjustments] == [
        ("A3.2", D("-0.500"), "王复核"), ("B1", D("-2.500"), "李复核")]
    lines = {line.id: line for line in view.lines}
    assert (lines["A3"].computed, lines["A3"].adjusted) == (D("4.000"), D("3.500"))
    for fmt, needle in (("text", "复核调整后总分：91.622"), ("markdown", "**复核调整后总分**：91.622"),
                        ("html", "<dt>复核调整后总分</dt><dd>91.622"), ("json", '"adjusted_total": "91.622"')):
        code, out = cli("review", GZ_POLICY, CLAIMED, "--adjustments", ADJUSTMENTS, "--format", fmt)
        assert code == 0 and needle in out, (fmt, out[:400])
        assert "李复核" in out and "佐证材料只有工作总结" in out and "94.622" in out


@pytest.mark.parametrize(("text", "message"), [
    ("reviewer: 王\nadjustments:\n  - {indicator: A3, coefficient: 50, reason: 理由}\n", "不是按规则计分的末级指标"),
    ("reviewer: 王\nadjustments:\n  - {indicator: A2.1, deduct: 2, reason: 理由}\n", "超过指标「政府采购执行率」"),
    ("reviewer: 王\nadjustments:\n  - {indicator: A2.1, deduct: 0.0001, reason: 理由}\n", "小数位多于"),
    ("department: 别的单位\nreviewer: 王\nadjustments:\n  - {indicator: A2.1, deduct: 1, reason: 理由}\n", "别的单位"),
    ("adjustments:\n  - {indicator: A2.1, deduct: 1, reason: 理由}\n", "须写明复核人"),
    ("reviewer: 王\nadjustments:\n  - {indicator: A2.1, deduct: 1, reason: 甲}\n"
     "  - {indicator: 政府采购执行率, deduct: 1, reason: 乙}\n", "已有一条复核调整"),
])
def test_adjustments_that_cannot_apply_are_located_errors(gz_policy, text, message):
    with pytest.raises(JixiaoError) as err:
        reviewed(CLAIMED, gz_policy, adjustments=parse_document(text, "review.yaml"))
    assert err.value.code == ErrorCode.REVIEW_ADJUSTMENT
    assert err.value.location.file == "review.yaml" and message in str(err.value)


def test_an_adjustment_with_both_a_deduction_and_a_coefficient_is_a_schema_error(gz_policy):
    text = "reviewer: 王\nadjustments:\n  - {indicator: A2.1, deduct: 1, coefficient: 50, reason: 理由}\n"
    with pytest.raises(JixiaoError) as err:
        reviewed(CLAIMED, gz_policy, adjustments=parse_document(text, "review.yaml"))
    assert err.value.code == ErrorCode.REVIEW_SCHEMA and (err.value.location.line, err.value.location.col) == (3, 5)


# -- claims ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "code", "message"), [
    ("  资金管里: 13.932", ErrorCode.FACTS_UNKNOWN, "未知指标「资金管里」，是否为「资金管理」？"),
    ("  A1: 13.932", ErrorCode.FACTS_SCHEMA, "写了两次"),
    ("  A1.1: \"4.932\"", ErrorCode.FACTS_TYPE, "应为数值"),
])
def test_bad_claims_are_located(gz_policy, tmp_path, line, code, message):
    text = CLAIMED.read_text(encoding="utf-8").replace("  total: 94.622\n", f"  total: 94.622\n{line}\n")
    path = tmp_path / "claims.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JixiaoError) as err:
        reviewed(path, gz_policy)
    problem = err.value.problems[0]
    assert (problem.code, problem.location.line) == (code, text.splitlines().index(line) + 1)
    assert message in problem.message


def test_a_name_shared_by_two_indicators_must_be_written_as_an_id(gz_policy):
    doc = parse_document("claimed:\n  同名: 1\n", "f.yaml")
    with pytest.raises(JixiaoError) as err:
        parse_claims(doc, gz_policy, {"A1": "同名", "A2": "同名"})
    assert err.value.code == ErrorCode.FACTS_UNKNOWN and "A1、A2" in str(err.value)


def test_a_fact_file_without_claims_cannot_be_reviewed(gz_policy):
    code, out = cli("review", GZ_POLICY, ROOT / "facts" / "gz-kjj-2021.yaml")
    assert code == 1 and "facts.missing" in out and "没有填报得分" in out


def test_a_claim_set_built_directly_is_reviewed_the_same(gz_policy, gz_facts):
    """The seam for forms whose claims are not in a ``claimed`` block (issue 13's project rows)."""
    where = SourceLocation("row.yaml", 1, 1)
    claims = ClaimSet({"A2.1": ClaimedScore(D("2.00"), where, "政府采购执行率")}, None)
    view = build_review(gz_policy, engine.evaluate(gz_policy, gz_facts), claims)
    (finding,) = view.findings
    assert (finding.kind, finding.indicator, finding.difference) == (FindingKind.RULE, "A2.1", D("0.310"))
    assert view.difference == D("0.310")


# -- identity ----------------------------------------------------------------------------------------
def test_reviewing_against_another_year_needs_force_and_says_so(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(CLAIMED.read_text(encoding="utf-8").replace("fiscal_year: 2021", "fiscal_year: 2020"),
                    encoding="utf-8")
    code, out = cli("review", GZ_POLICY, path)
    assert code == 1 and f"{path}:6:14: facts.identity" in out
    code, out = cli("review", GZ_POLICY, path, "--force")
    assert code == 0 and "身份：已用 --force 忽略事实文件身份不符：年度：事实文件写 2020" in out
    data = json.loads(cli("review", GZ_POLICY, path, "--force", "--format", "json")[1])
    assert data["forced"] == [{"field": "fiscal_year", "stated": "2020", "expected": "2021", "source": f"{path}:6:14"}]


def test_scoring_checks_the_identity_too(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(CLAIMED.read_text(encoding="utf-8").replace('policy_version: "1.0.0-r1"', 'policy_version: "0.9"'),
                    encoding="utf-8")
    code, out = cli("score", GZ_POLICY, path)
    assert code == 1 and "facts.identity" in out and "指标体系版本为 0.9" in out
    code, out = cli("score", GZ_POLICY, path, "--force")
    assert code == 0 and out.startswith("注意：已用 --force 忽略事实文件身份不符：指标体系版本") and "94.622" in out


# -- outputs -------------------------------------------------------------------------------------------
def test_every_format_is_deterministic_and_output_is_atomic(tmp_path):
    for fmt in ("text", "markdown", "html", "json"):
        first = cli("review", GZ_POLICY, ROW, "--format", fmt)[1]
        assert first == cli("review", GZ_POLICY, ROW, "--format", fmt)[1]
        assert "采购管理" in first and "A2.1.r1" in first
    target = tmp_path / "out.html"
    assert cli("review", GZ_POLICY, tmp_path / "missing.yaml", "-o", target)[0] == 1
    assert not target.exists()
    assert cli("review", GZ_POLICY, ROW, "--format", "html", "-o", target, "--report-only")[0] == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_json_numbers_are_strings_with_their_places():
    data = json.loads(cli("review", GZ_POLICY, ROW, "--format", "json")[1])
    assert (data["verdict"], data["difference"], data["computed_total"]) == ("有差异：1 项，合计 +0.310 分", "0.310",
                                                                           "94.622")
    (finding,) = data["findings"]
    assert (finding["kind"], finding["category"], finding["claimed"]["value"], finding["expected"]) == (
        "rule", "与规则不符", "2.00", "1.69")
    assert finding["claimed"]["source"] == f"{ROW}:144" and finding["deductions"][0]["rule"] == "A2.1.r1"


def test_usage_errors_exit_2(tmp_path):
    assert cli("review", GZ_POLICY, CLAIMED, ROW, "--format", "json")[0] == 2
    assert cli("review", GZ_POLICY, CLAIMED, ROW, "--adjustments", ADJUSTMENTS)[0] == 2
    assert cli("review", GZ_POLICY, CLAIMED, "--out", tmp_path / "x.txt")[0] == 2


def test_a_project_form_claim_rounded_to_whole_points_is_a_rounding_difference():
    """Langfang prints 9 where the pro-rata rule gives 8.62 (37.24 / 43.2 × 10): rounding, with both numbers."""
    from click.testing import CliRunner

    from engine.commands.main import main as cli
    from tests.conftest import ROOT

    run = CliRunner().invoke(cli, ["review", str(ROOT / "policies/mof-project-2020.yaml"),
                                   str(ROOT / "facts/he-langfang-food-school-proj-2019-claimed.yaml")])
    assert run.exit_code == 0, run.output
    rows = [line for line in run.output.splitlines() if "舍入差异" in line and "◀" in line]
    assert len(rows) == 2 and all(" 9 " in r and "8.62" in r and "+0.38" in r for r in rows), run.output
    assert any(r.lstrip().startswith("预算执行率") for r in rows)
    assert any(r.lstrip().startswith("工程资金金额") for r in rows)


TIANCHANG = ROOT / "facts" / "ah-tianchang-shuili-proj-2022.yaml"
MOF = ROOT / "policies" / "mof-project-2020.yaml"


def test_a_project_forms_rows_are_its_claims():
    """Each row's printed score is a claim on the row's indicator, located at the row's score."""
    policy = engine.load_policy(MOF)
    doc = read_document(TIANCHANG)
    found = review_document(policy, doc)
    claims = found.claims.indicators
    assert list(claims) == ["2.1.1", "2.1.2", "2.2.1", "2.3.1", "2.4.1", "3.1.1", "3.2.1", "3.4.1", "4.1.1"]
    first = claims["2.1.1"]
    assert (first.value, first.key, first.location.line) == (D(10), "完成中型灌区节水改造项目数量", 16)
    assert found.findings == () and found.claims.total is None


def test_a_row_whose_printed_score_breaks_the_rule_is_a_finding(tmp_path):
    text = TIANCHANG.read_text(encoding="utf-8").replace(
        'target: "≥90%", actual: "100%", score: 10', 'target: "≥90%", actual: "81%", score: 10')
    facts = tmp_path / "project.yaml"
    facts.write_text(text, encoding="utf-8")
    code, out = cli("review", MOF, facts)
    assert code == 1 and "服务对象满意度（4.1.1）  填报 10 · 规则 9" in out  # differences: exit 1
    (finding,) = review_document(engine.load_policy(MOF), read_document(facts)).findings
    assert finding.kind is FindingKind.RULE and finding.indicator == "4.1.1"  # 10 × 81 ÷ 90 = 9
    assert finding.expected == 9 and finding.claimed.location.line == text.splitlines().index(
        next(line for line in text.splitlines() if "actual: \"81%\"" in line)) + 1


def test_the_claimed_block_states_a_rows_score_outright(tmp_path):
    text = TIANCHANG.read_text(encoding="utf-8") + "claimed:\n  服务对象满意度: 8\n  total: 98\n"
    facts = tmp_path / "project.yaml"
    facts.write_text(text, encoding="utf-8")
    found = review_document(engine.load_policy(MOF), read_document(facts))
    assert found.claims.indicators["4.1.1"].value == 8 and found.claims.total is not None
    assert found.claims.indicators["2.1.1"].value == 10  # the other rows still claim their own scores
