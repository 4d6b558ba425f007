"""What changed between two policy versions, and what it does to a score (stage: explain; pure).

:func:`diff` compares two compiled policies by stable ids: indicators added, removed, moved (another
parent) or renamed; weights; each rule's id and kind, parameters, wording and provenance; fact
declarations; identity and settings. :func:`diff_scores` evaluates one fact file under both and, for
every indicator whose score changed, names the change that caused it: the indicator's own rule or
weight, a changed fact declaration it reads, or the changed indicators below it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from engine.compile import CompiledIndicator, CompiledPolicy
from engine.errors import SourceLocation
from engine.evaluate import evaluate, facts_read
from engine.facts import Facts
from engine.firing.backends import Backend
from engine.json_values import JsonObject
from engine.schema import Rule
from engine.views.explain import Comparison, NodeChange, compare

__all__ = ["Cause", "ChangeKind", "PolicyChange", "PolicyDiff", "ScoreDiff", "diff", "diff_scores"]

_META = ("id", "kind", "wording", "provenance", "note", "source")
_SCORING = ("added", "removed", "moved", "weight", "rule", "parameter")


class ChangeKind(StrEnum):
    """What kind of change; the indicator-level kinds are in :data:`_SCORING` when they can move a score."""

    POLICY = "policy"
    SETTING = "setting"
    FACT = "fact"
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    RENAMED = "renamed"
    WEIGHT = "weight"
    RULE = "rule"
    PARAMETER = "parameter"
    WORDING = "wording"
    PROVENANCE = "provenance"


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One difference; ``subject`` is an indicator id, a fact name or a settings section."""

    kind: ChangeKind
    subject: str
    field: str
    before: str | None
    after: str | None
    location: SourceLocation | None = None


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """The structural differences from policy ``a`` to policy ``b``."""

    a: CompiledPolicy
    b: CompiledPolicy
    changes: tuple[PolicyChange, ...]

    def of(self, subject: str, *kinds: ChangeKind) -> tuple[PolicyChange, ...]:
        """The changes of one indicator (or fact, or section), optionally of some kinds only."""
        return tuple(c for c in self.changes if c.subject == subject and (not kinds or c.kind in kinds))


def diff(a: CompiledPolicy, b: CompiledPolicy) -> PolicyDiff:
    """Structural differences between two policies, by stable ids, in tree order of ``b`` (then removed)."""
    changes = [*_flat_changes(ChangeKind.POLICY, "policy", a.meta.model_dump(mode="json"),
                              b.meta.model_dump(mode="json"))]
    for section, old, new in (("rounding", a.display, b.display), ("total", a.total, b.total),
                              ("grading", a.grading, b.grading)):
        changes += _flat_changes(ChangeKind.SETTING, section, old.model_dump(mode="json"), new.model_dump(mode="json"))
    changes += _fact_changes(a, b)
    changes += _indicator_changes(a, b)
    return PolicyDiff(a, b, tuple(changes))


def _flat_changes(kind: ChangeKind, subject: str, old: object, new: object, location: SourceLocation | None = None
                  ) -> Iterator[PolicyChange]:
    before, after = dict(_flatten(old)), dict(_flatten(new))
    for key in dict.fromkeys([*before, *after]):
        if before.get(key) != after.get(key):
            yield PolicyChange(kind, subject, key, before.get(key), after.get(key), location)


def _flatten(value: object, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Dotted keys and compact values.

    >>> dict(_flatten({"a": {"b": "1"}, "c": [{"when": "≤ 5", "points": "6"}], "d": None}))
    {'a.b': '1', 'c[0]': '≤ 5 → 6', 'd': '—'}
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
        for i, item in enumerate(value):
            yield f"{prefix}[{i}]", _item(item)
    else:
        yield prefix, _scalar(value)


def _item(item: Mapping[str, object]) -> str:
    if "when" in item and "points" in item:
        return f"{item['when']} → {item['points']}" + (f"（{item['label']}）" if item.get("label") else "")
    if {"id", "fact", "points"} <= set(item):
        return f"{item['id']}：{item['fact']} {item['points']} 分"
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def _scalar(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _fact_changes(a: CompiledPolicy, b: CompiledPolicy) -> Iterator[PolicyChange]:
    old, new = {d.name: d for d in a.facts}, {d.name: d for d in b.facts}
    for name, decl in new.items():
        if name not in old:
            yield PolicyChange(ChangeKind.FACT, name, "", None, decl.spec.type, decl.location)
        else:
            yield from _flat_changes(ChangeKind.FACT, name, old[name].spec.model_dump(mode="json"),
                                     decl.spec.model_dump(mode="json"), decl.location)
    for name, decl in old.items():
        if name not in new:
            yield PolicyChange(ChangeKind.FACT, name, "", decl.spec.type, None, decl.location)


def _indicator_changes(a: CompiledPolicy, b: CompiledPolicy) -> Iterator[PolicyChange]:
    old, new = _index(a), _index(b)
    for ident, (node, parent) in new.items():
        if ident not in old:
            yield PolicyChange(ChangeKind.ADDED, ident, "", None, node.name, node.location)
            continue
        was, was_parent = old[ident]
        if was_parent != parent:
            yield PolicyChange(ChangeKind.MOVED, ident, "parent", was_parent or "—", parent or "—", node.location)
        if was.name != node.name:
            yield PolicyChange(ChangeKind.RENAMED, ident, "name", was.name, node.name, node.location)
        if was.max != node.max:
            yield PolicyChange(ChangeKind.WEIGHT, ident, "max", _scalar(was.max), _scalar(node.max), node.location)
        yield from _rule_changes(ident, was, node)
    for ident, (node, _) in old.items():
        if ident not in new:
            yield PolicyChange(ChangeKind.REMOVED, ident, "", node.name, None, node.location)


def _index(policy: CompiledPolicy) -> dict[str, tuple[CompiledIndicator, str | None]]:
    out: dict[str, tuple[CompiledIndicator, str | None]] = {}

    def walk(node: CompiledIndicator, parent: str | None) -> None:
        out[node.id] = (node, parent)
        for child in node.children:
            walk(child, node.id)

    for root in policy.indicators:
        walk(root, None)
    return out


def _rule_changes(ident: str, was: CompiledIndicator, node: CompiledIndicator) -> Iterator[PolicyChange]:
    old = was.leaf.rule if was.leaf else None
    new = node.leaf.rule if node.leaf else None
    where = node.leaf.location if node.leaf else node.location
    if old is None or new is None:
        if old is not new:
            yield PolicyChange(ChangeKind.RULE, ident, "rule", rule_summary(old), rule_summary(new), where)
        return
    if (old.id, old.kind) != (new.id, new.kind):
        yield PolicyChange(ChangeKind.RULE, ident, "rule", rule_summary(old), rule_summary(new), where)
    else:
        yield from _flat_changes(ChangeKind.PARAMETER, ident, _parameters(old), _parameters(new), where)
    if old.wording != new.wording:
        yield PolicyChange(ChangeKind.WORDING, ident, "wording", old.wording, new.wording, where)
    for field in ("provenance", "note", "source"):
        if getattr(old, field) != getattr(new, field):
            yield PolicyChange(ChangeKind.PROVENANCE, ident, field, getattr(old, field), getattr(new, field), where)


def _parameters(rule: Rule) -> JsonObject:
    return {k: v for k, v in rule.model_dump(mode="json").items() if k not in _META}


def rule_summary(rule: Rule | None) -> str:
    """A rule's id, kind and parameters on one line (``—`` for no rule)."""
    if rule is None:
        return "—"
    shown = {k: v for k, v in _parameters(rule).items() if v is not None}
    if rule.applicable_if is None:
        shown.pop("not_applicable", None)
    params = "；".join(f"{k} {v}" for k, v in _flatten(shown))
    return f"{rule.id}（{rule.kind}）：{params}"


# -- scores ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cause:
    """An indicator whose score changed, and why: its own changes, the facts it reads, its children."""

    node: NodeChange
    changes: tuple[PolicyChange, ...]
    children: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScoreDiff:
    """Two policy versions on one fact file; ``unchanged``: indicators whose rule changed but not their score."""

    structure: PolicyDiff
    comparison: Comparison
    causes: tuple[Cause, ...]
    unchanged: tuple[str, ...]


def diff_scores(a: CompiledPolicy, b: CompiledPolicy, facts_a: Facts, facts_b: Facts, *,
                backend: Backend | None = None) -> ScoreDiff:
    """Evaluate the same fact file (validated against each policy) under both, and explain each delta."""
    structure = diff(a, b)
    comparison = compare(evaluate(a, facts_a, backend=backend), evaluate(b, facts_b, backend=backend))
    changed = {n.id for n in comparison.changed()}
    index = {**_index(a), **_index(b)}
    causes = []
    for node in comparison.changed():
        compiled = index[node.id][0]
        children = tuple(c.id for c in compiled.children if c.id in changed)
        own = structure.of(node.id, *(ChangeKind(k) for k in _SCORING))
        read = facts_read(b if node.after is not None else a, compiled)
        facts = tuple(c for c in structure.changes if c.kind == ChangeKind.FACT and c.subject in read)
        settings = () if own or facts or children else tuple(
            c for c in structure.changes if c.kind == ChangeKind.SETTING)
        causes.append(Cause(node, (*own, *facts, *settings), children))
    kept = dict.fromkeys(c.subject for c in structure.changes if c.kind in _SCORING and c.subject not in changed)
    return ScoreDiff(structure, comparison, tuple(causes), tuple(kept))
