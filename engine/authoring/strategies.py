"""Hypothesis strategies derived from a compiled policy (stage: test).

:func:`fact_documents` draws fact-file documents (the parsed YAML value) whose facts respect their
declared type, unit, range and decimal places, biased towards every threshold, band edge and floor
edge a rule reads, and one step either side at the fact's precision. A derived rate ``a / b * k`` is
reached through its inputs, so its band edges are hit too. Target lists vary in length and direction;
applicability flags are switched on and off.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from engine import decimals, expr
from engine.compile import CompiledPolicy
from engine.facts import FactDecl

__all__ = ["edges", "fact_documents"]

DEFAULT_PLACES = 3


def edges(policy: CompiledPolicy) -> dict[str, set[Decimal]]:
    """For each fact, the values at which some rule changes branch (each kind gives its own edges)."""
    found: dict[str, set[Decimal]] = {}
    for node in policy.nodes():
        if node.leaf is not None:
            for fact, value in node.leaf.plan.edges():
                found.setdefault(fact, set()).add(value)
    return found


def _places(decl: FactDecl) -> int:
    if decl.spec.type == "integer":
        return 0
    return decl.spec.places if decl.spec.places is not None else DEFAULT_PLACES


def _in_range(decl: FactDecl, value: Decimal) -> bool:
    lo, hi = decl.spec.range or (None, None)
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def numbers(decl: FactDecl, marks: set[Decimal]) -> st.SearchStrategy[Decimal]:
    """Decimals (or integers) within the declared range, half of them on or next to an edge."""
    places = _places(decl)
    step = Decimal(1).scaleb(-places)
    lo, hi = decl.spec.range or (None, None)
    low = lo if lo is not None else Decimal(-1000)
    high = hi if hi is not None else max([low + 1000, *[m * 2 for m in marks]])
    near = sorted({decimals.quantize(m + d, places, "half_up") for m in marks for d in (-step, 0, step)
                   if _in_range(decl, m + d)} | {v for v in (lo, hi) if v is not None})
    scale = 10 ** places
    anywhere = st.integers(int(low * scale), int(high * scale)).map(lambda n: Decimal(n).scaleb(-places))
    return st.one_of(st.sampled_from(near), anywhere) if near else anywhere


def _ratio(decl: FactDecl) -> tuple[str, str, Decimal] | None:
    """``(a, b, k)`` when a derived fact is ``a / b * k``."""
    match decl.derive:
        case expr.BinOp("*", expr.BinOp("/", expr.Name(a), expr.Name(b)), expr.Num(k)):
            return a, b, k
    return None


@st.composite
def fact_documents(draw: st.DrawFn, policy: CompiledPolicy) -> dict[str, Any]:
    """One fact-file document for ``policy`` (validate it with the policy before use)."""
    marks = edges(policy)
    decls = {d.name: d for d in policy.facts}
    values: dict[str, Any] = {}
    for decl in policy.facts:
        ratio = _ratio(decl)
        if ratio and ratio[0] in decls and ratio[1] in decls and not decls[ratio[0]].derive:
            _draw_ratio(draw, decl, ratio, decls, values, marks)
    for decl in policy.facts:
        if decl.derive is None and decl.name not in values:
            values[decl.name] = draw(_value(decl, marks.get(decl.name, set())))
    optional = [d.name for d in policy.facts if not d.spec.required and d.derive is None]
    for name in optional:
        if draw(st.booleans()):
            values.pop(name, None)
    facts = {name: _entry(decls[name], value) for name, value in values.items()}
    return {"department": "生成样例", "facts": facts}


def _draw_ratio(draw: st.DrawFn, decl: FactDecl, ratio: tuple[str, str, Decimal], decls: dict[str, FactDecl],
                values: dict[str, Any], marks: dict[str, set[Decimal]]) -> None:
    a, b, k = ratio
    denominator = draw(numbers(decls[b], set()).filter(lambda v: v > 0))
    rate = draw(numbers(decl, marks.get(decl.name, set())))
    values[b] = denominator
    numerator = decimals.quantize(rate * denominator / k, _places(decls[a]), "half_up")
    values[a] = numerator if _in_range(decls[a], numerator) else draw(numbers(decls[a], set()))


def _value(decl: FactDecl, marks: set[Decimal]) -> st.SearchStrategy[Any]:
    spec = decl.spec
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "targets":
        return st.lists(_target(), min_size=1, max_size=6, unique_by=lambda t: t["name"])
    return numbers(decl, marks)


def _target() -> st.SearchStrategy[dict[str, Any]]:
    amount = st.integers(0, 500).map(Decimal)
    return st.fixed_dictionaries({
        "name": st.sampled_from([f"目标{i}" for i in range(1, 10)]),
        "target": st.integers(1, 500).map(Decimal),
        "actual": amount,
        "direction": st.sampled_from(["higher", "lower"]),
        "unit": st.just("个"),
    })


def _entry(decl: FactDecl, value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": value}
    if decl.spec.unit is not None and decl.spec.type not in ("boolean", "enum", "targets"):
        entry["unit"] = decl.spec.unit
    return entry
