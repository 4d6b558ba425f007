"""Invert a rule: the smallest change of one fact that gives a deduction back (stage: explain; pure).

Each rule kind inverts its own deductions (``RulePlan.invert`` in ``engine.rules``): exact with
``Decimal`` where the rule can be inverted, a plain statement of what would have to change where it
cannot (a judgement). A rounding residue is no fact's doing: it goes when the other deductions are
recovered. ``engine.views.recover`` verifies every change by evaluating again.
"""

from __future__ import annotations

from decimal import Decimal

from engine.compile import LeafPlan
from engine.facts import Facts
from engine.rules.inversion import Change, Known, Plain
from engine.trace import Deduction

__all__ = ["invert"]


def invert(plan: LeafPlan, weight: Decimal, deduction: Deduction, facts: Facts,
           integers: frozenset[str] = frozenset()) -> Change | Plain:
    """The smallest change of one fact that recovers ``deduction``, or a plain statement.

    ``integers`` names the facts declared as integers (a value past a strict bound is then ±1).
    """
    if deduction.residue:
        return Plain("各项扣分按规定位数舍入后的差额：其余扣分挽回后随之消失")
    return plan.plan.invert(deduction, weight, Known(facts, integers))
