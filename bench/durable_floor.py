"""The durable_rules floor: the Guangzhou rules fired by a bare durable_rules ruleset, no jixiao around it.

What jixiao's durable path cannot do with less: one ruleset holding a rule for every branch of every
rule of policies/gz-dept-2021.yaml (the same branches, edges and firing messages jixiao compiles), and
per evaluation a fresh session, one ``assert_facts`` of every message, the engine's C action loop to
collect the fired rules, ``delete_state``, then the points of each fired branch in ``Decimal`` with the
policy's rounding. No messages classes, no generic scoring, no trace: the engine plus the least Python
that turns its answer into the same numbers. It drives the C API the way jixiao's DurableBackend does
(bench/bench.py measured the same loop on a synthetic ruleset), so the two differ only by jixiao.

Numbers reach durable_rules as integers in hundredths (every fact here has at most 2 places; a value
with more is refused rather than compared inexactly as a double).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import decimal
import itertools
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import durable_rules_engine as dre

__all__ = ["Floor"]

ZERO = Decimal(0)
PLACES = Decimal("0.001")
CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_UP, traps=[decimal.InvalidOperation,
                                                                       decimal.DivisionByZero, decimal.Overflow])


def _x(op: str, value: int) -> dict[str, Any]:
    return {op: {"x": value}}


# (probe, branch, conditions on the message besides its probe), in hundredths: 10000 is 100%
_SCALAR: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {
    "A1.1": [("within", [_x("$gte", 10000)]), ("over", [_x("$gt", 7500), _x("$lt", 10000)]),
             ("zeroed", [_x("$lte", 7500)])],
    "A1.2": [("within", [_x("$lte", 500)]), ("over", [_x("$gt", 500), _x("$lt", 1100)]),
             ("zeroed", [_x("$gte", 1100)])],
    "A1.3": [("full", [_x("$gte", 10000)]), ("partial", [_x("$lt", 10000)])],
    "A1.4": [("band:0", [_x("$lte", 500)]), ("band:1", [_x("$gt", 500)])],
    "A2.1": [("full", [_x("$gte", 10000)]), ("partial", [_x("$lt", 10000)])],
    "A4.2": [("band:0", [_x("$gte", 9000)]), ("band:1", [_x("$gte", 8000), _x("$lt", 9000)]),
             ("band:2", [_x("$lt", 8000)])],
    "A5.1": [("within", [_x("$lte", 10000)]), ("over", [_x("$gt", 10000), _x("$lt", 10400)]),
             ("zeroed", [_x("$gte", 10400)])],
    "A5.2": [("within", [_x("$lte", 10000)]), ("over", [_x("$gt", 10000), _x("$lt", 10200)]),
             ("zeroed", [_x("$gte", 10200)])],
    "A6.1": [("full", [_x("$gte", 10000)]), ("partial", [_x("$lt", 10000)])],
    "B2": [("within", [_x("$gte", -500), _x("$lte", 500)]), ("above_cap", [_x("$gt", 500)]),
           ("below_floor", [_x("$lt", -500)])],
}
_SCALAR_FACTS = {"A1.1": "预算完成率", "A1.2": "财政拨款收入预决算差异率", "A1.3": "一般公共预算支出年度平均执行率",
                 "A1.4": "结转结余率", "A2.1": "政府采购执行率", "A4.2": "固定资产使用率", "A5.1": "公用经费控制率",
                 "A5.2": "三公经费控制率", "A6.1": "绩效目标完成率", "B2": "工作表现加减分"}
_ITEMS = {"A1.5": "预算编制报送及时准确", "A3.1": "预决算信息公开", "A3.2": "绩效信息公开", "A4.1": "资产账实相符",
          "A6.2.monitor": "绩效运行监控及自评报送", "A6.2.apply": "绩效结果应用"}
_TARGET: list[tuple[str, list[dict[str, Any]]]] = [("met", [{"d": "higher"}, {"$gte": {"a": {"$m": "t"}}}]),
           ("short", [{"d": "higher"}, {"$lt": {"a": {"$m": "t"}}}]),
           ("met_lower", [{"d": "lower"}, {"$lte": {"a": {"$m": "t"}}}]),
           ("over", [{"d": "lower"}, {"$gt": {"a": {"$m": "t"}}}])]


def _rules() -> list[tuple[str, str, list[dict[str, Any]]]]:
    rules = [(probe, branch, cond) for probe, branches in _SCALAR.items() for branch, cond in branches]
    rules += [(item, branch, [{"b": value}]) for item in _ITEMS for branch, value in (("met", True), ("unmet", False))]
    rules += [("B1", branch, cond) for branch, cond in _TARGET]
    return rules


def _keep_session_memory() -> None:
    """Make the process setting jixiao makes for durable_rules (FINDINGS.md F15).

    The floor then pays no page faults that jixiao does not: glibc keeps up to 16 MB of freed heap
    instead of unmapping each session's arrays.
    """
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(-3, 4 << 20)   # M_MMAP_THRESHOLD
    mallopt(-1, 16 << 20)  # M_TRIM_THRESHOLD


def _hundredths(value: Decimal) -> int:
    scaled = value * 100
    whole = int(scaled)
    if whole != scaled:
        raise ValueError(f"{value} has more than 2 decimal places; the floor compares hundredths")
    return whole


def _round(value: Decimal) -> Decimal:
    rounded = value.quantize(PLACES)
    return rounded.copy_abs() if rounded.is_zero() else rounded


class Floor:
    """One bare durable_rules ruleset for the Guangzhou policy; :meth:`score` is one evaluation."""

    def __init__(self, name: str = "gz_floor") -> None:
        _keep_session_memory()
        rules = _rules()
        self.meaning = {f"r{i}": (probe, branch) for i, (probe, branch, _) in enumerate(rules)}
        ruleset = {f"r{i}": {"all": [{"m": {"$and": [{"p": probe}, *cond]}}]}
                   for i, (probe, branch, cond) in enumerate(rules)}
        self.handle = dre.create_ruleset(name, json.dumps(ruleset))
        self.sids = itertools.count(1)

    def fire(self, messages: Sequence[dict[str, Any]]) -> list[str]:
        """Assert the messages in a fresh session; return the engine's message for each fired rule."""
        sid = str(next(self.sids))
        for message in messages:
            message["sid"] = sid
        handle = self.handle
        try:
            code, state = dre.assert_facts(handle, json.dumps(messages))
            if code != 0:
                raise RuntimeError(f"durable_rules refused the messages (code {code})")
            out: list[str] = []
            started = dre.start_action_for_state(handle, state)
            fired = started[1] if started else None
            while fired:
                out.append(fired)
                fired = dre.complete_and_start_action(handle, state)
            return out
        finally:
            dre.delete_state(handle, sid)

    def score(self, facts: Mapping[str, Any]) -> dict[str, Decimal]:
        """Indicator id → score, and ``"total"``: durable_rules picks each branch, ``Decimal`` the points."""
        messages: list[dict[str, Any]] = [{"p": p, "x": _hundredths(facts[f])} for p, f in _SCALAR_FACTS.items()]
        messages += [{"p": item, "b": facts[f]} for item, f in _ITEMS.items()]
        targets = facts["部门整体绩效目标"]
        messages += [{"p": "B1", "seq": i, "t": _hundredths(t), "a": _hundredths(a), "d": d}
                     for i, (t, a, d) in enumerate(targets)]
        branch: dict[str, str] = {}
        met: list[str | None] = [None] * len(targets)
        for raw in self.fire(messages):
            probe, name = self.meaning[raw[2:raw.index('"', 2)]]  # '{"r12":{"m":{…}}}'
            if probe == "B1":
                met[json.loads(raw)[raw[2:raw.index('"', 2)]]["m"]["seq"]] = name
            elif branch.setdefault(probe, name) != name:
                raise RuntimeError(f"{probe} fired two branches")
        if len(branch) != len(_SCALAR) + len(_ITEMS) or None in met:
            raise RuntimeError(f"not every message fired a rule: {sorted(branch)}, targets {met}")
        return _points(facts, branch, met)


def _points(facts: Mapping[str, Any], branch: Mapping[str, str], met: Sequence[str | None]) -> dict[str, Decimal]:
    with decimal.localcontext(CONTEXT):
        b = branch
        v = facts["预算完成率"]
        a11 = _round(Decimal(5) if b["A1.1"] == "within" else ZERO if b["A1.1"] == "zeroed"
                     else 5 - Decimal("0.2") * (100 - v))
        v = facts["财政拨款收入预决算差异率"]
        a12 = _round(Decimal(6) if b["A1.2"] == "within" else ZERO if b["A1.2"] == "zeroed" else 6 - 1 * (v - 5))
        v = facts["一般公共预算支出年度平均执行率"]
        a13 = _round(Decimal(5) if b["A1.3"] == "full" else max(5 * v / 100, ZERO))
        a14 = _round(Decimal(2) if b["A1.4"] == "band:0" else ZERO)
        a15 = _round(Decimal(2) if b["A1.5"] == "met" else ZERO)
        a21 = _round(Decimal(2) if b["A2.1"] == "full" else max(2 * facts["政府采购执行率"] / 100, ZERO))
        a31 = _round(Decimal(2) if b["A3.1"] == "met" else ZERO)
        a32 = _round(Decimal(2) if b["A3.2"] == "met" else ZERO)
        a41 = _round(Decimal(2) if b["A4.1"] == "met" else ZERO)
        a42 = _round({"band:0": Decimal(3), "band:1": Decimal("1.5"), "band:2": ZERO}[b["A4.2"]])
        v = facts["公用经费控制率"]
        a51 = _round(Decimal(2) if b["A5.1"] == "within" else ZERO if b["A5.1"] == "zeroed"
                     else 2 - Decimal("0.5") * (v - 100))
        v = facts["三公经费控制率"]
        a52 = _round(Decimal(2) if b["A5.2"] == "within" else ZERO if b["A5.2"] == "zeroed" else 2 - 1 * (v - 100))
        a61 = _round(Decimal(10) if b["A6.1"] == "full" else max(10 * facts["绩效目标完成率"] / 100, ZERO))
        a62 = _round((Decimal(3) if b["A6.2.monitor"] == "met" else ZERO)
                     + (Decimal(2) if b["A6.2.apply"] == "met" else ZERO))
        targets = facts["部门整体绩效目标"]
        share = Decimal(50) / len(targets)
        b1 = ZERO
        for (target, actual, _), name in zip(targets, met, strict=True):
            if name in ("met", "met_lower"):
                b1 += share
            elif name == "short":
                b1 += max(share * actual / target, ZERO) if target else share
            else:
                b1 += max(share * target / actual, ZERO)
        b1 = _round(b1)
        v = facts["工作表现加减分"]
        b2 = _round(Decimal(5) if b["B2"] == "above_cap" else Decimal(-5) if b["B2"] == "below_floor" else v)
        a1, a2, a3, a4, a5, a6 = a11 + a12 + a13 + a14 + a15, a21, a31 + a32, a41 + a42, a51 + a52, a61 + a62
        a = ZERO + a1 + a2 + a3 + a4 + a5 + a6
        b12 = ZERO + b1 + b2
        total = a + b12
        return {
            "A": a, "A1": a1, "A1.1": a11, "A1.2": a12, "A1.3": a13, "A1.4": a14, "A1.5": a15,
            "A2": a2, "A2.1": a21, "A3": a3, "A3.1": a31, "A3.2": a32, "A4": a4, "A4.1": a41, "A4.2": a42,
            "A5": a5, "A5.1": a51, "A5.2": a52, "A6": a6, "A6.1": a61, "A6.2": a62,
            "B": b12, "B1": b1, "B2": b2, "total": total.copy_abs() if total.is_zero() else total,
        }
