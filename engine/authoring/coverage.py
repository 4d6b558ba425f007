"""Which rule branches a set of cases exercised (stage: test; like Drools' test-scenario coverage).

The universe is every branch of every probe of a compiled policy, except the ``gap`` branches that
the static checks prove unreachable and the comparison's always-true ``seen`` marker. Each rule
kind labels its own branches in Chinese (``RulePlan.label``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.compile import CompiledPolicy, LeafPlan

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
                              if not b.is_gap() and not b.is_marker()))


def measure(policy: CompiledPolicy, fired: Iterable[tuple[str, frozenset[str]]]) -> Coverage:
    """Coverage of ``policy`` by the recorded firings."""
    hit = {(key, name) for key, names in fired for name in names}
    everything = universe(policy)
    plans = _plans(policy)
    missed = tuple(_label(policy, plans, key, name) for key, name in everything if (key, name) not in hit)
    return Coverage(policy.meta.id, len(everything), missed)


def branch_label(policy: CompiledPolicy, key: str, branch: str) -> str:
    """A Chinese label for a branch, e.g. ``A4.2.r1 档次 [80, 90)``.

    >>> from engine.loader import load_policy
    >>> branch_label(load_policy("policies/gz-dept-2021.yaml"), "A4.2.r1", "band:1")
    'A4.2.r1 档次 [80, 90)'
    """
    return _label(policy, _plans(policy), key, branch)


def _label(policy: CompiledPolicy, plans: dict[str, LeafPlan], key: str, branch: str) -> str:
    found = policy.branch_of[key][branch]
    plan = plans.get(policy.by_key[key].rule_id)
    return f"{key} {plan.plan.label(found) if plan is not None else found.label()}"


def _plans(policy: CompiledPolicy) -> dict[str, LeafPlan]:
    return {n.leaf.rule.id: n.leaf for n in policy.nodes() if n.leaf is not None}
