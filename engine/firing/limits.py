"""durable_rules' hard limits, checked before the engine ever sees a policy (stage: compile; pure).

durable_rules builds one alpha tree per ruleset: each rule's ``$and`` tests form a path, equal
prefixes are shared. Matching a message walks the tree depth first with a fixed stack of 64 nodes
(``events.c`` ``MAX_STACK_SIZE``): a message for which more than 64 nodes below one probe hold at
once fails with error 303. A node keeps its children in a 512-slot open hash set (``rules.h``
``NEXT_BUCKET_LENGTH``): a full set makes every lookup loop forever. A message has at most 255
properties (``MAX_OBJECT_PROPERTIES``, error 302). jixiao's compiled conditions start with the
probe key, so only the branches of one probe are walked for its message; this module bounds that
walk for every possible value and rejects a probe that could exceed a limit (``firing.limit``).
See FINDINGS.md F9–F12.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

from engine.firing.conditions import AnyOf, Probe, Test

__all__ = ["MAX_FIELDS", "MAX_TRUE_AT_ONCE", "RULESET_LIMIT", "limit_problem", "message_fields", "true_at_once"]

MAX_TRUE_AT_ONCE = 64  # alpha nodes that may hold at once below one probe (65 → error 303)
RULESET_LIMIT = 200  # durable rules per ruleset; the hang starts at 512 children of one node
MAX_FIELDS = 250  # message properties (255 → error 302), minus jixiao's reserved sid/probe/seq
_MAX_POINTS = 20_000  # value combinations tried before falling back to "every node may hold"
_Value: TypeAlias = "int | bool | str | Decimal | _Other | None"  # a message field's value worth trying
_Point: TypeAlias = "dict[str, _Value]"  # one simulated message


@dataclass
class _Node:
    """One alpha node of the simulated tree: the test and the nodes below it."""

    test: Test | None
    children: dict[Test, _Node] = field(default_factory=dict)

    def size(self) -> int:
        return sum(1 + c.size() for c in self.children.values())

    def peak(self, point: _Point) -> int:
        """The deepest the engine's stack gets below this node for the message ``point``.

        The engine pops a node and pushes every child that holds; in the worst order the child
        with the deepest walk is taken first while its siblings wait on the stack.
        """
        below = [c.peak(point) for t, c in self.children.items() if _holds(t, point)]
        return max(len(below), len(below) - 1 + max(below)) if below else 0


def _holds(test: Test, point: _Point) -> bool:
    if test.other is not None:
        return True  # durable_rules pushes a field-to-field test unevaluated: count it as holding
    left, right = point.get(test.field), test.value
    if test.op == "==":
        return left == right and type(left) is type(right)
    if test.op == "!=":
        return left != right or type(left) is not type(right)
    if not isinstance(left, int) or isinstance(left, bool) or not isinstance(right, int):
        return False
    return {">=": left >= right, ">": left > right, "<": left < right, "<=": left <= right}[test.op]


def _tree(probe: Probe) -> _Node:
    root = _Node(None)
    for branch in probe.branches:
        options = [part.tests if isinstance(part, AnyOf) else (part,) for part in branch.cond]
        for path in itertools.product(*options):  # a disjunction becomes one path per alternative
            node = root
            for test in path:
                node = node.children.setdefault(test, _Node(test))
    return root


def message_fields(probe: Probe) -> set[str]:
    """The fields a message of this probe carries (besides the reserved ``sid``, ``probe``, ``seq``)."""
    return {name for b in probe.branches for part in b.cond
            for t in (part.tests if isinstance(part, AnyOf) else (part,))
            for name in (t.field, t.other) if name is not None}


def true_at_once(probe: Probe) -> int:
    """The deepest durable_rules' matching stack gets for any one message of this probe.

    Exact over the values that matter (every threshold, both sides of it, every constant and one
    other value); the number of nodes, an upper bound, when there are too many combinations.

    >>> from engine.firing.conditions import Branch
    >>> bands = [Branch(f"band:{i}", (Test("x_lo", ">=", i), Test("x_lo", "<", i + 1))) for i in range(70)]
    >>> true_at_once(Probe("k", "r", (), tuple(bands)))
    70
    >>> true_at_once(Probe("k", "r", (), tuple(bands[:64])))
    64
    """
    root = _tree(probe)
    total = root.size()
    if total <= MAX_TRUE_AT_ONCE:
        return total
    axes = _axes(probe)
    if not axes or _count(axes) > _MAX_POINTS:
        return total
    return max(root.peak(point) for point in _points(axes))


def _axes(probe: Probe) -> list[list[_Point]]:
    """For each field (a ``_lo``/``_hi`` pair counts as one), the values worth trying."""
    numeric: dict[str, set[int]] = {}
    discrete: dict[str, set[_Value]] = {}
    for branch in probe.branches:
        for part in branch.cond:
            for t in part.tests if isinstance(part, AnyOf) else (part,):
                if t.other is not None:
                    continue
                if isinstance(t.value, int) and not isinstance(t.value, bool) and t.field[-3:] in ("_lo", "_hi"):
                    numeric.setdefault(t.field[:-3], set()).add(t.value)
                else:
                    discrete.setdefault(t.field, set()).add(t.value)
    axes: list[list[_Point]] = [[{f"{base}_lo": lo, f"{base}_hi": hi} for lo, hi in _pairs(values)]
                                for base, values in numeric.items()]
    axes += [[{name: v} for v in values] + [{name: _Other()}] for name, values in discrete.items()]
    return axes


class _Other:
    """A value equal to no constant of the policy."""


def _pairs(thresholds: set[int]) -> Iterator[tuple[int, int]]:
    """(floor, ceil) pairs on, just beside and between every threshold."""
    for t in sorted(thresholds):
        yield from ((t, t), (t - 1, t), (t, t + 1), (t - 1, t - 1), (t + 1, t + 1))


def _count(axes: Sequence[Sequence[object]]) -> int:
    out = 1
    for axis in axes:
        out *= len(axis)
    return out


def _points(axes: Sequence[Sequence[_Point]]) -> Iterator[_Point]:
    for combo in itertools.product(*axes):
        point: _Point = {}
        for part in combo:
            point.update(part)
        yield point


def limit_problem(probe: Probe) -> str | None:
    """Why this probe cannot be given to durable_rules safely (Chinese), or ``None``."""
    if len(probe.branches) > RULESET_LIMIT:
        return (f"规则 {probe.rule_id} 编译出 {len(probe.branches)} 个分支，超过规则引擎单个规则集的安全上限 "
                f"{RULESET_LIMIT}（512 条时 durable_rules 会卡死，见 FINDINGS.md）")
    fields = len(message_fields(probe))
    if fields > MAX_FIELDS:
        return (f"规则 {probe.rule_id} 的一条消息需要 {fields} 个字段，超过规则引擎的上限 {MAX_FIELDS}"
                "（255 个属性时 durable_rules 报错 302，见 FINDINGS.md）")
    worst = true_at_once(probe)
    if worst > MAX_TRUE_AT_ONCE:
        return (f"规则 {probe.rule_id} 的条件对同一个取值最多可能有 {worst} 个同时成立，超过规则引擎的上限 "
                f"{MAX_TRUE_AT_ONCE}（durable_rules 报错 303，见 FINDINGS.md）；请减少档次或情形")
    return None
