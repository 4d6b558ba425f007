"""Policy versions: a child policy ``extends`` a parent and overrides only what changes (engine.extend)."""

from __future__ import annotations

import textwrap
from decimal import Decimal as D

import pytest

import engine
from engine.compile import compile_policy
from engine.errors import ErrorCode, JixiaoError
from engine.extend import merge, resolve
from engine.loader import validate_policy
from engine.source import parse_document
from tests.conftest import GZ_FACTS, ROOT

R1P = ROOT / "policies" / "gz-dept-2021-r1p.yaml"

PARENT = """\
policy: {id: p, name: 父, issuer: 测试, fiscal_year: 2021, version: "1"}
rounding: {score: {places: 3, mode: half_up}}
total: {max: 10}
facts:
  率: {type: decimal, unit: "%", range: [0, 200]}
  公开: {type: boolean}
indicators:
  - id: A
    name: 管理
    max: 10
    children:
      - id: A1
        name: 比率
        max: 6
        rule: {id: A1.r1, kind: per_point, fact: 率, threshold: 5, direction: above, points: 1,
               wording: 每超1个百分点扣1分, provenance: official}
      - id: A2
        name: 公开
        max: 4
        rule:
          id: A2.r1
          kind: checklist
          items: [{id: a, fact: 公开, points: 4, wording: 已公开}]
          wording: 公开得满分
          provenance: official
"""


def docs(child: str, parent: str = PARENT) -> dict[str, str]:
    return {"parent.yaml": parent, "child.yaml": textwrap.dedent(child)}


def load(files: dict[str, str], name: str = "child.yaml") -> engine.CompiledPolicy:
    doc = resolve(parse_document(files[name], name), lambda n: parse_document(files[n], n))
    return compile_policy(validate_policy(doc), doc)


def fails(files: dict[str, str]) -> JixiaoError:
    with pytest.raises(JixiaoError) as caught:
        load(files)
    return caught.value


def leaf_rule(policy: engine.CompiledPolicy, ident: str):
    node = next(n for n in policy.nodes() if n.id == ident)
    assert node.leaf is not None
    return node.leaf


CHILD_HEAD = """\
extends: parent.yaml
policy: {id: c, version: "2"}
"""


# -- the bundled R1′ policy ------------------------------------------------------------------
@pytest.mark.parametrize("backend", [engine.DurableBackend, engine.NativeBackend])
def test_r1p_scores_the_seed_like_r1(backend):
    policy = engine.load_policy(R1P)
    result = engine.evaluate(policy, engine.read_facts(GZ_FACTS, policy), backend=backend())
    assert result.total == D("94.622")
    assert result.node("A1").score == D("13.932")
    assert result.node("A1.2").score == 0


def test_r1p_overrides_one_rule_and_inherits_the_rest(gz_policy):
    policy = engine.load_policy(R1P)
    assert policy.meta.id == "gz-dept-2021-r1p" and policy.meta.issuer == gz_policy.meta.issuer
    assert leaf_rule(policy, "A1.2").rule.kind == "bands"
    assert leaf_rule(policy, "A1.2").location.file == str(R1P)
    assert leaf_rule(policy, "A2.1").location.file == str(ROOT / "policies" / "gz-dept-2021.yaml")
    assert leaf_rule(policy, "A2.1").rule == leaf_rule(gz_policy, "A2.1").rule
    assert [n.id for n in policy.nodes()] == [n.id for n in gz_policy.nodes()]
    assert policy.digest != gz_policy.digest


def test_the_two_readings_disagree_on_the_variant_fact_file(gz_policy):
    variant = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"
    r1 = engine.evaluate(gz_policy, engine.read_facts(variant, gz_policy))
    r1p_policy = engine.load_policy(R1P)
    r1p = engine.evaluate(r1p_policy, engine.read_facts(variant, r1p_policy))
    assert (r1.node("A1.2").score, r1p.node("A1.2").score) == (D(4), D(3))
    assert (r1.total, r1p.total) == (D("98.622"), D("97.622"))


def test_the_parent_is_found_relative_to_the_child(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(PARENT, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: base/parent.yaml\npolicy: {id: c}\n", encoding="utf-8")
    assert engine.load_policy(child).meta.id == "c"


# -- overriding ------------------------------------------------------------------------------
def test_a_rule_of_the_same_kind_is_merged_key_by_key():
    policy = load(docs(CHILD_HEAD + "indicators:\n  A1: {rule: {threshold: 8}}\n"))
    rule = leaf_rule(policy, "A1").rule
    assert rule.threshold == 8 and rule.points == 1 and rule.wording == "每超1个百分点扣1分"
    assert policy.meta.id == "c" and policy.meta.name == "父"


def test_a_rule_whose_kind_changes_is_replaced_whole():
    child = CHILD_HEAD + """\
indicators:
  A1:
    rule: {id: A1.r2, kind: bands, fact: 率, bands: [{when: "≤ 5", points: 6}, {when: "> 5", points: 0}],
           wording: 超过5%不得分, provenance: official}
"""
    rule = leaf_rule(load(docs(child)), "A1").rule
    assert rule.kind == "bands" and rule.id == "A1.r2"


def test_weights_facts_and_settings_are_overridden():
    child = CHILD_HEAD + """\
total: {cap: 10}
facts:
  公开: null
  已公开: {type: boolean}
  率: {range: [0, 100]}
indicators:
  A2: {name: 信息公开, rule: {items: [{id: a, fact: 已公开, points: 4, wording: 已公开}]}}
"""
    policy = load(docs(child))
    assert policy.total.max == 10 and policy.total.cap == 10
    assert [f.name for f in policy.facts] == ["率", "已公开"]
    assert next(f for f in policy.facts if f.name == "率").spec.range == (0, 100)
    assert next(n for n in policy.nodes() if n.id == "A2").name == "信息公开"


def test_indicators_are_added_removed_and_moved():
    child = CHILD_HEAD + """\
indicators:
  A2: null
  B: {parent: null, name: 新一级, max: 4, weights_note: 测试}
  A3:
    parent: A
    after: A1
    name: 新公开
    max: 4
    rule: {id: A3.r1, kind: checklist, items: [{id: a, fact: 公开, points: 4, wording: 已公开}],
           wording: 公开得满分, provenance: official}
  A1: {parent: B}
"""
    files = docs(child)
    files["child.yaml"] = files["child.yaml"].replace("total: {max: 10}", "")
    doc = resolve(parse_document(files["child.yaml"], "child.yaml"), lambda n: parse_document(files[n], n))
    tree = [(i["id"], [c["id"] for c in i.get("children", [])]) for i in doc.value["indicators"]]
    assert tree == [("A", ["A3"]), ("B", ["A1"])]


def test_a_new_indicator_takes_its_place_after_a_sibling():
    child = CHILD_HEAD + """\
indicators:
  A: {max: 12}
  A0:
    parent: A
    name: 新增
    max: 2
    rule: {id: A0.r1, kind: checklist, items: [{id: a, fact: 公开, points: 2, wording: 已公开}],
           wording: 公开得满分, provenance: official}
  A1: {after: A0}
"""
    policy = load(docs(child.replace("policy: {id: c", "total: {max: 12}\npolicy: {id: c")))
    assert [n.id for n in policy.nodes()] == ["A", "A2", "A0", "A1"]


def test_a_grandparent_chain_is_resolved():
    files = docs(CHILD_HEAD + "indicators:\n  A1: {rule: {threshold: 8}}\n")
    files["grandchild.yaml"] = "extends: child.yaml\npolicy: {id: g}\nindicators:\n  A1: {rule: {points: 2}}\n"
    rule = leaf_rule(load(files, "grandchild.yaml"), "A1").rule
    assert (rule.threshold, rule.points) == (8, 2)


# -- errors point into the file that holds the value -------------------------------------------
def test_an_invalid_overridden_value_is_located_in_the_child():
    err = fails(docs(CHILD_HEAD + "indicators:\n  A1:\n    rule:\n      points: many\n"))
    assert err.code == ErrorCode.POLICY_SCHEMA
    assert (err.location.file, err.location.line) == ("child.yaml", 6)


def test_an_inherited_problem_is_located_in_the_parent():
    err = fails(docs(CHILD_HEAD + "facts:\n  率: {type: boolean, unit: null, range: null}\n"))
    assert err.code == ErrorCode.POLICY_FACT_TYPE
    assert err.location.file == "parent.yaml" and err.location.line == 15


def test_a_changed_weight_must_still_add_up():
    err = fails(docs(CHILD_HEAD + "indicators:\n  A1: {max: 7}\n"))
    assert err.code == ErrorCode.POLICY_WEIGHTS_SUM
    assert err.location.file == "parent.yaml"  # the parent's max no longer matches its children


@pytest.mark.parametrize(("child", "line", "message"), [
    ("indicators:\n  A9: null\n", 4, "要删除的指标「A9」"),
    ("indicators:\n  A9: {name: x}\n", 4, "新增指标「A9」必须写 parent"),
    ("indicators:\n  A1: {parent: Z}\n", 4, "上级指标「Z」不存在"),
    ("indicators:\n  A: {parent: A1}\n", 4, "位于被移动的指标之下"),
    ("indicators:\n  A1: {after: Z}\n", 4, "同级中没有指标「Z」"),
    ("indicators:\n  A: {children: []}\n", 4, "下级指标请按 id"),
    ("indicators:\n  - {id: A1}\n", 4, "按指标 id 的映射"),
    ("facts:\n  无: null\n", 4, "要删除的事实「无」"),
    ("indicator:\n  A1: {max: 7}\n", 3, "是否为「indicators」"),
])
def test_structural_mistakes_in_the_child_are_located(child, line, message):
    err = fails(docs(CHILD_HEAD + child))
    assert err.code == ErrorCode.POLICY_EXTENDS
    assert (err.location.file, err.location.line) == ("child.yaml", line)
    assert message in err.problem.message


def test_a_missing_parent_is_located_at_extends(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text("policy: {id: c}\nextends: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(JixiaoError) as caught:
        engine.load_policy(child)
    assert caught.value.code == ErrorCode.POLICY_EXTENDS
    assert caught.value.location.line == 2 and "nowhere.yaml" in caught.value.problem.message


def test_a_cycle_is_an_error():
    files = {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"}
    with pytest.raises(JixiaoError) as caught:
        load(files, "a.yaml")
    assert caught.value.code == ErrorCode.POLICY_EXTENDS and "继承循环" in caught.value.problem.message


def test_merge_keeps_the_parent_document_untouched():
    parent = parse_document(PARENT, "parent.yaml")
    before = repr(parent.value)
    merge(parent, parse_document(CHILD_HEAD + "indicators:\n  A1: {rule: {threshold: 8}}\n", "child.yaml"))
    assert repr(parent.value) == before


def test_a_document_without_extends_is_returned_as_is():
    doc = parse_document(PARENT, "parent.yaml")
    assert resolve(doc, lambda n: pytest.fail(n)) is doc
