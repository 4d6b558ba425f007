"""A scored leaf is rounded as the policy declares, however many digits its exact score has."""

from __future__ import annotations

import decimal
from dataclasses import replace
from decimal import Decimal

import engine
from engine import decimals
from engine.evaluate import _Run
from engine.program import LeafStep, NodeStep, program


def _first_leaf(steps: tuple[NodeStep, ...]) -> LeafStep:
    return next(s.leaf if s.leaf is not None else _first_leaf(s.children) for s in steps)


def test_a_leaf_score_longer_than_the_context_is_rounded_exactly(gz_policy, gz_facts):
    steps = program(gz_policy)
    with decimal.localcontext(steps.rounding.context):
        huge = Decimal("1e40") / 3  # 34 significant digits: rounded to 3 places it needs 43
        step = replace(_first_leaf(steps.roots), points=lambda weight, fired, facts: huge)
        scored = _Run(gz_policy, gz_facts, engine.NativeBackend(), False, steps).leaf(step, "大数")
        small = replace(step, points=lambda weight, fired, facts: Decimal("4.9325"))
        usual = _Run(gz_policy, gz_facts, engine.NativeBackend(), False, steps).leaf(small, "常数")
    want = decimals.quantize(huge, steps.rounding.places, steps.rounding.mode)
    assert scored.score == want and scored.score.as_tuple() == want.as_tuple()
    assert str(scored.score) == "3333333333333333333333333333333333000000.000"
    assert str(usual.score) == "4.933"  # half up to 3 places, as the Guangzhou policy declares
