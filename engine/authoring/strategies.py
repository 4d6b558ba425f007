"""Hypothesis strategies derived from a compiled policy (stage: test).

:func:`fact_documents` draws fact-file documents (the parsed YAML value) that are valid by
construction: nothing is drawn and then thrown away, so hypothesis never filters. Each fact respects
its declared type, unit, range and decimal places, biased towards every threshold, band edge and floor
edge a rule reads, and one step either side at the fact's precision.

- A derived rate ``a / b * k`` is reached through its inputs: the rate is drawn, a positive
  denominator ``b``, and the numerator ``a`` that gives the rate, nudged so that the derived value
  (with its declared rounding) stays in its range; so its band edges are hit too.
- A judgement rule's tier is drawn first and its coefficient inside that tier's range (the kind's
  ``RulePlan.choices``); each kind gives the edges its rule changes branch at (``RulePlan.edges``).
- An optional fact is left out only when no applicable rule reads it (its rule's ``applicable_if``
  is false), so leaving it out is never an error.
- A constraint ``x <= y`` (or ``<``, ``>=``, ``>``) between two plain facts is met by moving ``x``.
- Target lists vary in length (names distinct) and direction; applicability flags go on and off.

What the construction cannot promise (a derived fact of another shape out of its range, a constraint
of another shape) is left to validation: ``jixiao fuzz`` counts such a document as rejected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import strategies as st

from engine import decimals, expr
from engine.compile import CompiledPolicy
from engine.evaluate import facts_read
from engine.facts import FactDecl
from engine.intervals import Interval, parse_interval
from engine.json_values import DocMapping, DocValue
from engine.project_form import ProjectForm
from engine.rules.base import Choice

__all__ = ["edges", "fact_documents", "numbers"]

DEFAULT_PLACES = 3
TARGET_NAMES = tuple(f"目标{i}" for i in range(1, 10))
_UNBOUNDED_SPAN = 1000


def edges(policy: CompiledPolicy) -> dict[str, set[Decimal]]:
    """For each fact, the values at which some rule changes branch (each kind gives its own edges)."""
    found: dict[str, set[Decimal]] = {}
    for node in policy.nodes():
        if node.leaf is not None:
            for fact, value in node.leaf.plan.edges():
                found.setdefault(fact, set()).add(value)
    return found


# -- numbers -----------------------------------------------------------------------------------
def _places(decl: FactDecl) -> int:
    if decl.spec.type == "integer":
        return 0
    return decl.spec.places if decl.spec.places is not None else DEFAULT_PLACES


def _step(decl: FactDecl) -> Decimal:
    return Decimal(1).scaleb(-_places(decl))


def _in_range(decl: FactDecl, value: Decimal) -> bool:
    lo, hi = decl.spec.range or (None, None)
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _bounds(decl: FactDecl, marks: set[Decimal], within: Interval | None = None) -> tuple[int, int] | None:
    """The smallest and largest value, in steps of the fact's precision, in its range (and ``within``)."""
    places = _places(decl)
    scale = Decimal(10) ** places
    lo, hi = decl.spec.range or (None, None)
    low = lo if lo is not None else min([Decimal(-_UNBOUNDED_SPAN), *(m * 2 for m in marks if m < 0),
                                         *([hi - _UNBOUNDED_SPAN] if hi is not None else [])])
    high = hi if hi is not None else max([low + _UNBOUNDED_SPAN, *(m * 2 for m in marks)])
    first, last = math.ceil(low * scale), math.floor(high * scale)
    if within is not None and within.lo is not None:
        first = max(first, _first_above(within.lo * scale, within.lo_closed))
    if within is not None and within.hi is not None:
        last = min(last, -_first_above(-within.hi * scale, within.hi_closed))
    return (first, last) if first <= last else None


def _first_above(edge: Decimal, closed: bool) -> int:
    """The least integer ≥ ``edge`` (closed) or > ``edge`` (open).

    >>> _first_above(Decimal(80), True), _first_above(Decimal(80), False), _first_above(Decimal("79.5"), False)
    (80, 81, 80)
    """
    least = math.ceil(edge)
    return least + 1 if not closed and least == edge else least


def numbers(decl: FactDecl, marks: set[Decimal], within: Interval | None = None,
            minimum: Decimal | None = None) -> st.SearchStrategy[Decimal]:
    """Values of a numeric fact in its declared range, at its precision; half of them on or next to an edge.

    ``within`` narrows the range (a judgement tier), ``minimum`` raises its floor (a denominator).
    Every value drawn is valid: nothing is filtered.
    """
    places = _places(decl)
    bounds = _bounds(decl, marks, within)
    if bounds is not None and minimum is not None:
        bounds = (max(bounds[0], math.ceil(minimum * Decimal(10) ** places)), bounds[1])
    if bounds is None or bounds[0] > bounds[1]:
        return st.nothing()
    first, last = bounds

    def of(n: int) -> Decimal:
        return Decimal(n).scaleb(-places)

    step = _step(decl)
    candidates = {decimals.quantize(m + d, places, "half_up") for m in marks for d in (-step, 0, step)}
    near = sorted(v for v in candidates | {of(first), of(last)} if first <= v * Decimal(10) ** places <= last)
    anywhere = st.integers(first, last).map(of)
    return st.one_of(st.sampled_from(near), anywhere) if near else anywhere


# -- the shape of a policy's fact files, worked out once -----------------------------------------
@dataclass(frozen=True, slots=True)
class _Shape:
    decls: Mapping[str, FactDecl]
    marks: Mapping[str, set[Decimal]]
    ratios: tuple[tuple[FactDecl, str, str, Decimal], ...]
    choices: tuple[Choice, ...]
    leaves: tuple[tuple[str | None, frozenset[str]], ...]  # (applicable_if, facts read) per leaf
    constraints: tuple[expr.Expr, ...]
    form: ProjectForm | None = None  # a project-form template's form: rows are drawn too


def _ratio(decl: FactDecl) -> tuple[str, str, Decimal] | None:
    """``(a, b, k)`` when a derived fact is ``a / b * k``."""
    match decl.derive:
        case expr.BinOp("*", expr.BinOp("/", expr.Name(a), expr.Name(b)), expr.Num(k)):
            return a, b, k
    return None


def _shape(policy: CompiledPolicy) -> _Shape:
    decls = {d.name: d for d in policy.facts}
    ratios = []
    for decl in policy.facts:
        found = _ratio(decl)
        if found and all(n in decls and decls[n].derive is None for n in found[:2]) and found[2] > 0:
            ratios.append((decl, *found))
    choices: list[Choice] = []
    leaves: list[tuple[str | None, frozenset[str]]] = []
    for node in policy.nodes():
        if node.leaf is None:
            continue
        choices.extend(node.leaf.plan.choices())
        leaves.append((node.leaf.rule.applicable_if, frozenset(facts_read(policy, node))))
    return _Shape(decls, edges(policy), tuple(ratios), tuple(choices), tuple(leaves),
                  tuple(c.expr for c in policy.constraints), getattr(policy.instantiate, "form", None))


def fact_documents(policy: CompiledPolicy) -> st.SearchStrategy[DocMapping]:
    """Fact-file documents for ``policy``, valid by construction (see the module docstring)."""
    return _documents(_shape(policy))


@st.composite
def _documents(draw: st.DrawFn, shape: _Shape) -> DocMapping:
    values: DocMapping = {}
    for choice in shape.choices:
        _draw_choice(draw, shape, choice, values)
    for decl, a, b, k in shape.ratios:
        if a not in values:
            _draw_ratio(draw, shape, decl, (a, b, k), values)
    for decl in shape.decls.values():
        if decl.derive is None and decl.name not in values:
            values[decl.name] = draw(_value(decl, shape.marks.get(decl.name, set())))
    _meet_constraints(shape, values)
    for name in _omittable(shape, values):
        if draw(st.booleans()):
            del values[name]
    facts: DocMapping = {name: _entry(shape.decls[name], value) for name, value in values.items()}
    document: DocMapping = {"department": "生成样例", "facts": facts}
    if shape.form is not None:
        document["rows"] = draw(_rows(shape.form))
    return document


@st.composite
def _rows(draw: st.DrawFn, form: ProjectForm) -> list[DocValue]:
    """Project-form rows: each 一级 weight split over one to three rows of any type (定量 ≥/≤/=, 定性 by tier)."""
    rows: list[DocValue] = []
    for category in form.categories:
        weight = int(category.weight)
        count = draw(st.integers(1, min(3, weight)))
        cuts = sorted(draw(st.permutations(range(1, weight)))[:count - 1])
        for k, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, weight], strict=True)):
            sub = draw(st.sampled_from(category.subcategories))
            rows.append({"category": sub.name, "name": f"{category.id}指标{k + 1}", "weight": Decimal(hi - lo),
                         **draw(_row_values(form, Decimal(hi - lo)))})
    return rows


@st.composite
def _row_values(draw: st.DrawFn, form: ProjectForm, weight: Decimal) -> DocMapping:
    if draw(st.booleans()):
        sign = draw(st.sampled_from(["≥", "≤", "=", ""]))
        target, actual = draw(st.integers(1, 500)), draw(st.integers(1, 500))
        return {"target": f"{sign}{target}个", "actual": f"{actual}个"}
    tier = draw(st.sampled_from(form.qualitative.tiers))
    bounds = parse_interval(tier.range)
    lo, hi = int((bounds.lo or 0) * weight), int((bounds.hi or 100) * weight)
    points = Decimal(draw(st.integers(lo, hi))) / 100
    return {"target": "效果明显", "tier": tier.name, "score": points}


def _draw_choice(draw: st.DrawFn, shape: _Shape, choice: Choice, values: DocMapping) -> None:
    """Draw the enum (a judgement's tier) first, then the fact (its coefficient) inside that value's interval."""
    fact = shape.decls.get(choice.fact)
    if fact is None or fact.derive is not None or choice.fact in values:
        return
    marks = shape.marks.get(choice.fact, set())
    names = [name for name, _ in choice.within]
    intervals = [interval for _, interval in choice.within]
    if isinstance(drawn := values.get(choice.of), str) and drawn in names:
        index = names.index(drawn)
    else:  # a value for which the fact's range leaves some room
        feasible = [i for i, iv in enumerate(intervals) if _bounds(fact, marks, iv) is not None]
        index = draw(st.sampled_from(feasible or list(range(len(names)))))
        values[choice.of] = names[index]
    within: Interval | None = intervals[index]
    if _bounds(fact, marks, within) is None:  # no value fits this interval: evaluation will refuse it
        within = None
    values[choice.fact] = draw(numbers(fact, marks, within=within))


def _draw_ratio(draw: st.DrawFn, shape: _Shape, decl: FactDecl, ratio: tuple[str, str, Decimal],
                values: DocMapping) -> None:
    a, b, k = ratio
    numerator, denominator = shape.decls[a], shape.decls[b]
    positive = _bounds(denominator, set())
    if b not in values and (positive is None or positive[1] <= 0):  # no positive denominator: drawn on its own
        return
    b_value = values[b] if b in values else draw(numbers(denominator, set(), minimum=_step(denominator)))
    if not isinstance(b_value, Decimal) or b_value <= 0:  # a denominator shared with an earlier draw
        return
    rate = draw(numbers(decl, shape.marks.get(decl.name, set())))
    exact = rate * b_value / k
    places = _places(numerator)
    for mode in ("half_up", "down", "up"):  # the nearest numerator whose derived value stays in range
        a_value = decimals.quantize(exact, places, mode)
        if _in_range(numerator, a_value) and _derived_in_range(decl, {a: a_value, b: b_value}):
            values[a], values[b] = a_value, b_value
            return
    values[b] = b_value  # no numerator fits: the numerator is drawn on its own, validation decides


def _derived_in_range(decl: FactDecl, env: Mapping[str, Decimal]) -> bool:
    assert decl.derive is not None
    value = expr.evaluate(decl.derive, env)
    assert isinstance(value, Decimal)
    if decl.spec.rounding is not None:
        value = decimals.quantize(value, decl.spec.rounding.places, decl.spec.rounding.mode)
    return _in_range(decl, value)


def _meet_constraints(shape: _Shape, values: DocMapping) -> None:
    """Move ``x`` in a violated ``x <= y`` (``<``, ``>=``, ``>``) between two drawn numeric facts."""
    for constraint in shape.constraints:
        match constraint:
            case expr.Compare(op, expr.Name(x), expr.Name(y)) if op in ("<", "<=", ">", ">="):
                pass
            case _:
                continue
        left, right = values.get(x), values.get(y)
        if not isinstance(left, Decimal) or not isinstance(right, Decimal):
            continue
        if expr.evaluate(constraint, {x: left, y: right}):
            continue
        step = _step(shape.decls[x])
        moved = right - step if op == "<" else right + step if op == ">" else right
        if _in_range(shape.decls[x], moved):
            values[x] = moved


def _omittable(shape: _Shape, values: Mapping[str, DocValue]) -> list[str]:
    """Optional facts that no applicable rule reads (a rule's ``applicable_if`` fact is always read)."""
    needed: set[str] = set()
    for applicable_if, reads in shape.leaves:
        if applicable_if is not None:
            needed.add(applicable_if)
        if applicable_if is None or values.get(applicable_if) is not False:
            needed |= reads
    return [name for name, decl in shape.decls.items()
            if not decl.spec.required and decl.derive is None and name in values and name not in needed]


def _value(decl: FactDecl, marks: set[Decimal]) -> st.SearchStrategy[DocValue]:
    spec = decl.spec
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "targets":
        return _targets()
    return numbers(decl, marks)


@st.composite
def _targets(draw: st.DrawFn) -> list[DocValue]:
    """One to six targets with distinct names (a permutation, not a filter)."""
    count = draw(st.integers(1, 6))
    names = draw(st.permutations(TARGET_NAMES))[:count]
    return [{"name": name, "target": Decimal(draw(st.integers(1, 500))), "actual": Decimal(draw(st.integers(0, 500))),
             "direction": draw(st.sampled_from(["higher", "lower"])), "unit": "个"} for name in names]


def _entry(decl: FactDecl, value: DocValue) -> DocMapping:
    entry: DocMapping = {"value": value}
    if decl.spec.unit is not None and decl.spec.type not in ("boolean", "enum", "targets"):
        entry["unit"] = decl.spec.unit
    return entry
