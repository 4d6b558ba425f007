"""``compare: exact`` (issue 13 §5): a band or threshold compares a derived fact before its declared
rounding, so 0.0005% (rounded to 0.00%) is not "= 0"; the trace says which value was compared."""

from __future__ import annotations

from decimal import Decimal

import pytest

import engine
from engine.authoring.invariants import check_invariants
from engine.loader import facts_from_text, policy_from_text

POLICY = """\
policy: {id: t, name: 测试, issuer: 测试, fiscal_year: 2021, version: "1"}
rounding: {score: {places: 2, mode: half_up}}
total: {max: 8}
facts:
  超支数: {type: decimal, unit: 万元, range: [0, null]}
  预算数: {type: decimal, unit: 万元, range: [1, null]}
  预算控制率:
    type: decimal
    unit: "%"
    range: [0, 100]
    derive: 超支数 / 预算数 * 100
    rounding: {places: 2, mode: half_up}
indicators:
  - id: A
    name: 预算控制
    max: 4
    rule:
      id: A.r1
      kind: bands
      fact: 预算控制率
      compare: COMPARE
      bands:
        - {when: "= 0", points: 4}
        - {when: "(0, 1]", points: 2}
        - {when: "> 1", points: 0}
      wording: 预算控制率为0得满分；0-1%（含）得2分；超过1%不得分
      provenance: official
  - id: B
    name: 超支扣分
    max: 4
    rule:
      id: B.r1
      kind: per_point
      fact: 预算控制率
      compare: COMPARE
      direction: above
      threshold: 0
      points: 2
      counting: partial
      wording: 每超支1个百分点扣2分，不足1个百分点按1个百分点计
      provenance: official
"""


def score(compare: str, overspent: str, budget: str = "100") -> engine.Result:
    policy = policy_from_text(POLICY.replace("COMPARE", compare), "p.yaml")
    return engine.evaluate(policy, facts_from_text(facts_text(overspent, budget), "f.yaml", policy))


def facts_text(overspent: str, budget: str = "100") -> str:
    return (f"department: 测试单位\nfacts:\n  超支数: {{value: {overspent}, unit: 万元}}\n"
            f"  预算数: {{value: {budget}, unit: 万元}}\n")


@pytest.mark.parametrize(("overspent", "rounded", "exact"), [
    ("0.0005", (4, 4), (2, 2)),     # 0.0005% rounds to 0.00%: "= 0" only when the rounded value is compared
    ("0", (4, 4), (4, 4)),          # a true zero is zero either way
    ("1.0001", (2, 2), (0, 0)),     # the boundary: 1.0001% rounds to 1.00%, inside (0, 1] only when rounded
    ("1", (2, 2), (2, 2)),          # exactly on the closed edge
    ("0.004", (4, 4), (2, 2)),      # below half a hundredth: rounds down to 0.00
    ("0.005", (2, 2), (2, 2)),      # half up: rounds to 0.01, above 0 either way
])
def test_exact_compares_the_value_before_rounding(overspent, rounded, exact):
    for compare, want in (("rounded", rounded), ("exact", exact)):
        result = score(compare, overspent)
        assert (result.node("A").score, result.node("B").score) == tuple(Decimal(w) for w in want), compare


def test_the_trace_says_which_value_was_compared():
    exact = {d.rule_id: d for d in score("exact", "0.0005").deductions()}
    assert "「预算控制率」按未舍入值 0.0005% 比较（compare: exact；舍入后为 0%）" in exact["A.r1"].computation
    assert "0.0005% 属于档次 (0, 1]" in exact["A.r1"].computation
    assert "按未舍入值 0.0005%" in exact["B.r1"].computation
    rate = next(f for f in exact["A.r1"].facts if f.name == "预算控制率")
    assert rate.value == 0 and "0.0005 → 0" in (rate.derivation or "")  # the fact itself is shown as rounded
    assert score("rounded", "0.0005").deductions() == ()  # rounded: "= 0", full marks, nothing compared exactly


def test_rounded_is_the_default_and_stays_out_of_the_digest():
    stated = policy_from_text(POLICY.replace("COMPARE", "rounded"), "p.yaml")
    default = policy_from_text(POLICY.replace("      compare: COMPARE\n", ""), "p.yaml")
    assert stated.digest == default.digest
    assert policy_from_text(POLICY.replace("COMPARE", "exact"), "p.yaml").digest != default.digest


def test_the_invariants_follow_the_unrounded_value():
    policy = policy_from_text(POLICY.replace("COMPARE", "exact"), "p.yaml")
    for overspent in ("0.0005", "1.0001", "0.333", "2"):
        parsed = facts_from_text(facts_text(overspent), "f.yaml", policy)
        assert check_invariants(policy, parsed) == [], overspent


def test_an_unknown_compare_value_is_a_schema_error():
    with pytest.raises(engine.PolicyErrors) as caught:
        policy_from_text(POLICY.replace("COMPARE", "unrounded"), "p.yaml")
    assert {p.code for p in caught.value.problems} == {engine.ErrorCode.POLICY_SCHEMA}
