"""Recover: the smallest change of the facts that gives a deduction back, exact where the rule inverts,
and verified by evaluating again."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import engine
from engine import loader
from engine.source import parse_document
from engine.views.recover import recover
from engine.views.scenario import Override, run
from tests.conftest import GZ_FACTS, ROOT
from tests.helpers import facts_text, policy_text

RATE = '{name}: {{type: decimal, unit: "%", range: [0, 1000]}}\n'


@pytest.fixture(scope="module")
def seed(gz_policy, gz_facts):
    return recover(gz_policy, loader.read_document(GZ_FACTS), gz_facts)


def by_id(recovery):
    return {s.fail.node.id: s for s in recovery.suggestions}


def suggestions(rule: str, facts: dict[str, object], declared: str, *, max: str = "5"):
    policy = engine.policy_from_text(policy_text(rule, declared, max=max), "p.yaml")
    text = facts_text(facts)
    return recover(policy, parse_document(text, "f.yaml"), engine.facts_from_text(text, "f.yaml", policy))


# -- the seed ----------------------------------------------------------------------------------
def test_procurement_recovers_0310_at_100_percent(seed):
    found = by_id(seed)["A2.1"]
    assert found.verified
    assert (found.change.fact, found.change.bound, found.change.relation) == ("政府采购执行率", D(100), "≥")
    assert found.check.recovered == D("0.310")
    assert found.text == "政府采购执行率 提高到 100.00% 及以上，可挽回 0.310 分"


def test_the_variance_rate_recovers_six_points_at_5_percent(seed):
    found = by_id(seed)["A1.2"]
    assert found.text == "财政拨款收入预决算差异率 降至 5.00% 及以下，可挽回 6.000 分" and found.verified
    assert found.check.total_after == D("100.622")
    assert [n.id for n in found.check.changed] == ["A", "A1", "A1.2"]


def test_every_seed_deduction_gets_a_verified_suggestion_in_order(seed):
    assert [(s.fail.node.id, s.verified) for s in seed.suggestions] == [
        ("A1.2", True), ("A4.2", True), ("A2.1", True), ("A1.1", True)]
    assert by_id(seed)["A1.1"].change.bound == D(100)


def test_a_derived_fact_is_inverted_and_its_inputs_are_named(seed):
    found = by_id(seed)["A4.2"]
    assert (found.change.fact, found.change.bound, found.verified) == ("固定资产使用率", D(90), True)
    assert found.formula == "实际在用固定资产总额 ÷ 所有固定资产总额 × 100"
    inputs = {s.change.fact: s for s in found.inputs}
    assert inputs["实际在用固定资产总额"].change.bound == D("10925.15")
    assert inputs["所有固定资产总额"].change.bound == D("11369.72")
    assert all(s.verified for s in found.inputs)


def test_the_input_change_is_the_smallest_on_the_grid(gz_policy, gz_facts, seed):
    bound = by_id(seed)["A4.2"].inputs[0].change.bound
    one_cent_less = Override.of("实际在用固定资产总额", bound - D("0.01"))  # 89.99% after truncation
    short = run(gz_policy, loader.read_document(GZ_FACTS), gz_facts.digest, [one_cent_less])
    assert short.result.node("A4.2").score == D("1.500")


def test_a_scope_limits_the_suggestions(gz_policy, gz_facts):
    found = recover(gz_policy, loader.read_document(GZ_FACTS), gz_facts, indicator="A2")
    assert [s.fail.node.id for s in found.suggestions] == ["A2.1"]


def test_r1p_on_the_variant_recovers_three_points_at_5_percent():
    policy = engine.load_policy(ROOT / "policies" / "gz-dept-2021-r1p.yaml")
    path = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"
    found = by_id(recover(policy, loader.read_document(path), engine.read_facts(path, policy)))["A1.2"]
    assert found.text == "财政拨款收入预决算差异率 降至 5.00% 及以下，可挽回 3.000 分" and found.verified


# -- each rule kind ------------------------------------------------------------------------------
PER_POINT = """\
    id: r
    kind: {kind}
    fact: 率
    threshold: 100
    direction: {direction}
    points: {points}
    per: {per}
    counting: {counting}
    wording: w
    provenance: official
"""


@pytest.mark.parametrize(("kind", "direction", "points", "per", "counting", "value", "bound", "relation", "tried"), [
    ("per_point", "above", "0.5", "1", "whole", "103.4", "101", "<", "100.99"),
    ("per_point", "above", "0.5", "1", "partial", "103.4", "100", "≤", "100"),
    ("step", "below", "2", "5", "whole", "88.5", "95", ">", "95.01"),
    ("step", "below", "2", "5", "partial", "88.5", "100", "≥", "100"),
])
def test_per_point_and_step_invert_to_the_threshold(kind, direction, points, per, counting, value, bound,
                                                     relation, tried):
    rule = PER_POINT.format(kind=kind, direction=direction, points=points, per=per, counting=counting)
    (found,) = suggestions(rule, {"率": (value, "%")}, RATE.format(name="率"), max="8").suggestions
    assert (found.change.bound, found.change.relation, found.change.value) == (D(bound), relation, D(tried))
    assert found.verified and found.check.recovered == found.fail.points


def test_per_count_inverts_to_no_occurrence():
    rule = "id: r\nkind: per_count\nfact: 例数\npoints: 1\nwording: w\nprovenance: official\n"
    (found,) = suggestions(rule, {"例数": ("2", "例")}, "例数: {type: integer, unit: 例}\n", max="3").suggestions
    assert found.text == "例数 改为 0 例，可挽回 2.000 分" and found.verified


BANDS = """\
    id: r
    kind: bands
    fact: 率
    bands:
      - {when: "= 0", points: 3}
      - {when: "(0, 10]", points: 2}
      - {when: "> 10", points: 0}
    wording: w
    provenance: official
"""


def test_bands_invert_to_the_nearest_edge_of_the_best_band():
    (found,) = suggestions(BANDS, {"率": ("12", "%")}, RATE.format(name="率"), max="3").suggestions
    assert found.text == "率 改为 0.00%，可挽回 3.000 分" and found.verified


def test_an_open_edge_is_passed_by_one_unit_of_the_last_decimal():
    rule = BANDS.replace('"= 0", points: 3', '"> 90", points: 3').replace('"(0, 10]"', '"(50, 90]"').replace(
        '"> 10", points: 0', '"≤ 50", points: 0')
    (found,) = suggestions(rule, {"率": ("84.29", "%")}, RATE.format(name="率"), max="3").suggestions
    assert (found.change.relation, found.change.value, found.verified) == (">", D("90.01"), True)
    assert found.text.startswith("率 提高到 90.00% 以上（不含）")


def test_a_band_below_full_marks_recovers_what_it_can():
    rule = BANDS.replace('"= 0", points: 3', '"= 0", points: 2')
    (found,) = suggestions(rule, {"率": ("12", "%")}, RATE.format(name="率"), max="3").suggestions
    assert found.change.recovers == D(2) and found.verified and found.fail.points == D(3)


def test_a_value_already_in_the_best_band_cannot_recover_more():
    rule = BANDS.replace('"= 0", points: 3', '"= 0", points: 2')
    (found,) = suggestions(rule, {"率": ("0", "%")}, RATE.format(name="率"), max="3").suggestions
    assert found.change is None and "已在得分最高的档次" in found.text and not found.verified


def test_a_checklist_item_must_become_true():
    rule = """\
        id: r
        kind: checklist
        items:
          - {id: "①", fact: 已制定, points: 1, wording: 已制定制度}
          - {id: "②", fact: 合规, points: 2, wording: 制度合规}
        wording: w
        provenance: official
    """
    found = suggestions(rule, {"已制定": False, "合规": False}, "已制定: {type: boolean}\n合规: {type: boolean}\n",
                        max="3").suggestions
    assert [s.text for s in found] == ["须做到“制度合规”，即「合规」改为“是”，可挽回 2.000 分",
                                       "须做到“已制定制度”，即「已制定」改为“是”，可挽回 1.000 分"]
    assert all(s.verified for s in found)


def test_a_target_item_must_reach_its_target():
    policy = engine.load_policy(ROOT / "policies" / "gz-dept-2021.yaml")
    text = GZ_FACTS.read_text(encoding="utf-8").replace("actual: 21", "actual: 15")
    facts = engine.facts_from_text(text, "f.yaml", policy)
    found = by_id(recover(policy, parse_document(text, "f.yaml"), facts))["B1"]
    assert found.change.path == (0, "actual") and found.verified
    assert found.text.endswith("完成值 提高到 21 个 及以上，可挽回 14.286 分")


@pytest.mark.parametrize(("case", "facts", "bound"), [
    ("结余 == 0", {"结余": ("120", "万元"), "结转": ("150", "万元")}, "0"),
    ("结余 <= 结转", {"结余": ("160", "万元"), "结转": ("150", "万元")}, "150"),
])
def test_a_comparison_inverts_its_full_marks_case(case, facts, bound):
    rule = f"""\
        id: r
        kind: comparison
        cases:
          - {{when: "{case}", points: 3}}
        otherwise: 0
        wording: w
        provenance: official
    """
    declared = "结余: {type: decimal, unit: 万元}\n结转: {type: decimal, unit: 万元}\n"
    (found,) = suggestions(rule, facts, declared, max="3").suggestions
    assert found.change.bound == D(bound) and found.verified


def test_a_judgement_is_stated_plainly_and_not_verified():
    rule = """\
        id: r
        kind: judgement
        tier: 等次
        coefficient: 系数
        tiers:
          - {name: 达成, range: "[80, 100]"}
          - {name: 部分达成, range: "[60, 80)"}
        wording: w
        provenance: official
    """
    declared = '等次: {type: enum, values: [达成, 部分达成]}\n系数: {type: decimal, unit: "%"}\n'
    (found,) = suggestions(rule, {"等次": "部分达成", "系数": ("70", "%")}, declared, max="10").suggestions
    assert found.change is None and not found.verified
    assert "评价人判断" in found.text and "「达成」" in found.text
