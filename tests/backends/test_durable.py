"""The durable_rules boundary: isolation, cleanup, loud failures, threads, limits, deadline, soak."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest

import engine
from engine.errors import ErrorCode, JixiaoError
from engine.firing import backends as firing
from engine.firing import limits
from engine.firing.backends import DurableBackend, FiringError, NativeBackend, last_session, session_alive
from engine.firing.worker import ProcessBackend
from tests.backends.fakes import HANG, HangingBackend
from tests.conftest import ROOT
from tests.helpers import policy_text
from tests.variants import variant

RATE = '{name}: {{type: decimal, unit: "%", range: [0, 1000]}}\n'


def _facts(policy: engine.CompiledPolicy, i: int) -> engine.Facts:
    return engine.facts_from_text(variant(i), f"variant-{i}.yaml", policy)


# -- sessions -----------------------------------------------------------------------------------
def test_each_evaluation_gets_a_fresh_session_that_is_deleted(gz_policy, gz_facts):
    engine.evaluate(gz_policy, gz_facts, backend=DurableBackend())
    first = last_session()
    engine.evaluate(gz_policy, gz_facts, backend=DurableBackend())
    second = last_session()
    assert first != second
    assert not session_alive(gz_policy, first) and not session_alive(gz_policy, second)


def test_a_policy_registers_its_rulesets_once(gz_policy, gz_facts):
    engine.evaluate(gz_policy, gz_facts, backend=DurableBackend())
    again = engine.policy_from_text(Path(gz_policy.file).read_text(encoding="utf-8"), "copy.yaml")
    assert again.digest == gz_policy.digest and again.rulesets == gz_policy.rulesets
    result = engine.evaluate(again, engine.read_facts(gz_facts.file, again), backend=DurableBackend())
    assert result.total == D("94.622")


class _Failing:
    """durable_rules_engine with one call replaced (the module is reached only through firing._dre)."""

    def __init__(self, real: object, name: str, replacement: object) -> None:
        self._real, self._name, self._replacement = real, name, replacement

    def __getattr__(self, name: str) -> object:
        return self._replacement if name == self._name else getattr(self._real, name)


def _engine_error(*args: object) -> None:
    raise firing._dre.error("Could not complete and start action, error code: 305")


def test_state_is_deleted_when_the_action_loop_fails(gz_policy, gz_facts, monkeypatch):
    monkeypatch.setattr(firing, "_dre", _Failing(firing._dre, "complete_and_start_action", _engine_error))
    with pytest.raises(FiringError) as err:
        engine.evaluate(gz_policy, gz_facts, backend=DurableBackend())
    assert err.value.code == ErrorCode.FIRING_ENGINE and "305" in str(err.value)
    monkeypatch.undo()
    assert not session_alive(gz_policy, last_session())
    _assert_same_as_oracle(gz_policy, gz_facts)


def test_a_swallowed_action_exception_is_a_clear_error(gz_policy, gz_facts, monkeypatch):
    real = firing._dre.start_action_for_state

    def with_exception(handle: int, state: int) -> tuple[str, str] | None:
        started = real(handle, state)
        assert started is not None
        return json.dumps({"sid": "x", "exception": "exception caught boom"}), started[1]

    monkeypatch.setattr(firing, "_dre", _Failing(firing._dre, "start_action_for_state", with_exception))
    with pytest.raises(FiringError) as err:
        engine.evaluate(gz_policy, gz_facts, backend=DurableBackend())
    assert err.value.code == ErrorCode.FIRING_ACTION_FAILED and "boom" in str(err.value)
    monkeypatch.undo()
    assert not session_alive(gz_policy, last_session())
    _assert_same_as_oracle(gz_policy, gz_facts)


def test_a_message_no_rule_handles_is_a_clear_error(gz_policy, gz_facts):
    with pytest.raises(FiringError) as err:
        DurableBackend().fire(gz_policy, [("A1.1.r1", {"unexpected": 1})])
    assert err.value.code == ErrorCode.FIRING_NOT_HANDLED
    assert not session_alive(gz_policy, last_session())
    _assert_same_as_oracle(gz_policy, gz_facts)


def test_a_repeated_message_is_a_clear_error(gz_policy):
    ruleset = firing.shared_engine().table(gz_policy)[0]
    pack, prefix = ruleset.packs["A3.1.r1/published"]  # the probe travels in a pack message
    message = {"sid": "observed-1", "probe": pack, "seq": 0, f"{prefix}b": True}
    try:
        with pytest.raises(FiringError) as err:
            firing._session(ruleset, "observed-1", json.dumps([message, message]))
        assert err.value.code == ErrorCode.FIRING_OBSERVED
    finally:
        firing._delete_state(ruleset, "observed-1")
    assert not session_alive(gz_policy, "observed-1")


def test_a_packed_probes_message_sent_twice_is_a_clear_error(gz_policy):
    message = ("A3.1.r1/published", {"b": True})
    assert firing.shared_engine().table(gz_policy)[0].packs.get(message[0])  # it travels in a pack
    with pytest.raises(FiringError) as err:
        DurableBackend().fire(gz_policy, [message, message])
    assert err.value.code == ErrorCode.FIRING_OBSERVED


def test_a_packed_probe_that_fires_no_branch_is_a_clear_error(gz_policy, gz_facts):
    handled = ("A3.1.r1/published", {"b": True})
    assert DurableBackend().fire(gz_policy, [handled]) == [{"met"}]
    with pytest.raises(FiringError) as err:  # its pack message is handled, but nothing fires for A1.1.r1
        DurableBackend().fire(gz_policy, [handled, ("A1.1.r1", {"unexpected": 1})])
    assert err.value.code == ErrorCode.FIRING_NOT_HANDLED
    assert not session_alive(gz_policy, last_session())
    _assert_same_as_oracle(gz_policy, gz_facts)


def test_packs_stay_far_below_the_engines_limits(gz_policy):
    policies = [gz_policy, engine.policy_from_text(_bands(60), "bands.yaml"),
                engine.policy_from_text(_wide_policy(600), "wide.yaml")]
    for policy in policies:
        for ruleset in firing.shared_engine().table(policy):
            members: dict[str, list[str]] = {}
            for key, (pack, _) in ruleset.packs.items():
                members.setdefault(pack, []).append(key)
            for keys in members.values():
                probes = [policy.by_key[k] for k in keys]
                peak = sum(limits.true_at_once(p) for p in probes)
                assert len(keys) == 1 or peak <= limits.MAX_TRUE_AT_ONCE // 2, keys
                assert sum(len(limits.message_fields(p)) for p in probes) <= limits.MAX_FIELDS // 2
    packed = firing.shared_engine().table(gz_policy)[0].packs
    assert len({pack for pack, _ in packed.values()}) < len(packed)  # the Guangzhou probes do share packs
    assert "B1.r1" not in packed  # one message per target: not packed


def _assert_same_as_oracle(policy: engine.CompiledPolicy, facts: engine.Facts) -> engine.Result:
    durable = engine.evaluate(policy, facts, backend=DurableBackend())
    assert durable == engine.evaluate(policy, facts, backend=NativeBackend())
    return durable


# -- threads ------------------------------------------------------------------------------------
def test_concurrent_callers_each_get_their_own_correct_result(gz_policy):
    facts = [_facts(gz_policy, i) for i in range(40)]
    want = [engine.evaluate(gz_policy, f, backend=NativeBackend()) for f in facts]
    assert len({w.total for w in want}) > 10  # the variants really differ
    failures: list[str] = []

    def work(thread: int) -> None:
        backend = DurableBackend()
        for n in range(200):
            i = (thread * 7 + n) % len(facts)
            try:
                got = engine.evaluate(gz_policy, facts[i], backend=backend)
            except JixiaoError as err:  # pragma: no cover - reported below
                failures.append(f"thread {thread} #{n}: {err}")
                continue
            if got != want[i]:
                failures.append(f"thread {thread} #{n}: variant {i} gave {got.total}, want {want[i].total}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert not session_alive(gz_policy, last_session())


# -- limits: split transparently or rejected at compile time ------------------------------------
def _wide_policy(leaves: int) -> str:
    facts = "".join(f"  率{i}: {{type: decimal, unit: \"%\", range: [0, 1000]}}\n" for i in range(7))
    children = "".join(
        f"      - id: L{i}\n        name: 指标{i}\n        max: 1\n"
        f"        rule: {{id: r{i}, kind: proportional, fact: 率{i % 7}, full_at: {50 + i % 100}, "
        f"wording: 按比例, provenance: official}}\n" for i in range(leaves))
    return (f'policy: {{id: t-wide, name: 宽, issuer: 测试, fiscal_year: 2021, version: "1"}}\n'
            f"rounding: {{score: {{places: 3, mode: half_up}}, display: {{min_places: 2, max_places: 3}}}}\n"
            f"total: {{max: {leaves}}}\nfacts:\n{facts}indicators:\n  - id: L\n    name: 一级\n"
            f"    max: {leaves}\n    children:\n{children}")


def test_six_hundred_leaves_are_split_into_rulesets_and_score_identically():
    policy = engine.policy_from_text(_wide_policy(600), "wide.yaml")
    sizes = [sum(len(policy.by_key[k].branches) for k in keys) for _, keys in policy.rulesets]
    assert len(policy.rulesets) == 6 and max(sizes) <= 200 and sum(sizes) == 1200
    facts = engine.facts_from_text(
        "department: 测试\nfacts:\n" + "".join(f"  率{i}: {{value: {60 + 7 * i}.5, unit: \"%\"}}\n" for i in range(7)),
        "wide-facts.yaml", policy)
    result = _assert_same_as_oracle(policy, facts)
    assert D(0) < result.total < D(600) and len(result.deductions()) > 100
    assert not session_alive(policy, last_session())


def _bands(count: int) -> str:
    bands = "".join(f'      - {{when: "[{i}, {i + 1})", points: {1 if i % 2 else 0}}}\n' for i in range(count))
    rule = ("id: r\nkind: bands\nfact: 率\nbands:\n" + bands.replace("      ", "  ")
            + f'  - {{when: "≥ {count}", points: 1}}\n  - {{when: "< 0", points: 0}}\n'
            "wording: 分档\nprovenance: official\n")
    # the fact may be negative, so the "< 0" band is reachable (the static checks reject unreachable bands)
    return policy_text(rule, '率: {type: decimal, unit: "%", range: [-100, 1000]}\n', max="1")


def test_sixty_bands_fit_and_land_on_the_declared_band():
    policy = engine.policy_from_text(_bands(60), "bands.yaml")
    for value, want in [("59.5", "1"), ("58", "0"), ("60", "1"), ("0", "0"), ("1", "1")]:
        facts = engine.facts_from_text(f'department: 测试\nfacts:\n  率: {{value: {value}, unit: "%"}}\n', "f.yaml",
                                       policy)
        assert _assert_same_as_oracle(policy, facts).node("L1").score == D(want), value


def test_too_many_conditions_true_at_once_is_rejected_at_compile_time():
    with pytest.raises(engine.PolicyErrors) as err:
        engine.policy_from_text(_bands(70), "bands.yaml")
    problem = err.value.problems[0]
    assert problem.code == ErrorCode.FIRING_LIMIT and "303" in problem.message and "64" in problem.message
    assert problem.location is not None and problem.location.file == "bands.yaml" and problem.location.line > 1


def test_many_comparison_cases_true_at_once_are_rejected():
    cases = "".join(f'  - {{when: "率 >= {i}", points: 1}}\n' for i in range(70))
    rule = f"id: r\nkind: comparison\ncases:\n{cases}otherwise: 0\nwording: 比较\nprovenance: official\n"
    with pytest.raises(engine.PolicyErrors) as err:
        engine.policy_from_text(policy_text(rule, RATE.format(name="率"), max="1"), "cmp.yaml")
    assert err.value.problems[0].code == ErrorCode.FIRING_LIMIT


def test_a_rule_with_more_branches_than_a_ruleset_holds_is_rejected():
    with pytest.raises(engine.PolicyErrors) as err:
        engine.policy_from_text(_bands(250), "bands.yaml")
    assert err.value.problems[0].code == ErrorCode.FIRING_LIMIT and "512" in err.value.problems[0].message


# -- deadline -----------------------------------------------------------------------------------
def test_a_hanging_engine_is_killed_at_the_deadline_and_replaced(gz_policy, gz_facts):
    normal = [("A3.1.r1/published", {"b": True})]
    # The deadline is short only for the call that hangs: a worker starting on a loaded machine may
    # take longer than 3 s, which is a slow start, not a hang.
    with ProcessBackend(HangingBackend, timeout=300) as backend:
        assert backend.fire(gz_policy, normal) == [{"met"}]
        backend.timeout = 3
        with pytest.raises(FiringError) as err:
            backend.fire(gz_policy, [("A1.1.r1", {"x_lo": HANG, "x_hi": HANG})])
        backend.timeout = 300
        assert err.value.code == ErrorCode.FIRING_TIMEOUT and backend.restarts == 1
        assert backend.fire(gz_policy, normal) == [{"met"}]
        result = engine.evaluate(gz_policy, gz_facts, backend=backend)
    assert result == engine.evaluate(gz_policy, gz_facts, backend=NativeBackend())


def test_engine_errors_in_the_worker_come_back_with_their_code(gz_policy):
    with ProcessBackend(timeout=30) as backend:
        with pytest.raises(FiringError) as err:
            backend.fire(gz_policy, [("A1.1.r1", {"unexpected": 1})])
        assert err.value.code == ErrorCode.FIRING_NOT_HANDLED and backend.restarts == 0


# -- soak ---------------------------------------------------------------------------------------
def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_soak_100k_evaluations_bounded_memory_no_live_sessions(gz_policy):
    facts = [_facts(gz_policy, i) for i in range(50)]
    want = [engine.evaluate(gz_policy, f, backend=NativeBackend()) for f in facts]
    backend = DurableBackend()
    for i in range(5_000):  # warm-up: caches and allocator pools reach their working size
        engine.evaluate(gz_policy, facts[i % 50], backend=backend)
    before = _rss_kb()
    first = int(last_session().rsplit("-", 1)[1]) + 1
    for i in range(100_000):
        result = engine.evaluate(gz_policy, facts[i % 50], backend=backend)
        if i % 997 == 0:
            assert result == want[i % 50]
    after = _rss_kb()
    prefix, last = last_session().rsplit("-", 1)
    print(f"soak: VmRSS {before / 1024:.1f} MB → {after / 1024:.1f} MB over 100,000 evaluations")
    assert after - before <= 5 * 1024
    assert int(last) - first + 1 >= 100_000
    assert not [n for n in range(first, int(last) + 1) if session_alive(gz_policy, f"{prefix}-{n}")]
    with pytest.raises(FiringError):
        backend.fire(gz_policy, [("A1.1.r1", {"unexpected": 1})])
    assert engine.evaluate(gz_policy, facts[7], backend=backend) == want[7]


def test_a_refused_first_session_is_deleted_without_crashing_the_process():
    """F13: deleting a session whose only assert was refused freed a garbage pointer (fresh process)."""
    code = (
        "import engine\n"
        "from engine.firing.backends import DurableBackend, FiringError\n"
        "p = engine.load_policy('policies/gz-dept-2021.yaml')\n"
        "for _ in range(20):\n"
        "    try:\n"
        "        DurableBackend().fire(p, [('A1.1.r1', {'unexpected': 1})])\n"
        "    except FiringError as err:\n"
        "        assert err.code == 'firing.not_handled'\n"
        "print(engine.evaluate(p, engine.read_facts('facts/gz-kjj-2021.yaml', p)).total)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert (run.returncode, run.stdout.strip()) == (0, "94.622"), run.stderr[-2000:]
