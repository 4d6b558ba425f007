"""What would it take to recover these points? One verified suggestion per deduction (stage: explain).

For each lost point (``engine.views.explain.fails``) the rule is inverted exactly (``engine.views.invert``) and the
change is checked by evaluating the changed facts again: a direct fact through the fact-file validation
(``engine.views.scenario``), a derived fact by replacing its value. For a derived fact the suggestion also says
which inputs would have to change: for each input alone, the smallest value at the precision the fact
file uses (searched on that grid and verified the same way). Where no change of a fact can be computed
(a judgement), the suggestion says plainly what would have to change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals, expr
from engine.compile import CompiledPolicy, LeafPlan
from engine.errors import JixiaoError
from engine.evaluate import evaluate
from engine.facts import FactDecl, Facts
from engine.firing.backends import Backend
from engine.rules.inversion import Change, Plain
from engine.source import SourceDoc
from engine.trace import Result
from engine.views.explain import Explanation, Fail, NodeChange, compare, fails
from engine.views.invert import invert
from engine.views.scenario import Override, run, with_fact

__all__ = ["Check", "Recovery", "Suggestion", "recover"]

SOURCE = "recover"
DOUBLINGS = 40
_VERBS = {"≥": ("提高到", " 及以上"), ">": ("提高到", " 以上（不含）"), "≤": ("降至", " 及以下"),
          "<": ("降至", " 以下（不含）"), "=": ("改为", "")}


@dataclass(frozen=True, slots=True)
class Check:
    """What evaluating the changed facts again showed."""

    recovered: Decimal
    total_before: Decimal
    total_after: Decimal
    changed: tuple[NodeChange, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """How to recover one deduction: a change and its check, or a plain statement."""

    fail: Fail
    text: str
    change: Change | None = None
    check: Check | None = None
    formula: str | None = None
    inputs: tuple[Suggestion, ...] = ()

    @property
    def verified(self) -> bool:
        """Whether evaluating again gave back exactly what the inverted rule promised."""
        return self.change is not None and self.check is not None and self.check.recovered == self.change.recovers


@dataclass(frozen=True, slots=True)
class Recovery:
    """The explanation of a result and a suggestion for each of its deductions (most points first)."""

    explanation: Explanation
    suggestions: tuple[Suggestion, ...]
    places: int


def recover(policy: CompiledPolicy, doc: SourceDoc, facts: Facts, result: Result | None = None, *,
            indicator: str | None = None, backend: Backend | None = None) -> Recovery:
    """Suggest, for every deduction (within ``indicator``), the smallest change of the facts that recovers it.

    Args:
        policy: the compiled policy.
        doc: the fact file as parsed (changes are written into it and validated again).
        facts: the same file, validated.
        result: the recorded result of ``facts`` (evaluated here if not given).
        indicator: restrict to this indicator and the indicators below it.
        backend: the firing backend (default: durable_rules).
    """
    result = result or evaluate(policy, facts, backend=backend)
    view = fails(result, indicator)
    helper = _Recoverer(policy, doc, facts, result, backend)
    return Recovery(view, tuple(helper.suggest(f) for f in view.fails), policy.rounding.places)


class _Recoverer:
    def __init__(self, policy: CompiledPolicy, doc: SourceDoc, facts: Facts, result: Result,
                 backend: Backend | None) -> None:
        self.policy, self.doc, self.facts, self.result, self.backend = policy, doc, facts, result, backend
        self.decls: dict[str, FactDecl] = {d.name: d for d in policy.facts}
        self.plans: dict[str, tuple[LeafPlan, Decimal]] = {
            n.id: (n.leaf, n.max or Decimal(0)) for n in policy.nodes() if n.leaf is not None}
        self.integers = frozenset(d.name for d in policy.facts if d.spec.type == "integer")

    def suggest(self, fail: Fail) -> Suggestion:
        plan, weight = self.plans[fail.node.id]
        found = invert(plan, weight, fail.deduction, self.facts, self.integers)
        if isinstance(found, Plain):
            return Suggestion(fail, found.text)
        decl = self.decls.get(found.fact)
        if decl is not None and decl.derive is not None and not found.path:
            direct = self.check(fail, evaluate(self.policy, with_fact(self.facts, found.fact, found.value),
                                               backend=self.backend))
            inputs = tuple(self.inputs(fail, decl, found.recovers))
            return Suggestion(fail, self.sentence(found, direct), found, direct, expr.render(decl.derive), inputs)
        check = self.attempt(fail, Override.of(found.fact, found.value, found.path, SOURCE))
        return Suggestion(fail, self.sentence(found, check), found, check)

    def attempt(self, fail: Fail, override: Override) -> Check | None:
        try:
            after = run(self.policy, self.doc, self.facts.digest, [override], self.backend).result
        except JixiaoError:
            return None
        return self.check(fail, after)

    def check(self, fail: Fail, after: Result) -> Check:
        recovered = after.node(fail.node.id).score - fail.node.score
        return Check(recovered, self.result.total, after.total, compare(self.result, after).changed())

    # -- inputs of a derived fact --------------------------------------------------------
    def inputs(self, fail: Fail, decl: FactDecl, wanted: Decimal) -> Iterator[Suggestion]:
        assert decl.derive is not None
        for name in decl.inputs:
            spec = self.decls[name].spec
            current = self.facts.values[name].value if name in self.facts.values else None
            if spec.derive is not None or spec.type not in ("decimal", "integer") or not isinstance(current, Decimal):
                continue
            places = 0 if spec.type == "integer" else max(2, decimals.places_of(current))
            found = self.smallest(fail, name, current, Decimal(1).scaleb(-places), wanted)
            if found is not None:
                value, check = found
                change = Change(name, current, value, "≥" if value > current else "≤", value, spec.unit, wanted)
                yield Suggestion(fail, self.sentence(change, check, grid=places), change, check)

    def smallest(self, fail: Fail, name: str, current: Decimal, grid: Decimal, wanted: Decimal
                 ) -> tuple[Decimal, Check] | None:
        """The value nearest ``current`` on the grid, either way, that recovers ``wanted`` (assumed monotone)."""
        spec = self.decls[name].spec
        lo, hi = spec.range if spec.range else (None, None)
        best: tuple[Decimal, Check] | None = None
        for step, limit in ((grid, hi), (-grid, lo)):
            found = self.search(fail, name, current, step, limit, wanted)
            if found is not None and (best is None or abs(found[0] - current) < abs(best[0] - current)):
                best = found
        return best

    def search(self, fail: Fail, name: str, current: Decimal, step: Decimal, limit: Decimal | None,
               wanted: Decimal) -> tuple[Decimal, Check] | None:
        most = None if limit is None else int((limit - current) / step)
        bad, good, check = 0, 1, None
        for _ in range(DOUBLINGS):
            good = good if most is None else min(good, most)
            if good <= bad:
                return None
            check = self.attempt(fail, Override.of(name, current + step * good, (), SOURCE))
            if check is not None and check.recovered >= wanted:
                break
            bad, good = good, good * 2
        else:
            return None
        while good - bad > 1:
            middle = (good + bad) // 2
            tried = self.attempt(fail, Override.of(name, current + step * middle, (), SOURCE))
            if tried is not None and tried.recovered >= wanted:
                good, check = middle, tried
            else:
                bad = middle
        assert check is not None
        return current + step * good, check

    # -- words ---------------------------------------------------------------------------
    def sentence(self, change: Change, check: Check | None, *, grid: int | None = None) -> str:
        """「财政拨款收入预决算差异率 降至 5.00% 及以下，可挽回 6.000 分」."""
        places = self.policy.rounding.places
        what = change.label or change.fact
        if isinstance(change.bound, bool):
            must = f"须做到“{change.label}”，即" if change.label else ""
            head = f"{must}「{change.fact}」改为“{'是' if change.bound else '否'}”"
        else:
            verb, tail = _VERBS[change.relation]
            if grid is not None:
                tail = f"（其余事实不变；精确到 {decimals.fmt(Decimal(1).scaleb(-grid))} 的最小改动）"
            head = f"{what} {verb} {value_text(change.bound, change.unit)}{tail}"
        if check is None:
            return f"{head}：重新计算未能完成，不能确认可挽回的分数"
        points = decimals.fmt(check.recovered, places, places)
        if check.recovered != change.recovers:
            return f"{head}：重新计算只挽回 {points} 分（按规则应为 {decimals.fmt(change.recovers)} 分）"
        return f"{head}，可挽回 {points} 分"


def value_text(value: Decimal, unit: str | None) -> str:
    """A fact value as a sentence shows it: percentages with two decimals.

    >>> value_text(Decimal(5), "%"), value_text(Decimal("10925.15"), "万元"), value_text(Decimal(0), None)
    ('5.00%', '10925.15 万元', '0')
    """
    if unit == "%":
        return decimals.fmt(value, 2) + "%"
    return f"{decimals.fmt(value)} {unit}" if unit else decimals.fmt(value)
