"""Every rule kind's ``points`` (the score read first) equals the score of its explained ``score``.

``engine.evaluate`` scores each leaf with ``RulePlan.points`` and makes the explanation with
``RulePlan.score`` only when it is read; the two must agree to the digit (value and exponent) on
every fact file, or a result read before its explanation would differ from one read after.
"""

from __future__ import annotations

import decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import engine
from engine.authoring.fuzz import generated_facts
from engine.authoring.strategies import fact_documents
from engine.evaluate import _Run, _unrounded
from engine.program import LeafStep, NodeStep, program
from tests.conftest import ROOT

POLICIES = sorted((ROOT / "policies").glob("*.yaml")) + sorted((ROOT / "tests" / "policies" / "kinds").glob("*.yaml"))
# a project-form template is scored through the project its fact file instantiates: its bundled examples
EXAMPLES = [("gz-dept-2021", "gz-kjj-2021"), ("gz-dept-2021", "gz-kjj-2021-variance-7pct"),
            ("cq-dept-2021", "cq-example-dept-2021"), ("hunan-dept", "hn-yueyang-dept"),
            ("mof-project-2020", "ah-tianchang-shuili-proj-2022"), ("mof-project-2020", "ah-tangxi-cunji-proj-2022"),
            ("mof-project-2020-whole-points", "he-langfang-food-school-proj-2019")]


def _leaves(steps: tuple[NodeStep, ...]) -> list[LeafStep]:
    return [leaf for s in steps for leaf in ([s.leaf] if s.leaf else _leaves(s.children))]


def _agree(policy: engine.CompiledPolicy, facts: engine.Facts) -> list[str]:
    """The leaves whose ``points`` and ``score(...).score`` differ, as ``id: points ≠ score``."""
    out = []
    if policy.instantiate is not None:
        assert facts.policy is not None
        policy = facts.policy
    steps = program(policy)
    with decimal.localcontext(steps.rounding.context):
        run = _Run(policy, facts, engine.NativeBackend(), True, steps)
        for step in _leaves(steps.roots):
            if step.applicable_if is not None and run.is_not_applicable(step):
                continue
            fired = [run.fired.get(key, ()) for key in step.probes]  # as _Run.leaf reads them
            facts_read = _unrounded(facts, step.exact) if step.exact else facts
            points = run.scored(step, step.points, fired, facts_read)
            score = run.scored(step, step.score, fired, facts_read).score
            if points.as_tuple() != score.as_tuple():
                out.append(f"{step.rule_id}: {points!r} ≠ {score!r}")
    return out


@pytest.mark.parametrize("path", [p for p in POLICIES if engine.load_policy(p).instantiate is None],
                         ids=lambda p: p.stem)
def test_points_equal_the_explained_score_on_generated_facts(path: Path) -> None:
    policy = engine.load_policy(path)

    @settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(fact_documents(policy))
    def check(document):
        assert _agree(policy, generated_facts(policy, document)) == []

    check()


@pytest.mark.parametrize(("policy", "facts"), EXAMPLES)
def test_points_equal_the_explained_score_on_the_examples(policy: str, facts: str) -> None:
    compiled = engine.load_policy(ROOT / "policies" / f"{policy}.yaml")
    assert _agree(compiled, engine.read_facts(ROOT / "facts" / f"{facts}.yaml", compiled)) == []
