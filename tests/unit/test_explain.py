"""explain.fails: why not full marks, from the recorded result; explain.compare: two results by id."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import engine
from engine.views.explain import ChangeStatus, UnknownIndicator, compare, fails
from tests.conftest import ROOT

VARIANT = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"


@pytest.fixture(scope="module")
def seed(gz_policy, gz_facts) -> engine.Result:
    return engine.evaluate(gz_policy, gz_facts)


def test_the_seed_loses_points_in_four_indicators_sorted_by_points_lost(seed):
    view = fails(seed)
    assert [(f.node.id, f.points) for f in view.fails] == [
        ("A1.2", D("6.000")), ("A4.2", D("1.500")), ("A2.1", D("0.310")), ("A1.1", D("0.068"))]
    assert view.fails[0].deduction.floored


def test_nothing_else_is_below_full_marks(seed):
    below = [n.id for n, _ in fails(seed).below_full]
    assert below == ["A", "A1", "A1.1", "A1.2", "A2", "A2.1", "A4", "A4.2"]
    assert {n.id for n, depth in fails(seed).below_full if depth == 1} == {"A1", "A2", "A4"}


def test_each_fail_carries_its_ancestors_root_first(seed):
    by_id = {f.node.id: f for f in fails(seed).fails}
    assert [n.id for n in by_id["A1.2"].chain] == ["A", "A1"]
    assert [n.name for n in by_id["A2.1"].chain] == ["管理效能", "采购管理"]


def test_bonus_and_penalty_items_are_apart(seed):
    view = fails(seed)
    assert [(f.node.id, f.points) for f in view.adjustments] == [("B2", D("-2.50"))]
    assert all(f.node.id != "B2" for f in view.fails)


def test_points_lost_add_up_to_the_gap_below_full_marks(seed):
    view = fails(seed)
    bonus = -sum(f.points for f in view.adjustments)
    assert view.lost == seed.max - seed.total + bonus == D("7.878")


def test_a_scope_restricts_the_view_to_one_indicator(seed):
    view = fails(seed, "A2")
    assert [f.node.id for f in view.fails] == ["A2.1"]
    assert [n.id for n, _ in view.below_full] == ["A2", "A2.1"]
    assert [n.id for n in view.fails[0].chain] == ["A", "A2"]
    assert fails(seed, "A3").fails == ()


def test_an_unknown_scope_suggests_the_nearest_ids(seed):
    with pytest.raises(UnknownIndicator, match=r"是否为.*「A1\.2」"):
        fails(seed, "A1.20")


def test_compare_lines_up_two_results_by_id(gz_policy, seed):
    variant = engine.evaluate(gz_policy, engine.read_facts(VARIANT, gz_policy))
    diff = compare(seed, variant)
    assert [(n.id, n.delta) for n in diff.changed()] == [("A", D(4)), ("A1", D(4)), ("A1.2", D(4))]
    assert diff.total_delta == D(4)
    (change,) = diff.deductions
    assert change.status == ChangeStatus.CHANGED
    assert (change.before.points, change.after.points) == (D("6.000"), D("2.000"))


def test_compare_of_a_result_with_itself_is_empty(seed):
    diff = compare(seed, seed)
    assert diff.changed() == () and diff.deductions == () and diff.total_delta == 0
