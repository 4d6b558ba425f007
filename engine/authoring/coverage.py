"""Which rule branches a set of cases exercised (stage: test; like Drools' test-scenario coverage).

The universe is every branch of every probe of a compiled policy, except the ``gap`` branches that
the static checks prove unreachable and the comparison's always-true ``seen`` marker. Each rule
kind labels its own branches in Chinese (``RulePlan.label``).

A project-form template (``engine.project_form``) also counts the branches of its row rules, by row
type: each project brings its own rows (so their ids differ), but every quantitative row is a
``targets`` rule (达标 or 未完成, higher or lower is better) and every qualitative row a ``judgement``
(the evaluator's points as stated, or within or outside each tier). A branch counts as hit when any
project's row reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.compile import CompiledPolicy, LeafPlan
from engine.project_form import ProjectForm
from engine.rules import BY_NAME

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


QUANTITATIVE, QUALITATIVE = "定量指标行", "定性指标行"  # the row types' keys in a template's universe
# the kinds engine.project_form makes the rows into, asked through the registry
MET = {str(case): case.label for case in BY_NAME["targets"].cases}
STATED, TIER, REJECT = (str(case) for case in BY_NAME["judgement"].cases)


def universe(policy: CompiledPolicy) -> list[tuple[str, str]]:
    """Every ``(probe key, branch)`` that a case can reach (a template's row types included)."""
    own = [(p.key, b.name) for p in policy.probes for b in p.branches if not b.is_gap() and not b.is_marker()]
    return list(dict.fromkeys([*own, *_row_universe(policy)]))


def measure(policy: CompiledPolicy, fired: Iterable[tuple[str, frozenset[str]]]) -> Coverage:
    """Coverage of ``policy`` by the recorded firings (a template's rows by their type)."""
    rows = dict(_row_universe(policy))
    hit = {_row_type(policy, key, name, rows) for key, names in fired for name in names}
    everything = universe(policy)
    plans = _plans(policy)
    missed = tuple(_label(policy, plans, key, name) for key, name in everything if (key, name) not in hit)
    return Coverage(policy.meta.id, len(everything), missed)


def _form(policy: CompiledPolicy) -> ProjectForm | None:
    form = getattr(policy.instantiate, "form", None)
    return form if isinstance(form, ProjectForm) else None


def _row_universe(policy: CompiledPolicy) -> list[tuple[str, str]]:
    """A template's row branches, by row type; empty for an ordinary policy."""
    form = _form(policy)
    if form is None:
        return []
    quantitative = [(QUANTITATIVE, name) for name in MET]
    tiers = range(len(form.qualitative.tiers))
    qualitative = [(QUALITATIVE, STATED), *((QUALITATIVE, f"{TIER}:{i}") for i in tiers),
                   *((QUALITATIVE, f"{REJECT}:{i}") for i in tiers)]
    return [*quantitative, *qualitative]


def _row_type(policy: CompiledPolicy, key: str, name: str, rows: dict[str, str]) -> tuple[str, str]:
    """A fired branch of a project's row rule as its row type's branch; any other branch as it is."""
    if key in policy.by_key or not rows:
        return key, name
    return (QUANTITATIVE if name in MET else QUALITATIVE), name


def branch_label(policy: CompiledPolicy, key: str, branch: str) -> str:
    """A Chinese label for a branch, e.g. ``A4.2.r1 档次 [80, 90)``.

    >>> from engine.loader import load_policy
    >>> branch_label(load_policy("policies/gz-dept-2021.yaml"), "A4.2.r1", "band:1")
    'A4.2.r1 档次 [80, 90)'
    """
    return _label(policy, _plans(policy), key, branch)


def _label(policy: CompiledPolicy, plans: dict[str, LeafPlan], key: str, branch: str) -> str:
    if key in (QUANTITATIVE, QUALITATIVE):
        return f"{key} {_row_label(policy, branch)}"
    found = policy.branch_of[key][branch]
    plan = plans.get(policy.by_key[key].rule_id)
    return f"{key} {plan.plan.label(found) if plan is not None else found.label()}"


def _row_label(policy: CompiledPolicy, branch: str) -> str:
    """``达标（越低越好）``, ``评价人给出的得分``, ``等次「部分达成并具有一定效果」`` or ``等次「…」之外的得分``."""
    name, _, index = branch.partition(":")
    form = _form(policy)
    if not index or form is None:
        return (MET | {STATED: "评价人给出的得分（不报等次）"}).get(name, name)
    tier = form.qualitative.tiers[int(index)].name
    return f"等次「{tier}」" if name == TIER else f"等次「{tier}」之外的得分"


def _plans(policy: CompiledPolicy) -> dict[str, LeafPlan]:
    return {n.leaf.rule.id: n.leaf for n in policy.nodes() if n.leaf is not None}
