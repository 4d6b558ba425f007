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


def test_an_explanation_is_made_when_first_read_and_equals_one_read_at_once(gz_policy, gz_facts):
    import decimal
    import pickle

    from engine.render.json import dump_result, load_result

    read_now = engine.evaluate(gz_policy, gz_facts)
    read_now.deductions()
    later = engine.evaluate(gz_policy, gz_facts)
    leaf = later.node("A1.1")
    assert leaf._explain is not None  # scored, not yet explained
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):  # the reader's own context
        assert leaf.computation == read_now.node("A1.1").computation == "5 − 0.2 × (100% − 99.66%) = 4.932"
    assert leaf._explain is None and leaf.deductions == read_now.node("A1.1").deductions
    assert later == read_now and hash(later) == hash(read_now)
    for fresh in (pickle.loads(pickle.dumps(engine.evaluate(gz_policy, gz_facts))),
                  load_result(dump_result(engine.evaluate(gz_policy, gz_facts)))):
        assert fresh == read_now and fresh.deductions() == read_now.deductions()


def test_an_unread_result_is_freed_when_dropped_without_waiting_for_the_cycle_collector(gz_policy, gz_facts):
    import gc
    import weakref

    gc.disable()  # reference counting alone must free it: an explanation never refers back to its leaf
    try:
        result = engine.evaluate(gz_policy, gz_facts)
        evaluation = weakref.ref(result.node("A1.1")._explain[1])  # what the unread explanations keep
        del result
        assert evaluation() is None
    finally:
        gc.enable()
