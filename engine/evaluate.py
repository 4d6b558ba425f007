"""(CompiledPolicy, Facts) → :class:`Result` (stage: evaluate; pure but for the firing engine).

Facts are classified into exact integer messages (``engine.firing.messages``), the firing backend
says which branch of each rule holds, each rule's compiled plan (``engine.rules``) computes the
points with ``Decimal``, each scored indicator is rounded as the policy declares, inner nodes sum
the rounded scores, and every lost point becomes a :class:`Deduction` carrying the rule's wording,
the facts with their file:line and the computation.
"""

from __future__ import annotations

import dataclasses
import decimal
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from engine import decimals, expr
from engine.compile import CompiledIndicator, CompiledPolicy, GradeCase, LeafPlan
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.facts import Facts, FactValue
from engine.firing.backends import Backend, default_backend
from engine.firing.conditions import Marker, bounds
from engine.firing.messages import Messages
from engine.memo import per_policy
from engine.rules.base import Ambiguous, Firing, NoMatch
from engine.scoring import Outcome, Part
from engine.tables import cell_name
from engine.trace import Deduction, FactRead, IndicatorScore, Result, Status, TableFact

__all__ = ["evaluate", "facts_read"]

ZERO = Decimal(0)
Detail = Literal["full", "scores"]


def evaluate(policy: CompiledPolicy, facts: Facts, *, backend: Backend | None = None,
             detail: Detail = "full") -> Result:
    """Score one department's facts against a compiled policy.

    ``detail="full"`` (the default) explains every lost point: each scored indicator carries its
    computation and its :class:`Deduction` records. ``detail="scores"`` computes the same scores
    and skips the explanation (no computation text, no deductions), for bulk runs that only need
    the numbers.

    Raises:
        JixiaoError: a value no rule case covers (``eval.*``) or a firing failure (``firing.*``).
    """
    backend = backend or default_backend()
    if policy.instantiate is not None and facts.policy is not None:  # a project-form template's project
        policy = facts.policy
    with decimal.localcontext() as ctx:
        ctx.prec = 34
        ctx.rounding = decimals.ROUNDING_MODES[policy.rounding.mode]
        ctx.traps[decimal.Inexact] = False
        if detail not in ("full", "scores"):
            raise ValueError(f"detail must be 'full' or 'scores', not {detail!r}")
        run = _Run(policy, facts, backend, detail == "full")
        return run.result()


class _Run:
    """Fires every message once, then scores the tree bottom-up."""

    def __init__(self, policy: CompiledPolicy, facts: Facts, backend: Backend, trace: bool) -> None:
        self.policy, self.facts, self.backend, self.trace = policy, facts, backend, trace
        self.rounding = per_policy("rounding", policy, lambda: _Rounding.of(policy))
        sent = Messages(policy, facts)
        fired = backend.fire(policy, sent.messages)
        branch_of = policy.branch_of
        self.fired: dict[str, list[Firing]] = {}
        for message, names in zip(sent.sent, fired, strict=True):
            key = message.probe.key
            branches = branch_of[key]
            firing = (message.target, tuple([branches[n] for n in names]))
            found = self.fired.get(key)
            if found is None:
                self.fired[key] = [firing]
            else:
                found.append(firing)

    def result(self) -> Result:
        roots = tuple(self.node(n) for n in self.policy.indicators)
        total = sum((r.score for r in roots), ZERO)
        cap = self.policy.total.cap
        if cap is not None and total > cap:
            total = cap
        max_total = sum((r.max or ZERO for r in roots), ZERO)
        grade, withheld = self.grading(total, sum((r.unseen() for r in roots), ZERO))
        meta = self.policy.meta
        return Result(
            policy_id=meta.id, policy_name=meta.name, policy_version=meta.version,
            policy_digest=self.policy.digest, department=self.facts.department,
            facts_file=self.facts.file, facts_digest=self.facts.digest, max=max_total,
            total=decimals.normalise(total), grade=grade, grade_withheld=withheld, indicators=roots,
            min_places=self.policy.display.display.min_places,
            max_places=self.policy.display.display.max_places, inferred_rules=self.policy.inferred_rules,
            inferred_parameters=self.policy.inferred_parameters,
            findings=self.facts.findings,
            declared_max=self.policy.total.max if self.policy.total.weights_note else None,
            weights_note=self.policy.total.weights_note,
            title=meta.report_title,
            tables=self.tables(),
        )

    def tables(self) -> tuple[TableFact, ...]:
        def cell(name: str) -> Decimal | None:
            found = self.facts.values.get(name)
            return found.value if found is not None and isinstance(found.value, Decimal) else None

        return tuple(TableFact(t.name, t.spec.unit, t.spec.rows, t.spec.columns,
                               tuple(tuple(cell(cell_name(t.name, r, c)) for c in t.spec.columns) for r in t.spec.rows))
                     for t in self.policy.tables)

    def node(self, node: CompiledIndicator) -> IndicatorScore:
        scored = self.scored(node)
        return dataclasses.replace(scored, core=True) if node.core else scored

    def scored(self, node: CompiledIndicator) -> IndicatorScore:
        name = self.facts.indicator_names.get(node.id, node.name)
        if node.leaf is not None:
            return self.leaf(node, node.leaf, name)
        if node.unseen:  # the score is unknown: 0 known points, all of max unseen (IndicatorScore.unseen)
            return IndicatorScore(node.id, name, node.max, ZERO, Status.UNSEEN, (), (), None, node.location)
        children = tuple([self.node(c) for c in node.children])
        score = ZERO
        excluded = ZERO
        for compiled, scored in zip(node.children, children, strict=True):
            score += scored.score
            if compiled.max is not None:
                excluded += compiled.max - (scored.max or ZERO)
        assert node.max is not None
        return IndicatorScore(node.id, name, node.max - excluded, decimals.normalise(score), Status.SCORED,
                              children, (), None, node.location, node.weights_note)

    def leaf(self, node: CompiledIndicator, plan: LeafPlan, name: str) -> IndicatorScore:
        weight = node.max if node.max is not None else ZERO
        if plan.rule.applicable_if is not None and self.is_not_applicable(plan):
            return _not_applicable(node, plan, name, weight)
        outcome = self.outcome(plan, weight)
        score = self.rounding.round(outcome.score)
        adjusts = plan.kind.adjusts_total
        status = Status.ADJUSTMENT if adjusts else Status.SCORED
        if not self.trace:  # the one guard: everything below only explains the score
            return IndicatorScore(node.id, name, node.max, score, status, (), (), None, node.location)
        computation = outcome.computation
        if score != outcome.score:
            computation += f" → {decimals.fmt(score)}{self.rounding.note}"
        lost = -score if adjusts else weight - score
        deductions = _Deductions(self.policy, self.facts, node, plan).build(outcome, lost, computation)
        return IndicatorScore(node.id, name, node.max, score, status, (), deductions, computation, node.location)

    def is_not_applicable(self, plan: LeafPlan) -> bool:
        if plan.rule.applicable_if is None:
            return False
        return any(b.case is Marker.NOT_APPLICABLE for key in plan.probes for _, fired in self.fired.get(key, [])
                   for b in fired)

    def outcome(self, plan: LeafPlan, weight: Decimal) -> Outcome:
        got = self.fired.get
        fired = tuple([tuple(got(key, ())) for key in plan.probes])
        try:
            exact = plan.plan.exact_facts()
            if exact:  # ``compare: exact``: the rule sees the derived facts unrounded, and says so
                return _compared_exactly(plan.plan.score(weight, fired, _unrounded(self.facts, exact)),
                                         self.facts, exact)
            return plan.plan.score(weight, fired, self.facts)
        except NoMatch:
            raise _no_match(plan, _reads(plan, self.facts)) from None
        except Ambiguous as err:
            raise JixiaoError(ErrorCode.EVAL_AMBIGUOUS,
                              f"规则 {plan.rule.id} 同时命中多个分支（{err}），档次重叠", plan.location) from None

    def grading(self, total: Decimal, unseen: Decimal) -> tuple[str | None, str | None]:
        """The grade, or ``None`` and why it is withheld: unseen points could move the total into another grade."""
        if not self.policy.grading.enabled:
            return None, None
        low = self.grade(total)
        if not unseen:
            return self.policy.grading.grades[low].grade, None
        top = self.policy.total.cap if self.policy.total.cap is not None else self.policy.total.max
        high_total = min(total + unseen, top)
        high = self.grade(high_total)
        if high == low:  # both ends in one grade interval, so every total between them is too
            return self.policy.grading.grades[low].grade, None
        names = self.policy.grading.grades
        return None, (f"有 {decimals.fmt(unseen)} 分的指标原表未见，总分在 {decimals.fmt(total)} 至 "
                      f"{decimals.fmt(high_total)} 之间：{decimals.fmt(total)} 分为「{names[low].grade}」，"
                      f"{decimals.fmt(high_total)} 分为「{names[high].grade}」，等级无法确定")

    def grade(self, total: Decimal) -> int:
        """The index of the grade whose interval holds ``total``, as the firing engine decides it."""
        pair = bounds(total, self.policy.scale)
        assert pair is not None
        (names,) = self.backend.fire(self.policy, [("grade", {"x_lo": pair[0], "x_hi": pair[1]})])
        branches = self.policy.branch_of["grade"]
        grades = [b.index for b in (branches[n] for n in names) if b.case is GradeCase.GRADE and b.index is not None]
        if len(grades) != 1:
            raise JixiaoError(ErrorCode.EVAL_NO_MATCH, f"总分 {decimals.fmt(total)} 不属于任何一个等级（或属于多个）",
                              SourceLocation(self.policy.file, 1, 1), "grading.grades")
        return grades[0]


def _unrounded(facts: Facts, names: tuple[str, ...]) -> Facts:
    """``facts`` with each of ``names`` that was rounded by its declaration at its value before rounding."""
    changed = {n: replace(fact, value=fact.exact) for n in names
               if (fact := facts.values.get(n)) is not None and fact.exact is not None}
    return replace(facts, values={**facts.values, **changed}) if changed else facts


def _compared_exactly(outcome: Outcome, facts: Facts, names: tuple[str, ...]) -> Outcome:
    """The outcome, its computation led by which value was compared: the unrounded one, the rounded beside it."""
    said = []
    for name in names:
        fact = facts.values.get(name)
        if fact is not None and fact.exact is not None and isinstance(fact.value, Decimal):
            unit = "%" if fact.unit == "%" else ""
            said.append(f"「{name}」按未舍入值 {decimals.show(fact.exact)}{unit} 比较"
                        f"（compare: exact；舍入后为 {decimals.fmt(fact.value)}{unit}）")
    if not said:
        return outcome
    head = "；".join(said) + "："
    return replace(outcome, computation=head + outcome.computation,
                   parts=tuple(replace(p, computation=head + p.computation) for p in outcome.parts))


@dataclass(frozen=True, slots=True)
class _Rounding:
    """The policy's rounding of each scored indicator, worked out once per policy."""

    places: int
    mode: str
    rounding: str  # the decimal module's constant
    quantum: Decimal
    note: str  # what a computation says after the rounded score

    @classmethod
    def of(cls, policy: CompiledPolicy) -> _Rounding:
        places, mode = policy.rounding.places, policy.rounding.mode
        note = f"（{decimals.ROUNDING_NAMES[mode]}至 {places} 位）"
        return cls(places, mode, decimals.ROUNDING_MODES[mode], Decimal(1).scaleb(-places), note)

    def round(self, value: Decimal) -> Decimal:
        """:func:`decimals.quantize` with this rounding (the same result; the usual case without a new context)."""
        if value.adjusted() + self.places + 2 > decimal.getcontext().prec:
            return decimals.quantize(value, self.places, self.mode)
        rounded = value.quantize(self.quantum, rounding=self.rounding)
        return rounded.copy_abs() if rounded.is_zero() else rounded


def _not_applicable(node: CompiledIndicator, plan: LeafPlan, name: str, weight: Decimal) -> IndicatorScore:
    assert plan.rule.applicable_if is not None
    if plan.rule.not_applicable == "exclude":
        text = f"「{plan.rule.applicable_if}」= 否：不适用，不计分（分值 {decimals.fmt(weight)} 不计入上级）"
        return IndicatorScore(node.id, name, ZERO, ZERO, Status.EXCLUDED, (), (), text, node.location)
    text = f"「{plan.rule.applicable_if}」= 否：不适用，按满分 {decimals.fmt(weight)} 计算"
    return IndicatorScore(node.id, name, node.max, weight, Status.NOT_APPLICABLE, (), (), text, node.location)


def _no_match(plan: LeafPlan, reads: tuple[FactRead, ...]) -> JixiaoError:
    facts = "、".join(f"「{r.name}」= {_plain(r.value)}（{r.location}）" for r in reads)
    where = next((r.location for r in reads if r.location), plan.location)
    return JixiaoError(ErrorCode.EVAL_NO_MATCH, f"规则 {plan.rule.id}（{plan.location}）没有任何档次或情形覆盖 {facts}",
                       where)


class _Deductions:
    """Every lost point of one scored indicator, each with its reason; a rounding residue flagged."""

    def __init__(self, policy: CompiledPolicy, facts: Facts, node: CompiledIndicator, plan: LeafPlan) -> None:
        self.policy, self.facts, self.node, self.plan = policy, facts, node, plan

    def build(self, outcome: Outcome, lost: Decimal, computation: str) -> tuple[Deduction, ...]:
        if lost == 0 and not outcome.parts:
            return ()
        parts = outcome.parts
        places, mode = self.policy.rounding.places, self.policy.rounding.mode
        if len(parts) == 1:
            points, texts = [lost], [computation]
        else:
            points = [decimals.quantize(p.points, places, mode) for p in parts]
            texts = [p.computation for p in parts]
        reads = _with_inferred(_reads(self.plan, self.facts), self.policy)
        out = [self.one(part, pts, text, reads) for part, pts, text in zip(parts, points, texts, strict=True)]
        residue = lost - sum(points, ZERO)
        if residue:
            text = f"各项扣分按 {places} 位舍入后的差额 {decimals.fmt(residue)}"
            out.append(self.one(Part(residue, text), residue, text, reads, residue=True))
        return tuple(d for d in out if d.points)

    def one(self, part: Part, points: Decimal, text: str, reads: tuple[FactRead, ...], *,
            residue: bool = False) -> Deduction:
        rule, node = self.plan.rule, self.node
        shown = reads if residue else self.plan.plan.part_reads(part, reads, self.facts)
        return Deduction(
            indicator_id=node.id, ancestors=node.ancestors, rule_id=rule.id, rule_kind=rule.kind,
            wording=part.wording or rule.wording, provenance=rule.provenance, facts=shown,
            computation=text, threshold=part.threshold, points=decimals.normalise(points),
            floored=part.floored, capped=part.capped, location=self.plan.location, item=part.item,
            judgement=part.judgement, note="舍入差额" if residue else rule.note, residue=residue,
            inferred=tuple(rule.inferred.items()),
        )


def _reads(plan: LeafPlan, facts: Facts) -> tuple[FactRead, ...]:
    """The facts the rule read, each followed by the inputs it was derived from."""
    names = list(plan.reads)
    out: list[FactRead] = []
    seen: set[str] = set()
    while names:
        name = names.pop(0)
        fact = facts.values.get(name)
        if name in seen or fact is None:
            continue
        seen.add(name)
        out.append(_read(fact))
        names.extend(fact.inputs)
    return tuple(out)


def _with_inferred(reads: tuple[FactRead, ...], policy: CompiledPolicy) -> tuple[FactRead, ...]:
    """Each read with the inferred parts of its declaration (``facts.X.inferred``), those that have any."""
    inferred = {d.name: tuple(d.spec.inferred.items()) for d in policy.facts if d.spec.inferred}
    if not inferred:
        return reads
    return tuple(replace(r, inferred=inferred[r.name]) if r.name in inferred else r for r in reads)


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return decimals.fmt(value)
    if isinstance(value, tuple):
        return f"{len(value)} 项目标"
    return str(value)


def _read(fact: FactValue) -> FactRead:
    value = fact.value
    shown: Decimal | bool | str = f"{len(value)} 项目标" if isinstance(value, tuple) else value
    return FactRead(fact.name, shown, fact.unit, fact.location, fact.derivation, fact.quote, fact.source, fact.note)


def facts_read(policy: CompiledPolicy, node: CompiledIndicator) -> set[str]:
    """Every fact a leaf's score depends on: the facts its rule reads and, through derivations, their inputs."""
    if node.leaf is None:
        return set()
    inputs = {d.name: expr.free_names(d.derive) for d in policy.facts if d.derive is not None}
    found: set[str] = set()
    todo = list(node.leaf.reads)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(inputs.get(name, ()))
    return found
