"""Names a policy must not repeat or blur, and its size (stage: validate; pure).

Indicator and rule ids are checked with the rest of the policy (``engine.check``), names inside one
rule (checklist item ids, judgement tier names) by the rule's kind (``engine.rules``); these are the
names inside one list that nothing else looked at: grade names, enum values, and fact names that
differ only in full-width / half-width or other compatibility forms (``Ａ类资金`` beside ``A类资金``):
every lookup in jixiao compares names exactly, so two such facts are two facts, and an author reading
them would not see which is which.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator

from engine import input_limits
from engine.errors import ErrorCode, JixiaoError, Problem
from engine.json_values import DocMapping, DocValue
from engine.schema import Policy
from engine.source import Path, SourceDoc, field_path, value_at

__all__ = ["check_names", "check_policy_size", "look_alike"]


def check_policy_size(doc: SourceDoc) -> None:
    """Refuse, before validation, a policy with more indicators or facts than the limits allow.

    Raises:
        JixiaoError: ``limit.indicators`` at the indicator past the limit, ``limit.facts`` at ``facts``.
    """
    value: DocMapping = doc.value if isinstance(doc.value, dict) else {}
    facts = value.get("facts")
    if isinstance(facts, dict) and len(facts) > input_limits.FACTS:
        raise JixiaoError(ErrorCode.LIMIT_FACTS, f"指标体系声明了 {len(facts)} 项事实，超过上限 {input_limits.FACTS}",
                          doc.locate(("facts",), key=True), "facts")
    lists: list[tuple[Path, DocValue]] = [(("constraints",), value.get("constraints"))]
    grading = value.get("grading")
    if isinstance(grading, dict):
        lists.append((("grading", "grades"), grading.get("grades")))
    for name, spec in facts.items() if isinstance(facts, dict) else ():
        if isinstance(spec, dict):
            lists.append((("facts", name, "values"), spec.get("values")))
    for count, path in enumerate(_indicator_paths(value.get("indicators"), ("indicators",)), start=1):
        if count > input_limits.INDICATORS:
            message = f"指标体系中的指标超过 {input_limits.INDICATORS} 个（各级合计）"
            raise JixiaoError(ErrorCode.LIMIT_INDICATORS, message, doc.locate(path), field_path(path))
        node = value_at(value, path)
        rule = node.get("rule") if isinstance(node, dict) else None
        if isinstance(rule, dict):
            lists.extend(((*path, "rule", key), rule.get(key)) for key in _RULE_LISTS)
    for path, items in lists:
        if isinstance(items, list) and len(items) > input_limits.LIST_ITEMS:
            where = (*path, input_limits.LIST_ITEMS)
            message = f"「{field_path(path)}」有 {len(items)} 项，超过上限 {input_limits.LIST_ITEMS}"
            raise JixiaoError(ErrorCode.LIMIT_LIST_ITEMS, message, doc.locate(where), field_path(path))


_RULE_LISTS = ("bands", "cases", "items", "tiers")


def _indicator_paths(nodes: DocValue, path: Path) -> Iterator[Path]:
    """Every indicator's path in document order (pre-order), without recursion."""
    stack = [iter(_items(nodes, path))]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
            continue
        here, item = step
        yield here
        if isinstance(item, dict):
            stack.append(iter(_items(item.get("children"), (*here, "children"))))


def _items(nodes: DocValue, path: Path) -> list[tuple[Path, DocValue]]:
    return [((*path, i), item) for i, item in enumerate(nodes)] if isinstance(nodes, list) else []


def check_names(policy: Policy, doc: SourceDoc) -> list[Problem]:
    """Every repeated or look-alike name inside one list of the policy, located at its second use."""
    problems = list(_look_alike_facts(policy, doc))
    grades = policy.grading.grades
    problems += _repeats(doc, ((("grading", "grades", i, "grade"), g.grade) for i, g in enumerate(grades)),
                         ErrorCode.POLICY_DUPLICATE_NAME, "等级")
    for name, spec in policy.facts.items():
        problems += _repeats(doc, ((("facts", name, "values", i), v) for i, v in enumerate(spec.values)),
                             ErrorCode.POLICY_DUPLICATE_NAME, f"事实「{name}」的可选值")
    return problems  # names inside one rule (checklist item ids, tier names): its kind checks them (engine.rules)


def _repeats(doc: SourceDoc, named: Iterable[tuple[Path, str]], code: ErrorCode, what: str) -> list[Problem]:
    seen: dict[str, Path] = {}
    problems = []
    for path, name in named:
        if name in seen:
            first = doc.locate(seen[name])
            problems.append(Problem(code, f"{what}「{name}」重复（第一次出现在第 {first.line} 行）",
                                    doc.locate(path), field_path(path)))
        else:
            seen[name] = path
    return problems


def look_alike(name: str) -> str:
    """The form two names share when they differ only in compatibility forms (NFKC).

    >>> look_alike("Ａ类资金") == look_alike("A类资金"), look_alike("预算完成率")
    (True, '预算完成率')
    """
    return unicodedata.normalize("NFKC", name)


def _look_alike_facts(policy: Policy, doc: SourceDoc) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for name in policy.facts:
        key = look_alike(name)
        if key in seen and seen[key] != name:
            path: Path = ("facts", name)
            yield Problem(ErrorCode.POLICY_DUPLICATE_NAME,
                          f"事实名「{name}」与「{seen[key]}」只差全角/半角等写法，容易混淆：请改用明显不同的名称",
                          doc.locate(path, key=True), field_path(path))
        seen.setdefault(key, name)
