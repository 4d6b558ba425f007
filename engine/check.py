"""Whole-policy static checks: Policy → sorted problems (stage: check; pure).

Children's maxima add up to the parent's (unless ``weights_note`` says why not), ids are unique,
every fact a rule reads is declared with a type the rule can use.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from engine import decimals
from engine.errors import ErrorCode, Problem, did_you_mean
from engine.schema import (
    AdjustmentRule,
    BandsRule,
    ChecklistRule,
    Indicator,
    JudgementRule,
    PerCountRule,
    PerPointRule,
    Policy,
    ProportionalRule,
    Rule,
    TargetsRule,
)
from engine.source import Path, SourceDoc, field_path

__all__ = ["check_policy", "indicator_paths", "rule_fact_refs"]

_NUMERIC = ("decimal", "integer")


def indicator_paths(policy: Policy) -> Iterator[tuple[Path, Indicator, tuple[Indicator, ...]]]:
    """Every indicator with its document path and its ancestors, depth first."""

    def walk(nodes: tuple[Indicator, ...], path: Path, ancestors: tuple[Indicator, ...]
             ) -> Iterator[tuple[Path, Indicator, tuple[Indicator, ...]]]:
        for i, node in enumerate(nodes):
            here = (*path, i)
            yield here, node, ancestors
            yield from walk(node.children, (*here, "children"), (*ancestors, node))

    return walk(policy.indicators, ("indicators",), ())


def rule_fact_refs(rule: Rule) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """``(field, fact, allowed types)`` for every fact a rule names directly."""
    if rule.applicable_if:
        yield "applicable_if", rule.applicable_if, ("boolean",)
    match rule:
        case ProportionalRule() | PerPointRule() | BandsRule():
            yield "fact", rule.fact, _NUMERIC
        case PerCountRule():
            yield "fact", rule.fact, ("integer",)
        case AdjustmentRule():
            yield "fact", rule.fact, ("decimal",)
        case TargetsRule():
            yield "fact", rule.fact, ("targets",)
        case ChecklistRule():
            for i, item in enumerate(rule.items):
                yield f"items[{i}].fact", item.fact, ("boolean",)
        case JudgementRule():
            yield "coefficient", rule.coefficient, ("decimal",)
            if rule.tier:
                yield "tier", rule.tier, ("enum",)


def check_policy(policy: Policy, doc: SourceDoc) -> list[Problem]:
    """Run every static check and return the problems found (unsorted)."""
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path, node, _ in indicator_paths(policy):
        problems += _check_ids(node, path, seen, doc)
        problems += _check_weights(node, path, doc)
        if node.rule is not None:
            problems += _check_facts(policy, node.rule, (*path, "rule"), doc)
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
    weighted = [c.max for c in node.children if c.max is not None and not isinstance(c.rule, AdjustmentRule)]
    total = sum(weighted, Decimal(0))
    if total == node.max:
        return []
    parts = " + ".join(decimals.fmt(w) for w in weighted)
    return [_problem(doc, ErrorCode.POLICY_WEIGHTS_SUM, (*path, "max"),
                     f"指标「{node.name}」分值为 {decimals.fmt(node.max)}，下级指标分值合计 {parts} = "
                     f"{decimals.fmt(total)}，不相等（如确有理由，请写 weights_note 说明）")]


def _check_facts(policy: Policy, rule: Rule, path: Path, doc: SourceDoc) -> list[Problem]:
    problems = []
    for field, fact, allowed in rule_fact_refs(rule):
        where = (*path, *_split(field))
        spec = policy.facts.get(fact)
        if spec is None:
            problems.append(_problem(doc, ErrorCode.POLICY_UNKNOWN_FACT, where,
                                     f"规则 {rule.id} 引用了未声明的事实「{fact}」{did_you_mean(fact, policy.facts)}"))
        elif spec.type not in allowed:
            problems.append(_problem(doc, ErrorCode.POLICY_FACT_TYPE, where,
                                     f"规则 {rule.id}（{rule.kind}）要求事实「{fact}」的类型为 "
                                     f"{'/'.join(allowed)}，声明的是 {spec.type}"))
    return problems


def _split(field: str) -> Path:
    parts: list[str | int] = []
    for piece in field.replace("]", "").split("."):
        name, _, index = piece.partition("[")
        parts.append(name)
        if index:
            parts.append(int(index))
    return tuple(parts)
