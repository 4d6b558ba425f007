"""Review invariants on random claims over the seed's score tree (hypothesis, ``ci`` profile under CI).

Each difference is counted once: the claimed total minus the computed total is exactly the sum of the
rule, rounding and arithmetic (sum/total) differences. Claims equal to the computed scores give no
finding; one claim moved, with its ancestors moved with it, gives exactly one rule finding there.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.claims import ClaimedScore, ClaimSet
from engine.errors import SourceLocation
from engine.views.review import build_review
from engine.views.review_findings import FindingKind
from tests.conftest import GZ_FACTS, GZ_POLICY

POLICY = engine.load_policy(GZ_POLICY)
RESULT = engine.evaluate(POLICY, engine.read_facts(GZ_FACTS, POLICY))
NODES = {n.id: n for n in RESULT.nodes()}
IDS = sorted(NODES)
HERE = SourceLocation("claims.yaml", 1, 1)
DELTAS = st.sampled_from([Decimal(s) for s in ("0", "0.001", "-0.068", "0.31", "1", "-2.5", "0.5", "3")])
SUMMED = (FindingKind.RULE, FindingKind.ROUNDING, FindingKind.SUM, FindingKind.TOTAL)


def claim(value: Decimal) -> ClaimedScore:
    return ClaimedScore(value, HERE, "k")


@st.composite
def claim_sets(draw: st.DrawFn) -> ClaimSet:
    chosen = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1))
    claims = {i: claim(NODES[i].score + draw(DELTAS)) for i in chosen}
    total = claim(RESULT.total + draw(DELTAS)) if draw(st.booleans()) else None
    return ClaimSet(claims, total)


@given(claim_sets())
def test_the_total_difference_is_the_sum_of_the_differences_found(claims):
    view = build_review(POLICY, RESULT, claims)
    found = sum((f.difference for f in view.findings if f.kind in SUMMED), Decimal(0))
    assert view.difference == found


@given(st.lists(st.sampled_from(IDS), unique=True, min_size=1), st.booleans())
def test_claims_equal_to_the_computed_scores_agree(chosen, with_total):
    claims = ClaimSet({i: claim(NODES[i].score) for i in chosen}, claim(RESULT.total) if with_total else None)
    view = build_review(POLICY, RESULT, claims)
    assert view.agrees and not view.findings and view.difference == 0


@pytest.mark.parametrize("moved", [n.id for n in RESULT.nodes() if n.max is not None and not n.children])
def test_one_leaf_moved_with_its_ancestors_is_one_rule_finding(moved):
    delta = Decimal("-0.25") if NODES[moved].score >= 1 else Decimal("0.25")
    lifted = {moved, *(n.id for n in RESULT.nodes() if moved in {d.id for d in n.walk()})}
    claims = ClaimSet({i: claim(n.score + (delta if i in lifted else 0)) for i, n in NODES.items()},
                      claim(RESULT.total + delta))
    view = build_review(POLICY, RESULT, claims)
    assert [(f.kind, f.indicator, f.difference) for f in view.findings] == [(FindingKind.RULE, moved, delta)]
