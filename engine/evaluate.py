"""(CompiledPolicy, Facts) → :class:`Result` (stage: evaluate; pure but for the firing engine).

Facts are classified into exact integer messages (``engine.firing.messages``), the firing backend
says which branch of each rule holds, each rule's compiled plan (``engine.rules``) computes the
points with ``Decimal``, each scored indicator is rounded as the policy declares, inner nodes sum
the rounded scores, and every lost point becomes a :class:`Deduction` carrying the rule's wording,
the facts with their file:line and the computation.
"""

from __future__ import annotations

import decimal
import threading
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Literal, TypeVar

from engine import decimals
from engine.compile import CompiledIndicator, CompiledPolicy, GradeCase, LeafPlan
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.facts import Facts, FactValue
from engine.firing.backends import Backend, default_backend
from engine.firing.conditions import Branch, Marker, bounds
from engine.firing.messages import Messages
from engine.program import LeafStep, NodeStep, Program, program
from engine.records import deduction, explain_now, fact_read, indicator_score
from engine.records import result as result_record
from engine.rules.base import Ambiguous, Fired, Firing, NoMatch
from engine.scoring import Outcome, Part
from engine.tables import cell_name
from engine.trace import Deduction, FactRead, IndicatorScore, Result, Status, TableFact

__all__ = ["evaluate", "facts_read"]

ZERO = Decimal(0)
Detail = Literal["full", "scores"]
_Scored = TypeVar("_Scored", Outcome, Decimal)  # what a rule plan's ``score`` or ``points`` gives
_SCORED, _NOT_APPLICABLE = Status.SCORED, Marker.NOT_APPLICABLE  # bound once (engine.firing.conditions: _SEEN)
_EXPLAINING = threading.RLock()  # two threads reading one leaf's explanation: one makes it, then the other; re-entrant


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
    if detail not in ("full", "scores"):
        raise ValueError(f"detail must be 'full' or 'scores', not {detail!r}")
    steps = program(policy)
    with decimal.localcontext(steps.rounding.context):
        return _Run(policy, facts, backend, detail == "full", steps).result()


class _Run:
    """Fires every message once, then scores the tree bottom-up."""

    def __init__(self, policy: CompiledPolicy, facts: Facts, backend: Backend, trace: bool, steps: Program) -> None:
        self.policy, self.facts, self.backend, self.trace = policy, facts, backend, trace
        self.program = steps
        self.rounding = self.program.rounding
        self.reads: dict[str, FactRead] = {}  # each fact's record, made once per evaluation
        self.names = facts.indicator_names  # a project's own indicator names (project forms), usually none
        sent = Messages(policy, facts)
        fired = backend.fire(policy, sent.messages)
        branch_of = policy.branch_of
        self.fired: dict[str, list[Firing]] = {}
        made = self.fired
        found = made.get
        for message, names in zip(sent.sent, fired, strict=True):
            key = message.probe.key
            branches = branch_of[key]
            if len(names) == 1:  # the usual answer, without building a list
                for name in names:
                    picked: tuple[Branch, ...] = (branches[name],)
            else:
                picked = tuple([branches[n] for n in names])
            earlier = found(key)
            if earlier is None:
                made[key] = [(message.target, picked)]
            else:
                earlier.append((message.target, picked))

    def result(self) -> Result:
        made, total, max_total = [], ZERO, ZERO
        for step in self.program.roots:  # one loop: each root scored, its score and max added up
            root = self.node(step)
            made.append(root)
            total += root.score
            max_total += root.max or ZERO
        roots = tuple(made)
        cap = self.policy.total.cap
        if cap is not None and total > cap:
            total = cap
        unseen = sum([r.unseen() for r in roots], ZERO) if self.program.has_unseen else ZERO
        grade, withheld = self.grading(total, unseen)
        meta = self.policy.meta
        return result_record(  # Result(...), its fields in order
            meta.id, meta.name, meta.version, self.policy.digest, self.facts.department, self.facts.file,
            self.facts.digest, max_total, decimals.normalise(total), grade, roots,
            self.policy.display.display.min_places, self.policy.display.display.max_places,
            self.policy.inferred_rules, self.facts.findings,
            self.policy.total.max if self.policy.total.weights_note else None, self.policy.total.weights_note,
            meta.report_title, self.tables() if self.policy.tables else (), self.policy.inferred_parameters, withheld,
        )

    def tables(self) -> tuple[TableFact, ...]:
        def cell(name: str) -> Decimal | None:
            found = self.facts.values.get(name)
            return found.value if found is not None and isinstance(found.value, Decimal) else None

        return tuple(TableFact(t.name, t.spec.unit, t.spec.rows, t.spec.columns,
                               tuple(tuple(cell(cell_name(t.name, r, c)) for c in t.spec.columns) for r in t.spec.rows))
                     for t in self.policy.tables)

    def node(self, step: NodeStep) -> IndicatorScore:
        node = step.node
        names = self.names
        name = names.get(node.id, node.name) if names else node.name
        if step.leaf is not None:
            return self.leaf(step.leaf, name)
        if node.unseen:  # the score is unknown: 0 known points, all of max unseen (IndicatorScore.unseen)
            return IndicatorScore(node.id, name, node.max, ZERO, Status.UNSEEN, (), (), None, node.location,
                                  core=node.core)
        made, score = [], ZERO
        leaf = self.leaf
        for child in step.children:  # one loop: each child scored, and added up; a leaf without a call of node()
            if child.leaf is None:
                scored = self.node(child)
            else:
                scored = leaf(child.leaf, names.get(child.node.id, child.node.name) if names else child.node.name)
            score += scored.score
            made.append(scored)
        children = tuple(made)
        assert node.max is not None
        excluded = ZERO  # an excluded child leaves its declared max out of this node's
        if step.excludes:
            excluded = sum([c.node.max - (scored.max or ZERO)
                            for c, scored in zip(step.children, children, strict=True) if c.node.max is not None], ZERO)
        if score.is_zero():  # decimals.normalise, inline
            score = score.copy_abs()
        return indicator_score(node.id, name, node.max - excluded, score, _SCORED,
                               children, (), None, node.location, node.weights_note, node.core)

    def leaf(self, step: LeafStep, name: str) -> IndicatorScore:
        node = step.node
        if step.applicable_if is not None and self.is_not_applicable(step):
            return _not_applicable(node, step.plan, name, step.weight)
        got = self.fired.get  # what the rule plan scores: the branches fired for each probe, and the facts
        fired = [got(step.probe, ())] if step.probe is not None else [got(key, ()) for key in step.probes]
        facts = _unrounded(self.facts, step.exact) if step.exact else self.facts  # ``compare: exact``
        try:  # scored(), inline: a call less per leaf
            exact = step.points(step.weight, fired, facts)
        except (NoMatch, Ambiguous) as err:
            raise self.failure(step, err) from None
        try:  # the evaluation's context rounds as the policy declares
            score = exact.quantize(self.rounding.quantum)
        except decimal.InvalidOperation:  # more digits than the context holds: decimals.quantize raises it
            score = decimals.quantize(exact, self.rounding.places, self.rounding.mode)
        if score.is_zero():
            score = score.copy_abs()
        # the one guard on the trace: everything else only explains the score, when first read
        explain = (_Run.explain, self, step, exact, score, fired, facts) if self.trace else None
        return indicator_score(node.id, name, node.max, score, step.status, (), (), None, node.location, None,
                               node.core, explain)

    def explain(self, step: LeafStep, exact: Decimal, score: Decimal, fired: Fired, facts: Facts,
                leaf: IndicatorScore) -> None:
        """Explain a scored leaf when its explanation is first read (``engine.trace._Explained``).

        In the context the score was computed in, from the branches and facts it was computed from; a
        leaf whose explanation fails stays unexplained, so reading it again raises again.
        """
        with _EXPLAINING, decimal.localcontext(self.rounding.context):
            outcome = self.scored(step, step.score, fired, facts)
            explain_now(leaf, *self.explanation(step, exact, score, outcome))

    def explanation(self, step: LeafStep, exact: Decimal, score: Decimal, outcome: Outcome
                    ) -> tuple[str, tuple[Deduction, ...]]:
        """A scored leaf's computation and deductions, from its rule's explained outcome."""
        if step.exact:  # the rule saw the derived facts unrounded: its computation says so
            outcome = _compared_exactly(outcome, self.facts, step.exact)
        computation = outcome.computation
        if score != exact:
            computation += f" → {decimals.fmt(score)}{self.rounding.note}"
        lost = -score if step.adjusts else step.weight - score
        deductions = self.deductions(step, outcome, lost, computation) if lost or outcome.parts else ()
        return computation, deductions

    def is_not_applicable(self, step: LeafStep) -> bool:
        return any(b.case is _NOT_APPLICABLE for key in step.probes for _, fired in self.fired.get(key, [])
                   for b in fired)

    def scored(self, step: LeafStep, score: Callable[[Decimal, Fired, Facts], _Scored], fired: Fired,
               facts: Facts) -> _Scored:
        """The rule plan's ``score`` or ``points`` for this leaf, its errors told with the facts read."""
        try:
            return score(step.weight, fired, facts)
        except (NoMatch, Ambiguous) as err:
            raise self.failure(step, err) from None

    def failure(self, step: LeafStep, err: NoMatch | Ambiguous) -> JixiaoError:
        """What a rule plan's ``NoMatch`` or ``Ambiguous`` means for this leaf, with the facts it read."""
        if isinstance(err, NoMatch):
            return _no_match(step.plan, self.reads_of(step))
        return JixiaoError(ErrorCode.EVAL_AMBIGUOUS, f"规则 {step.rule_id} 同时命中多个分支（{err}），档次重叠",
                           step.location)

    def deductions(self, step: LeafStep, outcome: Outcome, lost: Decimal, computation: str) -> tuple[Deduction, ...]:
        """Every lost point of one scored indicator, each with its reason; a rounding residue flagged."""
        parts = outcome.parts
        rounding = self.rounding
        if len(parts) == 1:
            points, texts = [lost], [computation]
        else:
            points = [decimals.quantize(p.points, rounding.places, rounding.mode) for p in parts]
            texts = [p.computation for p in parts]
        reads = self.reads_of(step)
        plan = step.plan.plan
        out = [self.one(step, part, pts, text, plan.part_reads(part, reads, self.facts))
               for part, pts, text in zip(parts, points, texts, strict=True)]
        residue = lost - sum(points, ZERO)
        if residue:
            text = f"各项扣分按 {rounding.places} 位舍入后的差额 {decimals.fmt(residue)}"
            out.append(self.one(step, Part(residue, text), residue, text, reads, residue=True))
        return tuple([d for d in out if d.points])

    @staticmethod
    def one(step: LeafStep, part: Part, points: Decimal, text: str, shown: tuple[FactRead, ...], *,
            residue: bool = False) -> Deduction:
        return deduction(
            *step.head, part.wording or step.wording,
            step.provenance, shown, text, part.threshold, decimals.normalise(points), part.floored, part.capped,
            step.location, part.item, part.judgement, "舍入差额" if residue else step.note, residue, step.inferred,
        )

    def reads_of(self, step: LeafStep) -> tuple[FactRead, ...]:
        """The facts the rule read, each followed by the inputs it was derived from (with inferred parts)."""
        values, made, inferred = self.facts.values, self.reads, self.program.fact_inferred
        names = list(step.plan.reads)
        out: list[FactRead] = []
        seen: set[str] = set()
        while names:
            name = names.pop(0)
            if name in seen:
                continue
            read = made.get(name)
            if read is None:
                fact = values.get(name)
                if fact is None:
                    continue
                read = made[name] = _read(fact, inferred.get(name, ()))
            seen.add(name)
            out.append(read)
            names.extend(values[name].inputs)
        return tuple(out)

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


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return decimals.fmt(value)
    if isinstance(value, tuple):
        return f"{len(value)} 项目标"
    return str(value)


def _read(fact: FactValue, inferred: tuple[tuple[str, str], ...] = ()) -> FactRead:
    value = fact.value
    shown: Decimal | bool | str = f"{len(value)} 项目标" if isinstance(value, tuple) else value
    return fact_read(fact.name, shown, fact.unit, fact.location, fact.derivation, fact.quote, fact.source, fact.note,
                     inferred)


def facts_read(policy: CompiledPolicy, node: CompiledIndicator) -> set[str]:
    """Every fact a leaf's score depends on: the facts its rule reads and, through derivations, their inputs."""
    if node.leaf is None:
        return set()
    inputs = {d.name: d.inputs for d in policy.facts}
    found: set[str] = set()
    todo = list(node.leaf.reads)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(inputs.get(name, ()))
    return found
