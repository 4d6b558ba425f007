"""Exact at boundaries, and identical to the native oracle (durable_rules compares binary doubles).

Every threshold, band edge and 扣完为止 edge of every bundled policy is hit exactly and one step
(1e-6, and one unit of the policy's firing scale) to either side; hypothesis adds random decimals
with up to 6 places and whole fact files. The *declared* side is read from the compiled tests as
exact decimal comparisons (``x_lo >= t`` means v ≥ t, ``x_hi > t`` means v > t, …), independent of
the floor/ceil integer encoding that durable_rules actually receives.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.errors import JixiaoError
from engine.firing import conditions
from engine.firing.backends import DurableBackend, NativeBackend
from engine.firing.conditions import AnyOf, Branch, Probe, bounds
from tests.conftest import GZ_POLICY, ROOT
from tests.variants import VARIABLE, seed_with

POLICIES = sorted((ROOT / "policies").glob("*.yaml"))
STEP = Decimal("0.000001")


def _numeric_fields(probe: Probe) -> list[str]:
    """The bounds-encoded inputs of a probe (``x`` for ``x_lo``/``x_hi``)."""
    return [i.field for i in probe.inputs if i.encoding == "bounds"]


def _edges(policy: engine.CompiledPolicy, probe: Probe, field: str) -> set[Decimal]:
    unit = Decimal(1).scaleb(-policy.scale)
    out: set[Decimal] = set()
    for branch in probe.branches:
        for test in _tests(branch):
            if test.field in (f"{field}_lo", f"{field}_hi") and isinstance(test.value, int):
                edge = Decimal(test.value).scaleb(-policy.scale)
                out |= {edge, edge - STEP, edge + STEP, edge - unit, edge + unit}
    return out


def _tests(branch: Branch) -> list[conditions.Test]:
    return [t for part in branch.cond for t in (part.tests if isinstance(part, AnyOf) else (part,))]


def _declared(policy: engine.CompiledPolicy, probe: Probe, values: dict[str, Decimal], flags: dict[str, object]
              ) -> set[str]:
    """The branches whose conditions hold, read as exact decimal comparisons."""
    def holds(test: conditions.Test) -> bool:
        base = test.field[:-3]
        if base in values and isinstance(test.value, int):
            v, t = values[base], Decimal(test.value).scaleb(-policy.scale)
            return {">=": v >= t, ">": v > t, "<": v < t, "<=": v <= t, "==": v == t, "!=": v != t}[test.op]
        return flags.get(test.field) == test.value and type(flags.get(test.field)) is type(test.value)

    return {b.name for b in probe.branches
            if all(holds(p) if isinstance(p, conditions.Test) else any(holds(t) for t in p.tests) for p in b.cond)}


def _message(policy: engine.CompiledPolicy, probe: Probe, values: dict[str, Decimal]
             ) -> tuple[dict[str, object], dict[str, object]]:
    fields: dict[str, object] = {}
    flags: dict[str, object] = {}
    for item in probe.inputs:
        if item.encoding == "bounds":
            pair = bounds(values[item.field], policy.scale)
            assert pair is not None
            fields[f"{item.field}_lo"], fields[f"{item.field}_hi"] = pair
        elif item.encoding == "bool":
            fields[item.field] = flags[item.field] = True
    return fields, flags


def _check(policy: engine.CompiledPolicy, probe: Probe, values: dict[str, Decimal]) -> None:
    fields, flags = _message(policy, probe, values)
    want = _declared(policy, probe, values, flags)
    durable = DurableBackend().fire(policy, [(probe.key, fields)])
    native = NativeBackend().fire(policy, [(probe.key, fields)])
    assert durable == native == [want], (probe.key, values, durable, native, want)


def _numeric_probes(policy: engine.CompiledPolicy) -> list[Probe]:
    # a probe whose branches test no number has no side to land on (a judgement without tiers: 得分系数 × 权重)
    return [p for p in policy.probes if _numeric_fields(p) and p.key != "grade"
            and all(i.encoding in ("bounds", "bool") for i in p.inputs)
            and any(_edges(policy, p, f) for f in _numeric_fields(p))]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: Path(p).name)
def test_every_edge_of_every_bundled_policy_lands_on_the_declared_side(path):
    policy = _load(path)
    probes = _numeric_probes(policy)
    assert probes
    checked = 0
    for probe in probes:
        fields = _numeric_fields(probe)
        for field in fields:
            for edge in sorted(_edges(policy, probe, field)):
                values = {f: edge if f == field else Decimal(0) for f in fields}
                _check(policy, probe, values)
                checked += 1
    assert checked >= 5 * len(probes)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: Path(p).name)
@given(data=st.data())
def test_random_decimals_land_on_the_declared_side(path, data):
    policy = _load(path)
    probe = data.draw(st.sampled_from(_numeric_probes(policy)))
    edges = sorted(e for f in _numeric_fields(probe) for e in _edges(policy, probe, f))
    near = st.sampled_from(edges).flatmap(lambda e: st.decimals(e - 1, e + 1, places=6))
    anywhere = st.decimals(edges[0] - 100, edges[-1] + 100, places=6)
    values = {f: data.draw(st.one_of(near, anywhere)) for f in _numeric_fields(probe)}
    _check(policy, probe, values)


@functools.cache
def _load(path: Path) -> engine.CompiledPolicy:
    return engine.load_policy(path)


@st.composite
def _fact_files(draw: st.DrawFn) -> str:
    # at most the decimal places the policy declares for each fact (6-place values are exercised on the
    # probes directly, above, since a fact file with more places than declared is rejected)
    declared = {d.name: d.spec.places for d in _load(GZ_POLICY).facts}
    changed = {}
    for name, (lo, hi) in VARIABLE.items():
        if draw(st.booleans()):
            limit = declared.get(name)
            changed[name] = draw(st.decimals(lo, hi, places=draw(st.integers(0, 6 if limit is None else limit))))
    return seed_with(changed)


@given(text=_fact_files())
def test_generated_fact_files_score_identically_on_both_backends(gz_policy, text):
    facts = engine.facts_from_text(text, "generated.yaml", gz_policy)
    outcomes = []
    for backend in (DurableBackend(), NativeBackend()):
        try:
            outcomes.append(engine.evaluate(gz_policy, facts, backend=backend))
        except JixiaoError as err:
            outcomes.append(err.problem)
    assert outcomes[0] == outcomes[1]
    if isinstance(outcomes[0], engine.Result):
        assert outcomes[0].deductions() == outcomes[1].deductions()


def _trial_values(probe: Probe) -> dict[str, list[object]]:
    """For each field a probe's tests read: every bound, one beside it, a boolean, a string, nothing."""
    out: dict[str, list[object]] = {}
    for branch in probe.branches:
        for test in _tests(branch):
            for name in (test.field, test.other):
                if name is not None:
                    out.setdefault(name, [True, False, "higher", 0, -1])
            value = test.value
            if isinstance(value, int) and not isinstance(value, bool):
                out[test.field] += [value - 1, value, value + 1]
            elif value is not None:
                out[test.field].append(value)
    return out


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_native_predicates_hold_exactly_when_the_tests_do(path: Path):
    """NativeBackend's per-policy predicates (backends._predicate) against the generic reading (_holds)."""
    from engine.firing import backends

    policy = engine.load_policy(path)
    checked = 0
    for probe in policy.probes:
        trials = _trial_values(probe)
        messages: list[dict[str, object]] = [{}]
        for name, values in trials.items():  # each field alone over its values, the others at a first value
            base = {n: v[0] for n, v in trials.items()}
            messages += [{**base, name: v} for v in values]
            messages.append({n: v for n, v in base.items() if n != name})  # the field missing
        for branch in probe.branches:
            predicate = backends._predicate(branch)
            for fields in messages:
                assert _outcome(predicate, fields) == _outcome(functools.partial(backends._holds, branch), fields), \
                    (probe.key, branch.name, fields)
                checked += 1
    branches = sum(len(probe.branches) for probe in policy.probes)
    assert branches > 0 and checked >= 2 * branches  # every branch met the empty message and some values


def _outcome(test: object, fields: dict[str, object]) -> object:
    """What ``test(fields)`` gives: its truth, or the type of error it raises (a string against a number)."""
    try:
        return test(fields)  # type: ignore[operator]
    except TypeError as err:
        return type(err)



@given(st.decimals(min_value=-10**20, max_value=10**20, allow_nan=False, allow_infinity=False), st.integers(0, 8))
def test_bounds_are_the_floor_and_ceiling_at_the_scale(value, scale):
    """``bounds`` is ``(⌊v·10^K⌋, ⌈v·10^K⌉)`` exactly, and ``None`` beyond exact doubles."""
    scaled = value.scaleb(scale)
    lo, hi = math.floor(scaled), math.ceil(scaled)
    exact = lo >= -conditions.MAX_EXACT and hi <= conditions.MAX_EXACT
    assert bounds(value, scale) == ((lo, hi) if exact else None)


_PAIRED = st.one_of(st.integers(-10**17, 10**17).map(Decimal),  # whole numbers, as most targets are
                    st.decimals(min_value=-10**12, max_value=10**12, allow_nan=False, allow_infinity=False, places=6),
                    st.sampled_from([Decimal("21.00"), Decimal("3E+1"), Decimal("-0"), Decimal("0.000")]))


@given(_PAIRED, _PAIRED)
def test_a_pair_is_scaled_to_its_fewest_common_places(left, right):
    """``scale_pair`` gives both values as integers at the fewest decimal places that hold both exactly."""
    places = max(max(0, -v.normalize().as_tuple().exponent) for v in (left, right))  # type: ignore[operator]
    pair = (int(left.scaleb(places)), int(right.scaleb(places)))
    assert (Decimal(pair[0]).scaleb(-places), Decimal(pair[1]).scaleb(-places)) == (left, right)
    assert conditions.scale_pair(left, right) == (pair if max(map(abs, pair)) <= conditions.MAX_EXACT else None)
