"""One test per rule kind, each on a worked example of domain.md §5.6, with every threshold hit exactly.

Every case runs on durable_rules and on the native oracle (``score_both`` asserts they agree).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from engine.errors import ErrorCode, JixiaoError
from engine.trace import Status
from tests.helpers import leaf, policy_text, score_both

RATE = """\
{name}: {{type: decimal, unit: "%", range: [0, 1000]}}
"""


# 1. proportional, capped — 采购 (2): 2 × 84.48% = 1.6896 → 1.690; 112% → 2 -----------------------
PROPORTIONAL = policy_text("""\
    id: r
    kind: proportional
    fact: 政府采购执行率
    full_at: 100
    wording: 得分=政府采购执行率×分值，最高得满分
    provenance: official
""", RATE.format(name="政府采购执行率"), max="2")


@pytest.mark.parametrize(("rate", "want", "lost"), [
    ("84.48", "1.690", True), ("112", "2", False), ("100", "2", False), ("99.999", "2.000", False),
    ("99.9", "1.998", True), ("0", "0", True),
])
def test_proportional(rate, want, lost):
    node = leaf(score_both(PROPORTIONAL, {"政府采购执行率": (rate, "%")}))
    assert node.score == D(want)
    assert bool(node.deductions) is lost and (not lost or node.deductions[0].points == 2 - D(want))


def test_proportional_computation_is_traced():
    d = leaf(score_both(PROPORTIONAL, {"政府采购执行率": ("84.48", "%")})).deductions[0]
    assert d.computation == "2 × 84.48% ÷ 100% = 1.6896 → 1.69（四舍五入至 3 位）"
    assert d.points == D("0.310")


# 2. per-point with floor — 财政供养人员控制率 (5): 103.4% → 3.3; 112% → 0; ≤ 100% → 5 ------------
def per_point(counting: str = "fractional") -> str:
    return policy_text(f"""\
        id: r
        kind: per_point
        fact: 在职人员控制率
        threshold: 100
        direction: above
        points: 0.5
        counting: {counting}
        floor: 0
        wording: 以100%为标准。在职人员控制率≦100%，计5分；每超过一个百分点扣0.5分，扣完为止。
        provenance: official
    """, RATE.format(name="在职人员控制率"))


@pytest.mark.parametrize(("rate", "want", "floored"), [
    ("103.4", "3.3", False), ("112", "0", True), ("100", "5", False), ("100.001", "5.000", False),
    ("110", "0", True), ("109.99", "0.005", False), ("80", "5", False),
])
def test_per_point(rate, want, floored):
    node = leaf(score_both(per_point(), {"在职人员控制率": (rate, "%")}))
    assert node.score == D(want)
    assert any(d.floored for d in node.deductions) is floored


def test_per_point_whole_points_is_a_declared_choice():
    assert leaf(score_both(per_point("whole"), {"在职人员控制率": ("103.4", "%")})).score == D("3.5")


def test_per_point_fraction_of_a_point_counts_pro_rata():
    # I2: a 0.34-point shortfall costs 0.068 in Guangzhou
    policy = policy_text("""\
        id: r
        kind: per_point
        fact: 预算完成率
        threshold: 100
        direction: below
        points: 0.2
        wording: 预算完成率100%得满分，每低1个百分点扣0.2分，扣完为止
        provenance: official
    """, RATE.format(name="预算完成率"))
    node = leaf(score_both(policy, {"预算完成率": ("99.66", "%")}))
    assert node.score == D("4.932")
    assert node.deductions[0].computation == "5 − 0.2 × (100% − 99.66%) = 4.932"


# 3. step — 预算完成率 (8) "每低于5%扣2分": 88.5% → 4 (whole steps) or 2 (partial steps) -----------
def step(counting: str) -> str:
    return policy_text(f"""\
        id: r
        kind: step
        fact: 预算完成率
        threshold: 100
        direction: below
        points: 2
        per: 5
        counting: {counting}
        wording: 100%计满分，每低于5%扣2分，扣完为止。
        provenance: official
    """, RATE.format(name="预算完成率"), max="8")


@pytest.mark.parametrize(("counting", "rate", "want"), [
    ("whole", "88.5", "4"), ("partial", "88.5", "2"), ("whole", "99.66", "8"), ("partial", "99.66", "6"),
    ("whole", "95", "6"), ("whole", "95.001", "8"), ("whole", "80", "0"), ("whole", "80.001", "2"),
    ("partial", "85", "2"), ("partial", "85.001", "2"), ("partial", "84.999", "0"), ("whole", "100", "8"),
])
def test_step(counting, rate, want):
    assert leaf(score_both(step(counting), {"预算完成率": (rate, "%")})).score == D(want)


def test_step_above_threshold():
    # 楼堂馆所面积控制率 (5) "每超出5%扣2分" at 112%: ⌊12/5⌋ = 2 steps → 1
    policy = policy_text("""\
        id: r
        kind: step
        fact: 面积控制率
        threshold: 100
        direction: above
        points: 2
        per: 5
        counting: whole
        wording: 100%以下(含)计满分，每超出5%扣2分，扣完为止。
        provenance: official
    """, RATE.format(name="面积控制率"))
    assert leaf(score_both(policy, {"面积控制率": ("112", "%")})).score == D(1)


# 4. bands with （含） bounds and an exact-value band ---------------------------------------------------
ADJUST = policy_text("""\
    id: r
    kind: bands
    fact: 预算调整率
    bands:
      - {when: "= 0", points: 3}
      - {when: "(0, 10]", points: 2}
      - {when: "(10, 20]", points: 1}
      - {when: "(20, 30]", points: 0.5}
      - {when: "> 30", points: 0}
    wording: 预算调整率=0，计3分；0-10%(含)，计2分；10-20%(含)，计1分；20-30%(含)，计0.5分；大于30%不得分。
    provenance: official
""", RATE.format(name="预算调整率"), max="3")

KEY_SPENDING = policy_text("""\
    id: r
    kind: bands
    fact: 重点支出安排率
    bands:
      - {when: "≥ 90", points: 5}
      - {when: "[80, 90)", points: 4}
      - {when: "[70, 80)", points: 3}
      - {when: "[60, 70)", points: 2}
      - {when: "< 60", points: 0}
    wording: ≥90%，计5分；80%(含)-90%，计4分；70%(含)-80%，计3分；60%(含)-70%，计2分；低于60%不得分。
    provenance: official
""", RATE.format(name="重点支出安排率"))


@pytest.mark.parametrize(("rate", "want"), [
    ("0", "3"), ("0.001", "2"), ("10", "2"), ("10.5", "1"), ("30", "0.5"), ("30.01", "0"), ("20", "1"),
])
def test_bands_exact_zero_and_inclusive_upper(rate, want):
    assert leaf(score_both(ADJUST, {"预算调整率": (rate, "%")})).score == D(want)


@pytest.mark.parametrize(("rate", "want"), [
    ("90", "5"), ("89.99", "4"), ("80", "4"), ("79.99", "3"), ("59.9", "0"), ("60", "2"), ("89.999999", "4"),
])
def test_bands_inclusive_lower(rate, want):
    assert leaf(score_both(KEY_SPENDING, {"重点支出安排率": (rate, "%")})).score == D(want)


def test_band_trace_names_the_band():
    d = leaf(score_both(KEY_SPENDING, {"重点支出安排率": ("80", "%")})).deductions[0]
    assert d.threshold == "[80, 90)" and d.points == D(1) and "80（含）至 90" in d.computation


def test_band_gap_is_found_before_scoring_with_a_witness():
    gappy = KEY_SPENDING.replace('{when: "[70, 80)", points: 3}', '{when: "[70, 75)", points: 3}')
    with pytest.raises(JixiaoError) as err:
        score_both(gappy, {"重点支出安排率": ("77", "%")})
    assert err.value.code == ErrorCode.POLICY_BANDS and "[75, 80)" in str(err.value) and "75 时" in str(err.value)


# 5. additive checklist — 管理制度健全性 (3): ① met, ② not, ③ met → 2, ② is the deduction --------------
CHECKLIST = policy_text("""\
    id: r
    kind: checklist
    items:
      - {id: "①", fact: 制度已制定, points: 1, wording: 已制定或具有预算资金管理办法等管理制度，1分}
      - {id: "②", fact: 制度合法合规, points: 1, wording: 相关管理制度合法、合规、完整，1分}
      - {id: "③", fact: 制度有效执行, points: 1, wording: 相关管理制度得到有效执行，1分}
    wording: ①…1分；②…1分；③…1分
    provenance: official
""", "制度已制定: {type: boolean}\n制度合法合规: {type: boolean}\n制度有效执行: {type: boolean}\n", max="3")


def test_checklist():
    node = leaf(score_both(CHECKLIST, {"制度已制定": True, "制度合法合规": False, "制度有效执行": True}))
    assert node.score == D(2)
    (d,) = node.deductions
    assert d.item == "②" and d.wording.startswith("相关管理制度合法") and d.points == D(1)
    assert [f.name for f in d.facts] == ["制度合法合规"]


# 6. per-violation count — 资金使用合规性 (3), 支付进度 (3) ------------------------------------------
def per_count(points: str) -> str:
    return policy_text(f"""\
        id: r
        kind: per_count
        fact: 不合规例数
        points: {points}
        wording: 每出现一例不符合要求的扣{points}分，扣完为止。
        provenance: official
    """, "不合规例数: {type: integer, unit: 例, range: [0, null]}\n", max="3")


@pytest.mark.parametrize(("points", "count", "want", "floored"), [
    ("1", 2, "1", False), ("1", 4, "0", True), ("1", 0, "3", False), ("1", 3, "0", True),
    ("0.5", 3, "1.5", False), ("0.5", 7, "0", True), ("0.5", 6, "0", True), ("0.5", 5, "0.5", False),
])
def test_per_count(points, count, want, floored):
    node = leaf(score_both(per_count(points), {"不合规例数": (count, "例")}))
    assert node.score == D(want)
    assert any(d.floored for d in node.deductions) is floored


# 7. comparison of two facts — 资金结余 (3), 上年结转 150 万元 ------------------------------------------
COMPARISON = policy_text("""\
    id: r
    kind: comparison
    cases:
      - {when: "资金结余 == 0", points: 3, label: 无结余}
      - {when: "资金结余 > 0 and 资金结余 <= 上年结转", points: 2, label: 有结余但不超过上年结转}
      - {when: "资金结余 > 上年结转", points: 0, label: 结余超过上年结转}
    wording: 无结余，3分；有结余，但不超过上年结转，2分；结余超过上年结转，不得分。
    provenance: official
""", "资金结余: {type: decimal, unit: 万元, range: [0, null]}\n"
    "上年结转: {type: decimal, unit: 万元, range: [0, null]}\n",
    max="3")


@pytest.mark.parametrize(("surplus", "want"), [("0", "3"), ("120", "2"), ("150", "2"), ("150.01", "0"), ("160", "0"),
                                               ("0.001", "2")])
def test_comparison(surplus, want):
    node = leaf(score_both(COMPARISON, {"资金结余": (surplus, "万元"), "上年结转": ("150", "万元")}))
    assert node.score == D(want)


def test_comparison_trace_substitutes_both_facts():
    d = leaf(score_both(COMPARISON, {"资金结余": ("160", "万元"), "上年结转": ("150", "万元")})).deductions[0]
    assert d.computation.startswith("160 > 150 成立") and {f.name for f in d.facts} == {"资金结余", "上年结转"}


# 8. judgement tier / stated coefficient -------------------------------------------------------------
JUDGEMENT = policy_text("""\
    id: r
    kind: judgement
    tier: 评定等次
    coefficient: 评定系数
    tiers:
      - {name: 达成年度指标, range: "[80, 100]"}
      - {name: 部分达成并具有一定效果, range: "[60, 80)"}
      - {name: 未达成且效果较差, range: "[0, 60)"}
    wording: 达成年度指标 / 部分达成并具有一定效果 / 未达成且效果较差，按 100–80% / 80–60% / 60–0% 计分
    provenance: official
""", "评定等次: {type: enum, values: [达成年度指标, 部分达成并具有一定效果, 未达成且效果较差]}\n"
     "评定系数: {type: decimal, unit: \"%\", range: [0, 100]}\n", max="10")


@pytest.mark.parametrize(("tier", "coefficient", "want"), [
    ("部分达成并具有一定效果", "70", "7"), ("部分达成并具有一定效果", "60", "6"), ("达成年度指标", "80", "8"),
    ("达成年度指标", "100", "10"),
])
def test_judgement_accepted_and_traced(tier, coefficient, want):
    node = leaf(score_both(JUDGEMENT, {"评定等次": tier, "评定系数": (coefficient, "%")}))
    assert node.score == D(want)
    assert all(d.judgement for d in node.deductions)


@pytest.mark.parametrize(("tier", "coefficient"), [("部分达成并具有一定效果", "85"), ("部分达成并具有一定效果", "80"),
                                                   ("未达成且效果较差", "60")])
def test_judgement_outside_its_tier_is_rejected(tier, coefficient):
    with pytest.raises(JixiaoError) as err:
        score_both(JUDGEMENT, {"评定等次": tier, "评定系数": (coefficient, "%")})
    assert err.value.code == ErrorCode.EVAL_JUDGEMENT_RANGE
    assert err.value.location is not None and err.value.location.file == "facts.yaml"


def test_stated_coefficient_chongqing_style():
    policy = policy_text("""\
        id: r
        kind: judgement
        coefficient: 得分系数
        wording: 得分系数(%) × 指标权重
        provenance: official
    """, "得分系数: {type: decimal, unit: \"%\", range: [0, 100]}\n", max="20")
    assert leaf(score_both(policy, {"得分系数": ("85", "%")})).score == D(17)


# 9. not applicable ⇒ full marks, or excluded ----------------------------------------------------------
OTHER_LEAF = """\
- id: L2
  name: 另一项
  max: 5
  rule: {id: r2, kind: proportional, fact: 执行率, wording: 按比例, provenance: official}
"""


def not_applicable(mode: str) -> str:
    return policy_text(f"""\
        id: r
        kind: step
        fact: 面积控制率
        threshold: 100
        direction: above
        points: 2
        per: 5
        counting: whole
        applicable_if: 有楼堂馆所项目
        not_applicable: {mode}
        wording: 100%以下(含)计满分，每超出5%扣2分，扣完为止。没有楼堂馆所项目的部门按满分计算。
        provenance: official
    """, "面积控制率: {type: decimal, unit: \"%\", range: [0, 1000], required: false}\n"
         "有楼堂馆所项目: {type: boolean}\n执行率: {type: decimal, unit: \"%\", range: [0, 100]}\n",
        extra=OTHER_LEAF)


def test_not_applicable_is_full_marks():
    result = score_both(not_applicable("full_marks"), {"有楼堂馆所项目": False, "执行率": ("100", "%")})
    assert leaf(result).score == D(5) and leaf(result).status == Status.NOT_APPLICABLE
    assert result.total == D(10) and result.max == D(10)


def test_not_applicable_excluded_drops_the_weight():
    result = score_both(not_applicable("exclude"), {"有楼堂馆所项目": False, "执行率": ("90", "%")})
    assert leaf(result).status == Status.EXCLUDED and result.node("L0").max == D(5)
    assert result.total == D("4.5") and result.max == D(5)


def test_applicable_rule_still_scores():
    result = score_both(not_applicable("full_marks"),
                        {"有楼堂馆所项目": True, "面积控制率": ("112", "%"), "执行率": ("100", "%")})
    assert leaf(result).score == D(1)


# 10. bonus/penalty outside the 100, capped ------------------------------------------------------------
ADJUSTMENT = policy_text("""\
    id: r
    kind: proportional
    fact: 执行率
    wording: 按比例
    provenance: official
""", "执行率: {type: decimal, unit: \"%\", range: [0, 100]}\n"
    "工作表现加减分: {type: decimal, unit: 分, range: [-10, 10]}\n",
    extra="""\
- id: L2
  name: 工作表现加减分
  rule: {id: r2, kind: adjustment, fact: 工作表现加减分, max_bonus: 5, max_penalty: 5, wording: 加减分各以5分为限,
         provenance: official}
""")


@pytest.mark.parametrize(("points", "want", "capped"), [("2.50", "2.50", False), ("7", "5", True), ("-6", "-5", True),
                                                        ("5", "5", False), ("-5", "-5", False)])
def test_adjustment(points, want, capped):
    result = score_both(ADJUSTMENT, {"执行率": ("100", "%"), "工作表现加减分": (points, "分")})
    node = result.node("L2")
    assert node.score == D(want) and node.status == Status.ADJUSTMENT
    assert result.total == 5 + D(want)
    (d,) = node.deductions
    assert d.points == -D(want) and d.capped is capped
    assert result.node("L0").lost() == result.node("L0").max - result.node("L0").score


# 11. grade mapping (when the policy turns it on) -------------------------------------------------------
GRADED = policy_text("""\
    id: r
    kind: proportional
    fact: 执行率
    wording: 按比例（仅用于测试等级）
    provenance: official
""", "执行率: {type: decimal, unit: \"%\", range: [0, 100]}\n", max="100", grading="""\
grading:
  enabled: true
  grades:
    - {grade: 优, when: "[90, 100]"}
    - {grade: 良, when: "[80, 90)"}
    - {grade: 中, when: "[60, 80)"}
    - {grade: 差, when: "< 60"}
""")


@pytest.mark.parametrize(("total", "grade"), [("94.622", "优"), ("90", "优"), ("89.99", "良"), ("89.5", "良"),
                                              ("60", "中"), ("59.999", "差")])
def test_grade_mapping(total, grade):
    assert score_both(GRADED, {"执行率": (total, "%")}).grade == grade


def test_grading_off_for_guangzhou(gz_policy, gz_facts):
    from engine import evaluate

    assert evaluate(gz_policy, gz_facts).grade is None


# 12. declared rounding: half-up vs half-even on an exact 5 ---------------------------------------------
@pytest.mark.parametrize(("mode", "want"), [("half_up", "1.689"), ("half_even", "1.688")])
def test_declared_rounding(mode, want):
    policy = PROPORTIONAL.replace("mode: half_up", f"mode: {mode}")
    assert leaf(score_both(policy, {"政府采购执行率": ("84.425", "%")})).score == D(want)


# 13. per-department target lists, one rule ------------------------------------------------------------
TARGETS = policy_text("""\
    id: r
    kind: targets
    fact: 绩效目标
    wording: 完成指标值的，记该指标所赋全部分值；未完成指标值的，按照完成值与指标值的比例记分
    provenance: official
""", "绩效目标: {type: targets}\n", max="10")


def targets_facts(*items: str) -> str:
    return "department: 测试单位\nfacts:\n  绩效目标:\n    value:\n" + "".join(items)


def test_targets_pro_rata_and_direction():
    facts = targets_facts(
        "      - {name: 论文, target: 200, actual: 170, direction: higher, unit: 篇}\n",
        "      - {name: 专利, target: 200, actual: 230, direction: higher, unit: 件}\n",
        "      - {name: 审批时限, target: 10, actual: 12.5, direction: lower, unit: 天}\n",
        "      - {name: 投诉数, target: 5, actual: 5, direction: lower, unit: 件}\n",
    )
    node = leaf(score_both(TARGETS, facts))
    # 2.5 × (170/200) + 2.5 + 2.5 × (10/12.5) + 2.5 = 2.125 + 2.5 + 2 + 2.5 = 9.125
    assert node.score == D("9.125")
    assert [(d.item, d.points) for d in node.deductions] == [("论文", D("0.375")), ("审批时限", D("0.5"))]
    assert node.deductions[0].facts[0].location is not None


def test_single_target_mof10():
    facts = targets_facts("      - {name: 指标, target: 200, actual: 170, direction: higher}\n")
    assert leaf(score_both(TARGETS, facts)).score == D("8.5")
