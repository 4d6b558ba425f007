"""(CompiledPolicy, Facts) → :class:`Result` (stage: evaluate; pure but for the firing engine).

Facts are classified into exact integer messages, the firing backend says which branch of each
rule holds, ``engine.scoring`` computes the points with ``Decimal``, each scored indicator is
rounded as the policy declares, inner nodes sum the rounded scores, and every lost point becomes
a :class:`Deduction` carrying the rule's wording, the facts with their file:line and the computation.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from engine import decimals, expr, scoring
from engine.compile import CompiledIndicator, CompiledPolicy, LeafPlan
from engine.firing.conditions import Probe, bounds, scale_pair
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.facts import Facts, FactValue, Target
from engine.firing.backends import Backend, Message, default_backend
from engine.schema import (
    AdjustmentRule,
    BandsRule,
    ChecklistRule,
    ComparisonRule,
    JudgementRule,
    PerCountRule,
    PerPointRule,
    ProportionalRule,
    Rule,
    StepRule,
    TargetsRule,
)
from engine.trace import Deduction, FactRead, IndicatorScore, Result, RuleKind, Status

__all__ = ["evaluate", "facts_read", "rule_facts"]

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
    with decimal.localcontext() as ctx:
        ctx.prec = 34
        ctx.rounding = decimals.ROUNDING_MODES[policy.rounding.mode]
        ctx.traps[decimal.Inexact] = False
        if detail not in ("full", "scores"):
            raise ValueError(f"detail must be 'full' or 'scores', not {detail!r}")
        run = _Run(policy, facts, backend, detail == "full")
        return run.result()


@dataclass(frozen=True, slots=True)
class _Sent:
    probe: Probe
    target: Target | None = None


class _Run:
    def __init__(self, policy: CompiledPolicy, facts: Facts, backend: Backend, trace: bool) -> None:
        self.policy, self.facts, self.backend, self.trace = policy, facts, backend, trace
        messages, self.sent = self.messages()
        fired = backend.fire(policy, messages)
        self.fired: dict[str, list[tuple[_Sent, set[str]]]] = {}
        for sent, names in zip(self.sent, fired, strict=True):
            self.fired.setdefault(sent.probe.key, []).append((sent, names))

    # -- classification ------------------------------------------------------------------
    def messages(self) -> tuple[list[Message], list[_Sent]]:
        messages: list[Message] = []
        sent: list[_Sent] = []
        rules = self.policy.rules
        for probe in self.policy.probes:
            if probe.key == "grade":
                continue
            rule = rules[probe.rule_id]
            app = self.applicable(rule)
            base: dict[str, Any] = {} if app is None else {"app": app}
            if app is False:
                messages.append((probe.key, base))
                sent.append(_Sent(probe))
                continue
            if probe.each_target:
                for item in self.value(probe.each_target, rule):  # type: ignore[union-attr]
                    messages.append((probe.key, {**base, **self.target_fields(item)}))
                    sent.append(_Sent(probe, item))
                continue
            messages.append((probe.key, {**base, **self.fields(probe, rule)}))
            sent.append(_Sent(probe))
        return messages, sent

    def applicable(self, rule: Rule) -> bool | None:
        if not rule.applicable_if:
            return None
        value = self.value(rule.applicable_if, rule)
        assert isinstance(value, bool)
        return value

    def value(self, name: str, rule: Rule) -> Any:
        found = self.facts.values.get(name)
        if found is None:
            raise JixiaoError(ErrorCode.FACTS_MISSING, f"规则 {rule.id} 需要事实「{name}」，事实文件未填报",
                              SourceLocation(self.facts.file, 1, 1), f"facts.{name}")
        return found.value

    def fields(self, probe: Probe, rule: Rule) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in probe.inputs:
            if item.field == "app":
                continue
            value = self.value(item.fact, rule)
            if item.encoding == "bounds":
                pair = bounds(value, self.policy.scale)
                if pair is None:
                    raise self.too_large(item.fact)
                out[f"{item.field}_lo"], out[f"{item.field}_hi"] = pair
            elif item.encoding == "pair":
                assert item.other is not None
                scaled = scale_pair(value, self.value(item.other, rule))
                if scaled is None:
                    raise self.too_large(item.fact)
                out[f"{item.field}_l"], out[f"{item.field}_r"] = scaled
            else:
                out[item.field] = value
        return out

    def target_fields(self, item: Target) -> dict[str, Any]:
        scaled = scale_pair(item.actual, item.target)
        if scaled is None:
            raise JixiaoError(ErrorCode.FIRING_PRECISION, f"目标「{item.name}」的数值超出精确比较范围",
                              item.location)
        return {"d": item.direction, "a": scaled[0], "t": scaled[1]}

    def too_large(self, name: str) -> JixiaoError:
        fact = self.facts.values[name]
        return JixiaoError(ErrorCode.FIRING_PRECISION,
                           f"事实「{name}」的值 {fact.value} 在 {self.policy.scale} 位小数下"
                           "超出规则引擎的精确整数范围（2^53）",
                           fact.location, f"facts.{name}")

    # -- scoring -------------------------------------------------------------------------
    def result(self) -> Result:
        roots = tuple(self.node(n) for n in self.policy.indicators)
        total = sum((r.score for r in roots), ZERO)
        cap = self.policy.total.cap
        if cap is not None and total > cap:
            total = cap
        max_total = sum((r.max or ZERO for r in roots), ZERO)
        meta = self.policy.meta
        inferred = self.policy.inferred_rules
        return Result(
            policy_id=meta.id, policy_name=meta.name, policy_version=meta.version,
            policy_digest=self.policy.digest, department=self.facts.department,
            facts_file=self.facts.file, facts_digest=self.facts.digest, max=max_total,
            total=decimals.normalise(total), grade=self.grade(total), indicators=roots,
            min_places=self.policy.display.display.min_places,
            max_places=self.policy.display.display.max_places, inferred_rules=inferred,
        )

    def node(self, node: CompiledIndicator) -> IndicatorScore:
        name = self.facts.indicator_names.get(node.id, node.name)
        if node.leaf is not None:
            return self.leaf(node, node.leaf, name)
        children = tuple(self.node(c) for c in node.children)
        score = sum((c.score for c in children), ZERO)
        excluded = sum(((c_max - (c.max or ZERO)) for c, c_max in self.declared(node, children)), ZERO)
        assert node.max is not None
        return IndicatorScore(node.id, name, node.max - excluded, decimals.normalise(score), Status.SCORED,
                              children, (), None, node.location)

    def declared(self, node: CompiledIndicator, children: Sequence[IndicatorScore]
                 ) -> Iterator[tuple[IndicatorScore, Decimal]]:
        for compiled, scored in zip(node.children, children, strict=True):
            if compiled.max is not None:
                yield scored, compiled.max

    def leaf(self, node: CompiledIndicator, plan: LeafPlan, name: str) -> IndicatorScore:
        rule = plan.rule
        weight = node.max if node.max is not None else ZERO
        if self.is_not_applicable(plan):
            return self.not_applicable(node, plan, name, weight)
        outcome = self.outcome(node, plan, weight)
        places, mode = self.policy.rounding.places, self.policy.rounding.mode
        score = decimals.quantize(outcome.score, places, mode)
        status = Status.ADJUSTMENT if isinstance(rule, AdjustmentRule) else Status.SCORED
        if not self.trace:  # the one guard: everything below only explains the score
            return IndicatorScore(node.id, name, node.max, score, status, (), (), None, node.location)
        computation = outcome.computation
        if score != outcome.score:
            computation += f" → {decimals.fmt(score)}（{decimals.ROUNDING_NAMES[mode]}至 {places} 位）"
        lost = -score if isinstance(rule, AdjustmentRule) else weight - score
        deductions = self.deductions(node, plan, outcome, lost, computation)
        return IndicatorScore(node.id, name, node.max, score, status, (), deductions, computation, node.location)

    def is_not_applicable(self, plan: LeafPlan) -> bool:
        if plan.rule.applicable_if is None:
            return False
        return any("na" in names for key in plan.probes for _, names in self.fired.get(key, []))

    def not_applicable(self, node: CompiledIndicator, plan: LeafPlan, name: str, weight: Decimal) -> IndicatorScore:
        assert plan.rule.applicable_if is not None
        if plan.rule.not_applicable == "exclude":
            text = f"「{plan.rule.applicable_if}」= 否：不适用，不计分（分值 {decimals.fmt(weight)} 不计入上级）"
            return IndicatorScore(node.id, name, ZERO, ZERO, Status.EXCLUDED, (), (), text, node.location)
        text = f"「{plan.rule.applicable_if}」= 否：不适用，按满分 {decimals.fmt(weight)} 计算"
        return IndicatorScore(node.id, name, node.max, weight, Status.NOT_APPLICABLE, (), (), text, node.location)

    def single(self, plan: LeafPlan) -> tuple[_Sent, str]:
        (sent, names), = self.fired[plan.probes[0]]
        if len(names) == 1:
            (name,) = names
            if not name.startswith("gap:") and name != "seen":
                return sent, name
        names = names - {"seen"}
        gap = sorted(n for n in names if n.startswith("gap:"))
        if gap or not names:
            raise self.no_match(plan)
        if len(names) > 1 and not isinstance(plan.rule, ComparisonRule):
            raise JixiaoError(ErrorCode.EVAL_AMBIGUOUS,
                              f"规则 {plan.rule.id} 同时命中多个分支（{'、'.join(sorted(names))}），档次重叠",
                              plan.location)
        return sent, min(names, key=_branch_order)

    def no_match(self, plan: LeafPlan) -> JixiaoError:
        reads = self.reads(plan)
        facts = "、".join(f"「{r.name}」= {_plain(r.value)}（{r.location}）" for r in reads)
        where = next((r.location for r in reads if r.location), plan.location)
        return JixiaoError(ErrorCode.EVAL_NO_MATCH,
                           f"规则 {plan.rule.id}（{plan.location}）没有任何档次或情形覆盖 {facts}", where)

    def outcome(self, node: CompiledIndicator, plan: LeafPlan, weight: Decimal) -> scoring.Outcome:
        rule = plan.rule
        if isinstance(rule, ChecklistRule):
            return scoring.combine([self.item(plan, i) for i in range(len(rule.items))])
        if isinstance(rule, TargetsRule):
            return self.targets(plan, weight)
        if isinstance(rule, ComparisonRule):
            return self.comparison(plan, weight)
        _, branch = self.single(plan)
        return self.scalar(rule, plan, weight, branch)

    def scalar(self, rule: Rule, plan: LeafPlan, weight: Decimal, branch: str) -> scoring.Outcome:
        match rule:
            case ProportionalRule():
                return scoring.proportional(weight, self.num(rule.fact), rule.full_at, branch, self.unit(rule.fact))
            case PerPointRule() | StepRule():
                params = scoring.PerUnit(rule.threshold, rule.direction == "above", rule.points, rule.per,
                                         rule.counting, rule.floor)
                return scoring.per_unit(weight, self.num(rule.fact), params, branch, self.unit(rule.fact))
            case PerCountRule():
                params = scoring.PerUnit(ZERO, True, rule.points, Decimal(1), "whole", rule.floor)
                return scoring.per_unit(weight, self.num(rule.fact), params, branch, self.unit(rule.fact))
            case BandsRule():
                index = int(branch.split(":")[1])
                band = rule.bands[index]
                return scoring.bands(weight, self.num(rule.fact), plan.intervals[index], band.points, band.label,
                                     self.unit(rule.fact))
            case AdjustmentRule():
                return scoring.adjustment(self.num(rule.fact), rule.max_bonus, rule.max_penalty, branch)
            case JudgementRule():
                return self.judgement(rule, plan, weight, branch)
        raise AssertionError(rule)

    def judgement(self, rule: JudgementRule, plan: LeafPlan, weight: Decimal, branch: str) -> scoring.Outcome:
        coefficient = self.num(rule.coefficient)
        if branch == "stated":
            return scoring.judgement(weight, coefficient, None, None)
        kind, index = branch.split(":")
        tier = rule.tiers[int(index)]
        if kind == "reject":
            fact = self.facts.values[rule.coefficient]
            raise JixiaoError(ErrorCode.EVAL_JUDGEMENT_RANGE,
                              f"评定等次「{tier.name}」的系数应在 {plan.intervals[int(index)].describe()}% 之间，"
                              f"填报的是 {decimals.fmt(coefficient)}%", fact.location, f"facts.{rule.coefficient}")
        return scoring.judgement(weight, coefficient, tier.name, plan.intervals[int(index)])

    def item(self, plan: LeafPlan, index: int) -> scoring.Outcome:
        rule = plan.rule
        assert isinstance(rule, ChecklistRule)
        item = rule.items[index]
        (_, names), = self.fired[plan.probes[index]]
        if names not in ({"met"}, {"unmet"}):
            raise self.no_match(plan)
        return scoring.checklist_item(item.fact, item.points, "met" in names, item.id, item.wording)

    def targets(self, plan: LeafPlan, weight: Decimal) -> scoring.Outcome:
        fired = self.fired[plan.probes[0]]
        share = weight / len(fired)
        outcomes = []
        for sent, names in fired:
            if len(names) != 1 or sent.target is None:
                raise self.no_match(plan)
            outcomes.append(scoring.target(share, sent.target, next(iter(names))))
        return scoring.combine(outcomes)

    def comparison(self, plan: LeafPlan, weight: Decimal) -> scoring.Outcome:
        rule = plan.rule
        assert isinstance(rule, ComparisonRule)
        (_, names), = self.fired[plan.probes[0]]
        cases = sorted(int(n.split(":")[1]) for n in names if n.startswith("case:"))
        env = {n: v.value for n, v in self.facts.values.items() if isinstance(v.value, Decimal)}
        if cases:
            case = rule.cases[cases[0]]
            points = case.points
            text = f"{expr.render(plan.cases[cases[0]], env)} 成立，得 {decimals.fmt(points)}"
            threshold = expr.render(plan.cases[cases[0]])
        elif rule.otherwise is not None:
            points = rule.otherwise
            text = f"所列情形均不成立，按其他情形得 {decimals.fmt(points)}"
            threshold = "其他情形"
        else:
            raise self.no_match(plan)
        parts = (scoring.Part(weight - points, text, threshold),) if points < weight else ()
        return scoring.Outcome(points, text, parts)

    def num(self, name: str) -> Decimal:
        value = self.facts.values[name].value
        assert isinstance(value, Decimal)
        return value

    def unit(self, name: str) -> str:
        unit = self.facts.values[name].unit
        return "%" if unit == "%" else ""

    # -- deductions ----------------------------------------------------------------------
    def deductions(self, node: CompiledIndicator, plan: LeafPlan, outcome: scoring.Outcome,
                   lost: Decimal, computation: str) -> tuple[Deduction, ...]:
        if lost == 0 and not outcome.parts:
            return ()
        parts = outcome.parts
        places, mode = self.policy.rounding.places, self.policy.rounding.mode
        if len(parts) == 1:
            points = [lost]
            texts = [computation]
        else:
            points = [decimals.quantize(p.points, places, mode) for p in parts]
            texts = [p.computation for p in parts]
        reads = self.reads(plan)
        out = [self.deduction(node, plan, part, pts, text, reads) for part, pts, text in zip(parts, points, texts,
                                                                                               strict=True)]
        residue = lost - sum(points, ZERO)
        if residue:
            out.append(Deduction(node.id, node.ancestors, plan.rule.id, RuleKind(plan.rule.kind), plan.rule.wording,
                                 plan.rule.provenance, reads,
                                 f"各项扣分按 {places} 位舍入后的差额 {decimals.fmt(residue)}",
                                 None, residue, False, False, plan.location, note="舍入差额"))
        return tuple(d for d in out if d.points)

    def deduction(self, node: CompiledIndicator, plan: LeafPlan, part: scoring.Part, points: Decimal,
                  text: str, reads: tuple[FactRead, ...]) -> Deduction:
        rule = plan.rule
        if isinstance(rule, ChecklistRule) and part.item:
            item = next(i for i in rule.items if i.id == part.item)
            reads = tuple(r for r in reads if r.name == item.fact)
        if isinstance(rule, TargetsRule) and part.item:
            reads = self.target_reads(rule, part.item)
        return Deduction(
            indicator_id=node.id, ancestors=node.ancestors, rule_id=rule.id, rule_kind=RuleKind(rule.kind),
            wording=part.wording or rule.wording, provenance=rule.provenance, facts=reads,
            computation=text, threshold=part.threshold, points=decimals.normalise(points),
            floored=part.floored, capped=part.capped, location=plan.location, item=part.item,
            judgement=part.judgement, note=rule.note,
        )

    def reads(self, plan: LeafPlan) -> tuple[FactRead, ...]:
        names = list(rule_facts(plan.rule, plan.cases))
        out: list[FactRead] = []
        seen: set[str] = set()
        while names:
            name = names.pop(0)
            fact = self.facts.values.get(name)
            if name in seen or fact is None:
                continue
            seen.add(name)
            out.append(_read(fact))
            names.extend(fact.inputs)
        return tuple(out)

    def target_reads(self, rule: TargetsRule, name: str) -> tuple[FactRead, ...]:
        items = self.facts.values[rule.fact].value
        assert isinstance(items, tuple)
        return tuple(FactRead(f"{rule.fact}·{t.name}", f"指标 {decimals.fmt(t.target)} / 完成 {decimals.fmt(t.actual)}",
                              t.unit, t.location) for t in items if t.name == name)

    def grade(self, total: Decimal) -> str | None:
        if not self.policy.grading.enabled:
            return None
        probe = self.policy.by_key["grade"]
        pair = bounds(total, self.policy.scale)
        assert pair is not None
        (names,) = self.backend.fire(self.policy, [(probe.key, {"x_lo": pair[0], "x_hi": pair[1]})])
        grades = [int(n.split(":")[1]) for n in names if n.startswith("grade:")]
        if len(grades) != 1:
            raise JixiaoError(ErrorCode.EVAL_NO_MATCH, f"总分 {decimals.fmt(total)} 不属于任何一个等级（或属于多个）",
                              SourceLocation(self.policy.file, 1, 1), "grading.grades")
        return self.policy.grading.grades[grades[0]].grade


def _branch_order(name: str) -> tuple[int, str]:
    head, _, index = name.partition(":")
    return (int(index) if index.isdigit() else 0, head)


def _plain(value: Any) -> str:
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
    return FactRead(fact.name, shown, fact.unit, fact.location, fact.derivation, fact.quote)


def rule_facts(rule: Rule, cases: Sequence[expr.Expr] = ()) -> Iterator[str]:
    """The facts a rule reads directly, in a stable order (``cases``: a comparison's parsed cases)."""
    if rule.applicable_if:
        yield rule.applicable_if
    match rule:
        case ChecklistRule():
            yield from (i.fact for i in rule.items)
        case JudgementRule():
            yield from ([rule.tier] if rule.tier else [])
            yield rule.coefficient
        case ComparisonRule():
            yield from dict.fromkeys(n for case in cases for n in expr.free_names(case))
        case _:
            yield rule.fact  # type: ignore[union-attr]


def facts_read(policy: CompiledPolicy, node: CompiledIndicator) -> set[str]:
    """Every fact a leaf's score depends on: the facts its rule reads and, through derivations, their inputs."""
    if node.leaf is None:
        return set()
    inputs = {d.name: expr.free_names(d.derive) for d in policy.facts if d.derive is not None}
    found: set[str] = set()
    todo = list(rule_facts(node.leaf.rule, node.leaf.cases))
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(inputs.get(name, ()))
    return found
