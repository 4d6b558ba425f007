"""Whole-policy static checks: Policy → sorted problems (stage: check; pure).

Children's maxima add up to the parent's (unless ``weights_note`` says why not), ids are unique,
every fact a rule reads is declared with a type the rule can use (each kind names its facts:
``Kind.fact_refs``). Checks of a rule's own numbers run when compile plans it (``engine.rules``).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from engine import decimals
from engine.errors import ErrorCode, Problem, did_you_mean
from engine.rules import kind_of
from engine.rules.base import FactRef
from engine.schema import FactSpec, Indicator, Policy, Rule
from engine.source import Path, SourceDoc, field_path
from engine.tables import declared_facts

__all__ = ["check_policy", "indicator_paths", "rule_fact_refs"]


def indicator_paths(policy: Policy) -> Iterator[tuple[Path, Indicator, tuple[Indicator, ...]]]:
    """Every indicator with its document path and its ancestors, depth first."""

    def walk(nodes: tuple[Indicator, ...], path: Path, ancestors: tuple[Indicator, ...]
             ) -> Iterator[tuple[Path, Indicator, tuple[Indicator, ...]]]:
        for i, node in enumerate(nodes):
            here = (*path, i)
            yield here, node, ancestors
            yield from walk(node.children, (*here, "children"), (*ancestors, node))

    return walk(policy.indicators, ("indicators",), ())


def rule_fact_refs(rule: Rule) -> Iterator[FactRef]:
    """Every fact a rule names directly (its applicability first), with the types it may have."""
    if rule.applicable_if:
        yield FactRef(("applicable_if",), rule.applicable_if, ("boolean",))
    yield from kind_of(rule).fact_refs(rule)


def check_policy(policy: Policy, doc: SourceDoc) -> list[Problem]:
    """Run every static check and return the problems found (unsorted)."""
    declared, problems = declared_facts(policy, doc)
    specs = {name: spec for name, (spec, _) in declared.items()}
    seen: dict[str, Path] = {}
    for path, node, _ in indicator_paths(policy):
        problems += _check_ids(node, path, seen, doc)
        problems += _check_weights(node, path, doc)
        if node.rule is not None:
            problems += _check_facts(specs, node.rule, (*path, "rule"), doc)
    problems += _check_total(policy, doc)
    return problems


def _problem(doc: SourceDoc, code: ErrorCode, path: Path, message: str) -> Problem:
    return Problem(code, message, doc.locate(path), field_path(path))


def _check_ids(node: Indicator, path: Path, seen: dict[str, Path], doc: SourceDoc) -> list[Problem]:
    problems = []
    ids = [(node.id, (*path, "id"))]
    if node.rule is not None:
        ids.append((node.rule.id, (*path, "rule", "id")))
    for ident, where in ids:
        if ident in seen:
            first = doc.locate(seen[ident])
            problems.append(_problem(doc, ErrorCode.POLICY_DUPLICATE_ID, where,
                                     f"id「{ident}」重复（第一次出现在第 {first.line} 行）"))
        else:
            seen[ident] = where
    return problems


def _check_weights(node: Indicator, path: Path, doc: SourceDoc) -> list[Problem]:
    if not node.children or node.max is None or node.weights_note:
        return []
    weighted = _weighted(node.children)
    total = sum(weighted, Decimal(0))
    if total == node.max:
        return []
    parts = " + ".join(decimals.fmt(w) for w in weighted)
    return [_problem(doc, ErrorCode.POLICY_WEIGHTS_SUM, (*path, "max"),
                     f"指标「{node.name}」分值为 {decimals.fmt(node.max)}，下级指标分值合计 {parts} = "
                     f"{decimals.fmt(total)}，不相等（如确有理由，请写 weights_note 说明）")]


def _weighted(nodes: tuple[Indicator, ...]) -> list[Decimal]:
    return [c.max for c in nodes if c.max is not None and not (c.rule is not None and kind_of(c.rule).adjusts_total)]


def _check_total(policy: Policy, doc: SourceDoc) -> list[Problem]:
    """The top-level indicators add up to ``total.max`` (加减分 aside), unless ``total.weights_note`` says why."""
    if policy.total.weights_note or policy.project_form is not None:
        return []  # a project-form template's rows arrive with each project, whose own policy is checked
    weighted = _weighted(policy.indicators)
    total = sum(weighted, Decimal(0))
    if total == policy.total.max:
        return []
    parts = " + ".join(decimals.fmt(w) for w in weighted)
    return [_problem(doc, ErrorCode.POLICY_TOTAL, ("total", "max"),
                     f"总分满分 total.max 为 {decimals.fmt(policy.total.max)}，一级指标分值合计 {parts} = "
                     f"{decimals.fmt(total)}，不相等"
                     "（如确有理由，如原表只公开了一部分，请写 total.weights_note 说明）")]


def _check_facts(specs: dict[str, FactSpec], rule: Rule, path: Path, doc: SourceDoc) -> list[Problem]:
    problems = []
    for ref in rule_fact_refs(rule):
        where, fact, allowed = (*path, *ref.path), ref.fact, ref.types
        spec = specs.get(fact)
        if spec is None:
            problems.append(_problem(doc, ErrorCode.POLICY_UNKNOWN_FACT, where,
                                     f"规则 {rule.id} 引用了未声明的事实「{fact}」{did_you_mean(fact, specs)}"))
        elif spec.type not in allowed:
            problems.append(_problem(doc, ErrorCode.POLICY_FACT_TYPE, where,
                                     f"规则 {rule.id}（{rule.kind}）要求事实「{fact}」的类型为 "
                                     f"{'/'.join(allowed)}，声明的是 {spec.type}"))
    return problems
