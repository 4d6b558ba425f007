"""Which rule branches a set of cases exercised (stage: test; like Drools' test-scenario coverage).

The universe is every branch of every probe of a compiled policy, except the ``gap`` branches that
the static checks prove unreachable and the comparison's always-true ``seen`` marker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.compile import CompiledPolicy
from engine.schema import BandsRule, TargetsRule

__all__ = ["Coverage", "branch_label", "measure"]


@dataclass(frozen=True, slots=True)
class Coverage:
    """Hit and missed branches of one policy."""

    policy: str
    total: int
    missed: tuple[str, ...]

    @property
    def percent(self) -> float:
        """Share of branches hit, in percent (a figure to print, not to compute with)."""
        return 100.0 if not self.total else 100.0 * (self.total - len(self.missed)) / self.total


def universe(policy: CompiledPolicy) -> list[tuple[str, str]]:
    """Every ``(probe key, branch)`` that a case can reach."""
    return list(dict.fromkeys((p.key, b.name) for p in policy.probes for b in p.branches
                              if not b.name.startswith("gap:") and b.name != "seen"))


def measure(policy: CompiledPolicy, fired: Iterable[tuple[str, frozenset[str]]]) -> Coverage:
    """Coverage of ``policy`` by the recorded firings."""
    hit = {(key, name) for key, names in fired for name in names}
    everything = universe(policy)
    missed = tuple(branch_label(policy, key, name) for key, name in everything if (key, name) not in hit)
    return Coverage(policy.meta.id, len(everything), missed)


_NAMES = {"full": "满分", "partial": "按比例计分", "within": "未超阈值", "over": "超出阈值扣分",
          "zeroed": "扣完为止", "met": "达标", "unmet": "未达标", "short": "未完成（越高越好）",
          "met_lower": "达标（越低越好）", "na": "不适用", "above_cap": "超过加分上限",
          "below_floor": "超过减分上限", "stated": "评定系数"}
_INDEXED = {"case": "情形", "tier": "等次", "reject": "等次外的系数", "grade": "等级"}


def branch_label(policy: CompiledPolicy, key: str, branch: str) -> str:
    """A Chinese label for a branch, e.g. ``A4.2.r1 档次 [80, 90)``.

    >>> from engine.loader import load_policy
    >>> branch_label(load_policy("policies/gz-dept-2021.yaml"), "A4.2.r1", "band:1")
    'A4.2.r1 档次 [80, 90)'
    """
    head, _, index = branch.partition(":")
    rule_id = policy.by_key[key].rule_id
    rule = next((n.leaf.rule for n in policy.nodes() if n.leaf and n.leaf.rule.id == rule_id), None)
    if isinstance(rule, TargetsRule) and branch == "over":
        return f"{key} 未完成（越低越好）"
    if isinstance(rule, BandsRule) and head == "band":
        return f"{key} 档次 {rule.bands[int(index)].when}"
    if head in _INDEXED:
        return f"{key} {_INDEXED[head]} {int(index) + 1}"
    return f"{key} {_NAMES.get(branch, branch)}"
