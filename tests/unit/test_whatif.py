"""What-if scenarios and sweeps: overrides at the document level pass the fact-file validation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import engine
from engine import loader
from engine.errors import ErrorCode, JixiaoError
from engine.views.explain import ChangeStatus
from engine.views.scenario import Override, OverrideSyntax, parse_override
from engine.views.whatif import affected, parse_sweep, sweep, whatif
from tests.conftest import GZ_FACTS
from tests.helpers import policy_text


@pytest.fixture(scope="module")
def doc():
    return loader.read_document(GZ_FACTS)


def run(gz_policy, doc, gz_facts, *sets: str):
    return whatif(gz_policy, doc, gz_facts, [parse_override(s, i) for i, s in enumerate(sets, 1)])


def test_setting_the_variance_rate_to_5_raises_funds_management_by_what_the_policy_says(gz_policy, doc, gz_facts):
    seed = engine.evaluate(gz_policy, gz_facts)
    weight = next(n.max for n in gz_policy.nodes() if n.id == "A1.2")
    expected = weight - seed.node("A1.2").score
    result = run(gz_policy, doc, gz_facts, "财政拨款收入预决算差异率=5")
    deltas = {n.id: n.delta for n in result.comparison.changed()}
    assert deltas == {"A": expected, "A1": expected, "A1.2": expected} and expected == D(6)
    assert result.after.node("A1").score == D("19.932")
    (change,) = result.comparison.deductions
    assert change.status == ChangeStatus.VANISHED and change.before.indicator_id == "A1.2"


def test_a_partial_change_changes_the_deduction(gz_policy, doc, gz_facts):
    (change,) = run(gz_policy, doc, gz_facts, "财政拨款收入预决算差异率=8").comparison.deductions
    assert change.status == ChangeStatus.CHANGED
    assert (change.before.points, change.after.points) == (D("6.000"), D("3.000"))
    assert change.after.computation == "6 − 1 × (8% − 5%) = 3"


def test_a_new_deduction_appears(gz_policy, doc, gz_facts):
    result = run(gz_policy, doc, gz_facts, "预算编制报送及时准确=false")
    (change,) = result.comparison.deductions
    assert change.status == ChangeStatus.APPEARED and change.after.indicator_id == "A1.5"
    assert result.comparison.total_delta == D(-2)


def test_the_changed_fact_is_read_from_the_set_argument(gz_policy, doc, gz_facts):
    result = run(gz_policy, doc, gz_facts, "预算完成率=100", "政府采购执行率=90")
    changed = {c.name: c for c in result.facts}
    assert str(changed["政府采购执行率"].after.location) == "--set:2:15"
    assert changed["政府采购执行率"].after.unit == "%" and changed["政府采购执行率"].after.quote is None
    assert changed["预算完成率"].before.value == D("99.66")


def test_changing_an_input_recomputes_the_derived_fact(gz_policy, doc, gz_facts):
    result = run(gz_policy, doc, gz_facts, "实际在用固定资产总额=11000")
    derived = next(c for c in result.facts if c.derived)
    assert derived.name == "固定资产使用率" and derived.after.value == D("90.61")
    assert result.after.node("A4.2").score == 3


@pytest.mark.parametrize(("value", "code"), [("abc", ErrorCode.FACTS_TYPE), ("150", ErrorCode.FACTS_RANGE),
                                             ("'5'", ErrorCode.FACTS_TYPE), ("11.44%", ErrorCode.FACTS_TYPE)])
def test_a_bad_value_gets_the_same_error_as_in_a_fact_file(gz_policy, doc, gz_facts, value, code):
    text = GZ_FACTS.read_text(encoding="utf-8").replace("value: 11.44", f"value: {value}")
    with pytest.raises(JixiaoError) as from_file:
        engine.facts_from_text(text, "f.yaml", gz_policy)
    with pytest.raises(JixiaoError) as from_set:
        run(gz_policy, doc, gz_facts, "预算完成率=100", f"财政拨款收入预决算差异率={value}")
    (want,), (got,) = from_file.value.problems, from_set.value.problems
    assert (got.code, got.message, got.field) == (want.code, want.message, want.field) and got.code == code
    assert str(got.location) == "--set:2:20"


def test_an_unknown_fact_is_suggested(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        run(gz_policy, doc, gz_facts, "预决算差异率=5")
    assert caught.value.code == ErrorCode.FACTS_UNKNOWN and "财政拨款收入预决算差异率" in caught.value.problem.message
    assert str(caught.value.location) == "--set:1:7"


def test_a_derived_fact_cannot_contradict_its_inputs(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        run(gz_policy, doc, gz_facts, "固定资产使用率=95")
    assert caught.value.code == ErrorCode.FACTS_DERIVED_MISMATCH


def test_a_changed_fact_must_meet_the_policy_constraints(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        run(gz_policy, doc, gz_facts, "已实现绩效目标数=22")
    (broken,) = [p for p in caught.value.problems if p.code == ErrorCode.FACTS_CONSTRAINT]
    assert str(broken.location) == "--set:1:16" and "已实现绩效目标数不能多于申报绩效目标数" in broken.message


def test_a_swept_value_must_meet_the_policy_constraints(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        sweep(gz_policy, doc, gz_facts, parse_sweep("已实现绩效目标数=20:22:1"))
    (broken,) = [p for p in caught.value.problems if p.code == ErrorCode.FACTS_CONSTRAINT]
    assert broken.location.file == "--sweep" and "22 ≤ 21" in broken.message


@pytest.mark.parametrize("text", ["预算完成率", "=5", "预算完成率=", "预算完成率=  "])
def test_an_override_needs_a_name_and_a_value(text):
    with pytest.raises(OverrideSyntax):
        parse_override(text)


def test_an_invalid_yaml_value_is_located_in_the_argument():
    with pytest.raises(JixiaoError) as caught:
        parse_override("预算完成率=[1,", 3)
    assert caught.value.code == ErrorCode.SOURCE_SYNTAX and caught.value.location.line == 3


def test_a_fact_missing_from_the_file_takes_its_declared_unit():
    policy = engine.policy_from_text(policy_text("""\
        id: r
        kind: proportional
        fact: 率
        wording: w
        provenance: official
        applicable_if: 适用
    """, '率: {type: decimal, unit: "%", required: false}\n适用: {type: boolean}\n'), "p.yaml")
    doc = engine.source.parse_document("department: 测试\nfacts:\n  适用: false\n", "f.yaml")
    facts = engine.facts_from_text("department: 测试\nfacts:\n  适用: false\n", "f.yaml", policy)
    result = whatif(policy, doc, facts, [parse_override("适用=true", 1), parse_override("率=50", 2)])
    assert result.after.node("L1").score == D("2.5") and result.scenario.facts["率"].unit == "%"


def test_the_parsed_document_is_not_changed(gz_policy, doc, gz_facts):
    before = repr(doc.value)
    run(gz_policy, doc, gz_facts, "财政拨款收入预决算差异率=5", "实际在用固定资产总额=11000")
    assert repr(doc.value) == before


def test_a_target_item_can_be_overridden_by_path(gz_policy, doc, gz_facts):
    item = Override.of("部门整体绩效目标", D(15), (0, "actual"))
    result = whatif(gz_policy, doc, gz_facts, [item])
    assert result.after.node("B1").score == D("35.714")


# -- sweeps ----------------------------------------------------------------------------------
def test_a_sweep_tabulates_the_affected_indicators_and_the_total(gz_policy, doc, gz_facts):
    table = sweep(gz_policy, doc, gz_facts, parse_sweep("财政拨款收入预决算差异率=0:12:1"))
    assert [c.id for c in table.columns] == ["A1.2", "A1", "A"]
    assert [p.value for p in table.points][-3:] == [D(11), D("11.44"), D(12)]
    current = next(p for p in table.points if p.is_current)
    assert current.total == table.base.total == D("94.622")
    at = {p.value: p for p in table.points}
    assert at[D(5)].scores == (D(6), D("19.932"), D("48.122")) and at[D(7)].total == D("98.622")
    totals = [p.total for p in table.points]
    assert totals == sorted(totals, reverse=True)


def test_a_sweep_over_an_input_reaches_the_indicator_through_the_derived_fact(gz_policy):
    assert [c.id for c in affected(gz_policy, "所有固定资产总额")] == ["A4.2", "A4", "A"]
    assert affected(gz_policy, "结转结余率")[0].id == "A1.4"


def test_a_sweep_after_overrides_starts_from_them(gz_policy, doc, gz_facts):
    table = sweep(gz_policy, doc, gz_facts, parse_sweep("政府采购执行率=80:100:10"),
                  [parse_override("财政拨款收入预决算差异率=5")])
    assert table.base.total == D("100.622") and table.points[-1].total == D("100.932")


def test_a_swept_value_out_of_range_is_located_at_the_sweep(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        sweep(gz_policy, doc, gz_facts, parse_sweep("财政拨款收入预决算差异率=90:110:10"))
    assert caught.value.code == ErrorCode.FACTS_RANGE and caught.value.location.file == "--sweep"


@pytest.mark.parametrize("text", ["率=1:2", "率=a:b:c", "率=2:1:1", "率=0:1:0", "=0:1:1", "率=0:100000:1"])
def test_a_malformed_sweep_is_a_usage_error(text):
    with pytest.raises(OverrideSyntax):
        parse_sweep(text)


# -- arguments out of reach and facts changed twice --------------------------------------------
@pytest.mark.parametrize("value", ["1e999999", "1e9999999999", "-1e40", "1e-31", "1" * 31, "0." + "0" * 30 + "1"])
def test_an_absurd_set_value_is_a_located_range_error(value):
    with pytest.raises(JixiaoError) as caught:
        parse_override(f"预算完成率={value}", 2)
    # the number reader's declared limits (engine/input_limits.py) apply to a typed value too
    assert caught.value.code == ErrorCode.LIMIT_NUMBER_RANGE and str(caught.value.location) == "--set:2:13"
    assert "超出允许范围" in caught.value.problem.message and len(caught.value.problem.message) < 200


def test_a_number_at_the_edges_of_the_declared_range_is_still_read():
    assert parse_override("所有固定资产总额=" + "9" * 25).value == D("9" * 25)
    assert parse_override("所有固定资产总额=0." + "0" * 23 + "1").value == D("1e-24")


def test_an_absurd_number_inside_a_target_list_is_located_at_it():
    with pytest.raises(JixiaoError) as caught:
        parse_override("部门整体绩效目标=[{name: a, target: 1, actual: 1e99999, direction: higher}]")
    assert caught.value.code == ErrorCode.LIMIT_NUMBER_RANGE and "1e99999" in caught.value.problem.message


def test_the_same_fact_set_twice_is_an_error_at_the_second(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        run(gz_policy, doc, gz_facts, "预算完成率=90", "政府采购执行率=90", "预算完成率=95")
    assert caught.value.code == ErrorCode.SOURCE_DUPLICATE_KEY and str(caught.value.location) == "--set:3:7"
    assert "--set:1:7" in caught.value.problem.message


TARGETS = "部门整体绩效目标"


@pytest.mark.parametrize("first", [
    parse_override(f"{TARGETS}=[{{name: a, target: 5, actual: 5, direction: higher}}]"),
    Override.of(TARGETS, D(16), (0, "actual")),
])
def test_a_fact_and_one_of_its_items_cannot_both_be_set(gz_policy, doc, gz_facts, first):
    with pytest.raises(JixiaoError) as caught:
        whatif(gz_policy, doc, gz_facts, [first, Override.of(TARGETS, D(15), (0, "actual"))])
    assert caught.value.code == ErrorCode.SOURCE_DUPLICATE_KEY


def test_two_different_items_of_one_fact_can_be_set(gz_policy, doc, gz_facts):
    items = [Override.of(TARGETS, D(15), (0, "actual")), Override.of(TARGETS, D(16), (0, "target"))]
    assert whatif(gz_policy, doc, gz_facts, items).after.node("B1").score is not None


def test_a_swept_fact_cannot_also_be_set(gz_policy, doc, gz_facts):
    with pytest.raises(JixiaoError) as caught:
        sweep(gz_policy, doc, gz_facts, parse_sweep("预算完成率=80:100:10"), [parse_override("预算完成率=90")])
    assert caught.value.code == ErrorCode.SOURCE_DUPLICATE_KEY and caught.value.location.file == "--sweep"


@pytest.mark.parametrize(("text", "words"), [
    ("率=0:1e999999:1", "超出可处理的范围"), ("率=0:1e9999999:1", "超出可处理的范围"),
    ("率=0:1:1e-9999999", "超出可处理的范围"), ("率=-1e9999999:0:1", "超出可处理的范围"),
    ("率=0:1000000000:1", "取值点太多"), ("率=0:1:0.0000001", "取值点太多"),
    ("率=NaN:1:1", "应为数值"), ("率=0:Infinity:1", "应为数值"), ("率=1_0:20:1", "应为数值"),
    ("率=８０:１００:５", "是否为「80」？请用半角数字"),  # noqa: RUF001 - full-width digits are the input
])
def test_an_absurd_sweep_is_a_usage_error_with_a_reason(text, words):
    with pytest.raises(OverrideSyntax) as caught:
        parse_sweep(text)
    assert words in str(caught.value) and len(str(caught.value)) < 200


def test_a_sweep_of_large_exact_values_stays_exact():
    values = parse_sweep(f"率={'9' * 29}:{'9' * 29}.5:0.25").values()
    assert values == (D("9" * 29), D("9" * 29 + ".25"), D("9" * 29 + ".50"))
