"""``detail="scores"`` computes the same numbers as the full trace, without the explanation."""

from __future__ import annotations

import pytest

import engine
from tests.variants import variant


@pytest.mark.parametrize("i", range(12))
@pytest.mark.parametrize("backend", [engine.DurableBackend, engine.NativeBackend])
def test_scores_only_gives_the_same_scores_without_deductions(gz_policy, i, backend):
    facts = engine.facts_from_text(variant(i), f"v{i}.yaml", gz_policy)
    full = engine.evaluate(gz_policy, facts, backend=backend())
    scores = engine.evaluate(gz_policy, facts, backend=backend(), detail="scores")
    assert full.deductions() and not scores.deductions()
    assert (scores.total, scores.grade, scores.max) == (full.total, full.grade, full.max)
    assert [(n.id, n.max, n.score, n.status) for n in scores.nodes()] == \
        [(n.id, n.max, n.score, n.status) for n in full.nodes()]


def test_unknown_detail_is_refused(gz_policy, gz_facts):
    with pytest.raises(ValueError, match="detail"):
        engine.evaluate(gz_policy, gz_facts, detail="debug")  # type: ignore[arg-type]
