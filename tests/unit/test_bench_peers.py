"""The benchmark's peers (bench/peers.py) score the Guangzhou policy exactly as the engine does.

Only their correctness is tested here, never their speed: the hand-written Decimal scorer, the GoRules
Zen graph, the bare durable_rules floor and jixiao's three configurations must give the engine's total
and every indicator score on the seed, the 7% variance file, the branch cases and a few perturbed
copies, so that the side-by-side figures can never silently compare different jobs.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import engine
from bench import peers, plain_decimal


@pytest.fixture(scope="module")
def inputs() -> list[tuple[str, str]]:
    return peers.check_inputs(peers.timed_inputs(6))


@pytest.fixture(scope="module")
def want(gz_policy: engine.CompiledPolicy, inputs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return peers.golden(gz_policy, peers.parse(gz_policy, inputs))


def test_golden_figures_are_the_engines(want, inputs):
    labels = [label for label, _ in inputs]
    assert labels[0] == "seed" and "variance-7pct" in labels
    assert want[0]["total"] == peers.SEED_TOTAL
    assert want[labels.index("variance-7pct")]["A1.2"] == "4.000"  # 6 − 1 × (7 − 5)
    assert len(want[0]) == 25  # 24 indicators and the total
    assert len({json.dumps(w, sort_keys=True) for w in want}) == len(want)  # every input scores differently


def test_check_inputs_fire_every_branch_of_every_rule(gz_policy, inputs):
    seen: set[tuple[str, str]] = set()

    class Recording(engine.NativeBackend):
        def fire(self, policy, messages):
            fired = super().fire(policy, messages)
            for (key, _), names in zip(messages, fired, strict=True):
                seen.update((key, name) for name in names)
            return fired

    for facts in peers.parse(gz_policy, inputs):
        engine.evaluate(gz_policy, facts, backend=Recording())
    compiled = {(p.key, b.name) for p in gz_policy.probes for b in p.branches}
    assert compiled - seen == set()


@pytest.mark.parametrize("name", list(peers.PEERS))
def test_peer_agrees_with_the_engine(name, gz_policy, inputs, want):
    assert peers.verify(peers.PEERS[name], gz_policy, inputs, want) == []


@pytest.fixture(scope="module")
def want_traced(gz_policy, inputs, want) -> list[dict[str, str]]:
    return peers.with_deductions(want, peers.golden_deductions(gz_policy, peers.parse(gz_policy, inputs)))


@pytest.mark.parametrize("name", ["plain_decimal_trace", "jixiao_native_full", "jixiao_durable_full",
                                  "jixiao_durable_read"])
def test_tracing_peer_gives_the_engines_deductions(name, gz_policy, inputs, want_traced):
    assert any(peers.DEDUCTIONS in w and "B1.r1:" in w[peers.DEDUCTIONS] for w in want_traced)  # a residue shows
    assert peers.verify(peers.PEERS[name], gz_policy, inputs, want_traced) == []


def test_plain_traced_deductions_carry_the_numbers(gz_facts):
    values = {**peers.plain_values(gz_facts), plain_decimal.TARGET_NAMES: ("t",)}
    scores, deductions = plain_decimal.score_traced(values)
    assert scores == plain_decimal.score(values)
    first = deductions[0]
    assert (first.rule_id, first.points) == ("A1.1.r1", Decimal("0.068"))
    assert first.facts == (("预算完成率", Decimal("99.66")),)
    assert first.computation == "5 − 0.2 × (100% − 99.66%) = 4.932"


def test_a_drifted_deduction_is_caught(want_traced):
    good = dict(want_traced[0])
    assert peers.disagreements("p", want_traced[0], good) == []
    scores_only = {k: v for k, v in good.items() if k != peers.DEDUCTIONS}
    assert peers.disagreements("p", want_traced[0], scores_only) == []  # a scores-only peer has none to compare
    drifted = {**good, peers.DEDUCTIONS: good[peers.DEDUCTIONS].replace("A1.1.r1:0.068", "A1.1.r1:0.069")}
    assert peers.disagreements("p", want_traced[0], drifted)[0].startswith("p: deductions want [A1.1.r1:0.068")


def test_a_drifted_peer_is_caught(want):
    good = dict(want[0])
    assert peers.disagreements("p", want[0], good) == []
    assert want[0]["A1.3"] == "5.000"
    assert peers.disagreements("p", want[0], {**good, "A1.3": "5", "A1.1": Decimal("4.9320")}) == []  # equal values
    wrong = peers.disagreements("p", want[0], {**good, "A1.1": "4.933"})
    assert wrong == ["p: A1.1 want 4.932, got 4.933"]
    floats = peers.disagreements("p", want[0], {**good, "total": 94.622})
    assert floats and "not an exact decimal" in floats[0]
    missing = peers.disagreements("p", want[0], {k: v for k, v in good.items() if k != "B2"})
    assert missing and "B2" in missing[0]


def test_zen_context_keeps_the_decimals_as_written(gz_policy, gz_facts):
    context = json.loads(peers.zen_context(peers.plain_values(gz_facts)), parse_float=Decimal)
    assert set(context) == set(peers.ZEN_FIELDS.values())
    assert str(context["work_adjustment"]) == "2.50"
    assert context["targets"] == [{"target": 21, "actual": 21, "direction": "higher"}]


def test_with_values_replaces_and_removes_facts():
    seed = peers.SEED.read_text(encoding="utf-8")
    text = peers.with_values(seed, {"结转结余率": "6", "固定资产使用率": None, "部门整体绩效目标": "[]"})
    assert "    value: 6\n" in text and "  固定资产使用率:" not in text and "    value: []\n" in text
    assert "    value: 0.06" not in text and "target: 21" not in text
