"""Every registered rule kind has every part, as every error code has a bad file (test_bad_inputs).

A kind is one module of ``engine/rules/`` plus one registry line, its two YAML test files
(``tests/policies/kinds/<kind>.yaml`` and ``tests/cases/kinds/<kind>.yaml``) and its line in
``docs/rule-kinds.md``. These tests fail when a registered kind lacks any of them, when a stage
dispatches on a kind instead of asking it, or when a kind module imports an edge library.
"""

from __future__ import annotations

import ast
import inspect
import typing
from decimal import Decimal
from pathlib import Path

import pytest

from engine.authoring.cases import load_case_file, run_case
from engine.compile import CompiledPolicy, LeafPlan
from engine.facts import validate_facts
from engine.firing.conditions import Case, Marker
from engine.loader import load_policy
from engine.rules import BY_NAME, KINDS, kind_of
from engine.rules.base import Kind, RulePlan
from engine.rules.inversion import Change, Known, Plain
from engine.schema import json_schema

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "engine" / "rules"
SHARED = {"__init__", "base", "checks", "inversion", "per_unit"}  # modules that are not a kind
EDGES = {"hypothesis", "jinja2", "click", "fastapi", "durable", "durable_rules_engine", "sqlalchemy", "rich"}
PARTS = ("probes", "reads", "score", "invert", "edges", "scalar", "expected", "direction")
IDS = [k.name for k in KINDS]


def kind_policy(kind: Kind) -> CompiledPolicy:
    return load_policy(ROOT / "tests" / "policies" / "kinds" / f"{kind.name}.yaml")


def leaves(policy: CompiledPolicy, kind: Kind) -> list[LeafPlan]:
    return [n.leaf for n in policy.nodes() if n.leaf is not None and n.leaf.kind is kind]


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_every_kind_module_is_registered_once():
    modules = {p.stem for p in RULES.glob("*.py")} - SHARED
    assert modules == set(BY_NAME), "engine/rules/<kind>.py and the registry must list the same kinds"
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_kind_names_itself_and_its_model(kind):
    assert type(kind).__module__ == f"engine.rules.{kind.name}"
    assert is_chinese(kind.label), "the kind needs a Chinese label (reports show it)"
    assert kind.model.model_fields["kind"].annotation == typing.Literal[kind.name]
    assert f'"const": "{kind.name}"' in json_schema("policy"), "the model must be in the policy union"


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_kind_declares_its_cases_with_chinese_labels(kind):
    assert issubclass(kind.cases, Case) and list(kind.cases)
    for case in kind.cases:
        assert is_chinese(case.label), f"{kind.name}: case {case} needs a Chinese label"


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_kind_plan_implements_every_part(kind):
    for plan in leaves(kind_policy(kind), kind):
        assert isinstance(plan.plan, RulePlan)
        assert not inspect.isabstract(type(plan.plan))
        for part in PARTS:
            assert callable(getattr(plan.plan, part)), f"{kind.name}: plan lacks {part}"


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_kind_has_its_two_yaml_files_and_a_docs_line(kind):
    policy = kind_policy(kind)
    assert leaves(policy, kind), f"tests/policies/kinds/{kind.name}.yaml must have a rule of kind {kind.name}"
    cases = load_case_file(ROOT / "tests" / "cases" / "kinds" / f"{kind.name}.yaml")
    assert (cases.path.parent / cases.file.policy).resolve() == (ROOT / "tests/policies/kinds" / f"{kind.name}.yaml")
    for index in range(len(cases.file.cases)):
        assert run_case(cases, index, policy=policy).passed
    docs = (ROOT / "docs" / "rule-kinds.md").read_text(encoding="utf-8")
    assert f"`{kind.name}`" in docs, f"docs/rule-kinds.md must describe {kind.name}"


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_every_branch_is_one_of_the_kinds_cases(kind):
    policy = kind_policy(kind)
    for plan in leaves(policy, kind):
        for key in plan.probes:
            for branch in policy.by_key[key].branches:
                assert branch.case in (*kind.cases, *Marker), (kind.name, branch.name)
                assert is_chinese(plan.plan.label(branch))


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_the_oracle_names_a_branch_at_every_edge(kind):
    policy = kind_policy(kind)
    for plan in leaves(policy, kind):
        fact = plan.plan.scalar()
        edges = list(plan.plan.edges())
        if fact is None:
            assert all(plan.plan.expected(value) is None for _, value in edges)
            continue
        assert edges, f"{kind.name}: a one-number rule must give its edges for fuzzing"
        names = {b.name for key in plan.probes for b in policy.by_key[key].branches}
        for _, edge in edges:
            for value in (edge - Decimal("0.01"), edge, edge + Decimal("0.01")):
                assert plan.plan.expected(value) in names, (kind.name, value)


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_every_deduction_of_the_cases_can_be_inverted_or_says_why_not(kind):
    policy = kind_policy(kind)
    cases = load_case_file(ROOT / "tests" / "cases" / "kinds" / f"{kind.name}.yaml")
    plans = {n.id: (n.leaf, n.max or Decimal(0)) for n in policy.nodes() if n.leaf is not None}
    seen = 0
    for index in range(len(cases.file.cases)):
        outcome = run_case(cases, index, policy=policy)
        for deduction in outcome.result.deductions() if outcome.result else ():
            plan, weight = plans[deduction.indicator_id]
            found = plan.plan.invert(deduction, weight, Known(_facts(cases, index, policy)))
            assert isinstance(found, Change | Plain)
            seen += 1
    assert seen or kind.adjusts_total, f"{kind.name}: its case file should lose a point somewhere"


def _facts(cases, index, policy):
    doc = cases.doc.sub(("cases", index, "facts"))
    return validate_facts(doc, policy.facts, policy.indicator_ids(), "case", policy.constraints)


@pytest.mark.parametrize("path", sorted(p for p in RULES.glob("*.py")), ids=lambda p: p.stem)
def test_kind_modules_import_no_edge_library(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & EDGES, f"{path.name} imports {imported & EDGES}"


def test_no_stage_dispatches_on_a_kind():
    """Outside engine/rules/, code asks a rule's kind and plan; it never imports a kind module."""
    kinds = {f"engine.rules.{name}" for name in BY_NAME}
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        if RULES in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module in kinds or (
                    node.module == "engine.rules" and any(a.name in BY_NAME for a in node.names))):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Match) and ast.unparse(node.subject).endswith("rule"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_kind_of_is_the_registry():
    policy = load_policy(ROOT / "policies" / "gz-dept-2021.yaml")
    for node in policy.nodes():
        if node.leaf is not None:
            assert kind_of(node.leaf.rule) is node.leaf.kind is BY_NAME[node.leaf.rule.kind]
