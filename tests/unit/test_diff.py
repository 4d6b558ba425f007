"""Policy versions: structural differences by stable ids, and score deltas with their causes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

import engine
from engine.views.diff import ChangeKind, diff, diff_scores
from tests.conftest import GZ_FACTS, ROOT
from tests.unit.test_extend import CHILD_HEAD, PARENT, docs, load

R1P = ROOT / "policies" / "gz-dept-2021-r1p.yaml"
VARIANT = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"


@pytest.fixture(scope="module")
def r1p() -> engine.CompiledPolicy:
    return engine.load_policy(R1P)


def scores(a, b, path):
    return diff_scores(a, b, engine.read_facts(path, a), engine.read_facts(path, b))


def test_the_bundled_versions_differ_in_one_rule(gz_policy, r1p):
    changes = diff(gz_policy, r1p).changes
    assert {(c.kind, c.subject, c.field) for c in changes if c.kind != ChangeKind.POLICY} == {
        (ChangeKind.RULE, "A1.2", "rule"), (ChangeKind.WORDING, "A1.2", "wording"),
        (ChangeKind.PROVENANCE, "A1.2", "note")}
    rule = next(c for c in changes if c.kind == ChangeKind.RULE)
    assert rule.before.startswith("A1.2.r1（per_point）") and "threshold 5" in rule.before
    assert rule.after == "A1.2.r1p（bands）：fact 财政拨款收入预决算差异率；bands[0] ≤ 5 → 6；bands[1] (5, 10] → 3；" \
                         "bands[2] > 10 → 0"
    assert (rule.location.file, rule.location.line) == (str(R1P), 21)
    assert {c.field for c in changes if c.kind == ChangeKind.POLICY} == {"id", "name", "version", "note"}


def test_a_policy_does_not_differ_from_itself(gz_policy):
    assert diff(gz_policy, gz_policy).changes == ()


def test_on_the_seed_the_versions_agree(gz_policy, r1p):
    found = scores(gz_policy, r1p, GZ_FACTS)
    assert found.causes == () and found.comparison.total_delta == 0
    assert found.comparison.after.total == D("94.622")
    assert found.unchanged == ("A1.2",)


def test_where_the_readings_disagree_the_delta_is_traced_to_the_rule(gz_policy, r1p):
    found = scores(gz_policy, r1p, VARIANT)
    assert [(c.node.id, c.node.delta) for c in found.causes] == [("A", D(-1)), ("A1", D(-1)), ("A1.2", D(-1))]
    by_id = {c.node.id: c for c in found.causes}
    assert by_id["A"].children == ("A1",) and by_id["A1"].children == ("A1.2",)
    assert [c.kind for c in by_id["A1.2"].changes] == [ChangeKind.RULE]
    assert (found.comparison.before.total, found.comparison.after.total) == (D("98.622"), D("97.622"))
    (change,) = found.comparison.deductions
    assert (change.before.points, change.after.points) == (D("2.000"), D("3.000"))


def test_added_removed_moved_renamed_and_reweighted_indicators():
    child = CHILD_HEAD + """\
total: {max: 18}
indicators:
  A: {max: 12, name: 管理效能}
  A2: null
  B: {parent: null, name: 新一级, max: 6, weights_note: 测试}
  A1: {parent: B}
  A3:
    parent: A
    name: 新公开
    max: 12
    rule: {id: A3.r1, kind: checklist, items: [{id: a, fact: 公开, points: 12, wording: 已公开}],
           wording: 公开得满分, provenance: official}
"""
    files = docs(child)
    changes = diff(load(files, "parent.yaml"), load(files)).changes
    found = {(c.kind, c.subject): (c.before, c.after) for c in changes}
    assert found[(ChangeKind.ADDED, "A3")] == (None, "新公开")
    assert found[(ChangeKind.ADDED, "B")] == (None, "新一级")
    assert found[(ChangeKind.REMOVED, "A2")] == ("公开", None)
    assert found[(ChangeKind.MOVED, "A1")] == ("A", "B")
    assert found[(ChangeKind.RENAMED, "A")] == ("管理", "管理效能")
    assert found[(ChangeKind.WEIGHT, "A")] == ("10", "12")
    assert found[(ChangeKind.SETTING, "total")] == ("10", "18")  # 12 + 6: total.max must add up (policy.total)


def test_rule_parameters_facts_and_provenance():
    child = CHILD_HEAD + """\
facts:
  率: {range: [0, 100]}
  新: {type: boolean}
indicators:
  A1: {rule: {threshold: 8, provenance: inferred, note: 推断}}
"""
    files = docs(child)
    changes = diff(load(files, "parent.yaml"), load(files)).changes
    found = {(c.kind, c.subject, c.field): (c.before, c.after) for c in changes}
    assert found[(ChangeKind.PARAMETER, "A1", "threshold")] == ("5", "8")
    assert found[(ChangeKind.PROVENANCE, "A1", "provenance")] == ("official", "inferred")
    assert found[(ChangeKind.PROVENANCE, "A1", "note")] == (None, "推断")
    assert found[(ChangeKind.FACT, "率", "range")] == ("[0, 200]", "[0, 100]")
    assert found[(ChangeKind.FACT, "新", "")] == (None, "boolean")


def test_a_parameter_change_explains_a_score_delta():
    files = docs(CHILD_HEAD + "indicators:\n  A1: {rule: {threshold: 8}}\n")
    a, b = load(files, "parent.yaml"), load(files)
    text = "department: 测试\nfacts:\n  率: {value: 7, unit: \"%\"}\n  公开: true\n"
    found = diff_scores(a, b, engine.facts_from_text(text, "f.yaml", a), engine.facts_from_text(text, "f.yaml", b))
    leaf = next(c for c in found.causes if c.node.id == "A1")
    assert leaf.node.delta == D(2) and [(c.field, c.before, c.after) for c in leaf.changes] == [("threshold", "5", "8")]


def test_the_policy_settings_are_named_when_nothing_else_explains_a_delta():
    parent = PARENT.replace("places: 3", "places: 0").replace("points: 1,", "points: 0.4,")
    files = docs(CHILD_HEAD + "rounding: {score: {places: 1}}\n", parent)
    a, b = load(files, "parent.yaml"), load(files)
    text = "department: 测试\nfacts:\n  率: {value: 6, unit: \"%\"}\n  公开: true\n"
    found = diff_scores(a, b, engine.facts_from_text(text, "f.yaml", a), engine.facts_from_text(text, "f.yaml", b))
    leaf = next(c for c in found.causes if c.node.id == "A1")
    assert [(c.kind, c.field) for c in leaf.changes] == [(ChangeKind.SETTING, "score.places")]
