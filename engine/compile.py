"""Policy → :class:`CompiledPolicy` (stage: compile; pure).

Parses every expression and interval once, orders derived facts by dependency, builds one
:class:`LeafPlan` per scored indicator and the firing table (probes and branches) that the
firing engine evaluates, scaled to exact integers. The digest is the SHA-256 of the canonical
policy, so results name exactly the policy that produced them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from engine import expr
from engine.firing import limits
from engine.check import check_policy, indicator_paths
from engine.check_values import check_bands, check_compared_units, check_derived, check_rule_values, fact_interval
from engine.firing.conditions import AnyOf, Branch, Input, Probe, Test, complement_tests, interval_tests
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation
from engine.facts import ConstraintDecl, FactDecl
from engine.intervals import Interval, IntervalSyntaxError, gaps, parse_interval
from engine.schema import (
    AdjustmentRule,
    BandsRule,
    ChecklistRule,
    ComparisonRule,
    Grading,
    Indicator,
    JudgementRule,
    Meta,
    PerCountRule,
    PerPointRule,
    Policy,
    ProportionalRule,
    Rounding,
    Rule,
    ScoreRounding,
    TargetsRule,
    Total,
)
from engine.source import Path, SourceDoc, field_path

__all__ = ["CompiledIndicator", "CompiledPolicy", "LeafPlan", "compile_policy"]

RULESET_LIMIT = limits.RULESET_LIMIT
MAX_SCALE = 10


@dataclass(frozen=True, slots=True)
class LeafPlan:
    """What scoring needs for one rule, parsed once."""

    rule: Rule
    location: SourceLocation
    probes: tuple[str, ...]
    intervals: tuple[Interval, ...] = ()
    cases: tuple[expr.Expr, ...] = ()
    zero_at: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CompiledIndicator:
    """A node of the compiled tree."""

    id: str
    name: str
    max: Decimal | None
    ancestors: tuple[str, ...]
    children: tuple[CompiledIndicator, ...]
    leaf: LeafPlan | None
    location: SourceLocation

    def walk(self) -> Iterator[CompiledIndicator]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy ready to evaluate many fact files."""

    meta: Meta
    file: str
    digest: str
    rounding: Rounding
    display: ScoreRounding
    total: Total
    grading: Grading
    grade_intervals: tuple[Interval, ...]
    facts: tuple[FactDecl, ...]
    constraints: tuple[ConstraintDecl, ...]
    indicators: tuple[CompiledIndicator, ...]
    probes: tuple[Probe, ...]
    rulesets: tuple[tuple[str, tuple[str, ...]], ...]
    scale: int
    by_key: Mapping[str, Probe]
    ruleset_of: Mapping[str, int]
    rules: Mapping[str, Rule]
    inferred_rules: int

    def nodes(self) -> Iterator[CompiledIndicator]:
        """Every node, depth first in policy order."""
        for root in self.indicators:
            yield from root.walk()

    def indicator_ids(self) -> frozenset[str]:
        """All indicator ids."""
        return frozenset(n.id for n in self.nodes())



def policy_digest(policy: Policy) -> str:
    """SHA-256 of the canonical JSON of the validated policy."""
    canonical = json.dumps(policy.model_dump(mode="json"), ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def compile_policy(policy: Policy, doc: SourceDoc) -> CompiledPolicy:
    """Check and compile a validated policy.

    Raises:
        PolicyErrors: every problem found, sorted by location and capped.
    """
    problems = check_policy(policy, doc)
    builder = _Builder(policy, doc, problems)
    facts = builder.fact_decls()
    constraints = builder.constraints()
    indicators = tuple(builder.indicator(node, path, ()) for path, node, anc in indicator_paths(policy)
                       if not anc)
    grade_intervals = builder.grades()
    if problems:
        raise PolicyErrors(problems)
    scale = builder.scale()
    probes = tuple(_scale_probe(p, scale) for p in builder.probes)
    _check_limits(probes, indicators, doc)
    digest = policy_digest(policy)
    rulesets = _group(probes, digest)
    leaf_rules = [n.leaf.rule for root in indicators for n in root.walk() if n.leaf]
    return CompiledPolicy(
        meta=policy.policy, file=doc.file, digest=digest, rounding=policy.rounding.score,
        display=policy.rounding, total=policy.total, grading=policy.grading,
        grade_intervals=grade_intervals, facts=facts, constraints=constraints, indicators=indicators,
        probes=probes,
        rulesets=rulesets, scale=scale, by_key={p.key: p for p in probes},
        ruleset_of={key: i for i, (_, keys) in enumerate(rulesets) for key in keys},
        rules={rule.id: rule for rule in leaf_rules},
        inferred_rules=sum(1 for rule in leaf_rules if rule.provenance == "inferred"),
    )


def _check_limits(probes: tuple[Probe, ...], indicators: tuple[CompiledIndicator, ...], doc: SourceDoc) -> None:
    """Reject, before durable_rules sees it, any probe that could exceed one of its limits."""
    where = {n.leaf.rule.id: n.leaf.location for root in indicators for n in root.walk() if n.leaf}
    problems = [Problem(ErrorCode.FIRING_LIMIT, message, where.get(p.rule_id) or doc.locate(("grading",)))
                for p in probes if (message := limits.limit_problem(p)) is not None]
    if problems:
        raise PolicyErrors(problems)


class _Builder:
    def __init__(self, policy: Policy, doc: SourceDoc, problems: list[Problem]) -> None:
        self.policy, self.doc, self.problems = policy, doc, problems
        self.probes: list[Probe] = []
        self.constants: list[Decimal] = []

    def fail(self, code: ErrorCode, path: Path, message: str) -> None:
        self.problems.append(Problem(code, message, self.doc.locate(path), field_path(path)))

    # -- facts ---------------------------------------------------------------------------
    def fact_decls(self) -> tuple[FactDecl, ...]:
        decls: dict[str, FactDecl] = {}
        for name, spec in self.policy.facts.items():
            path: Path = ("facts", name, "derive")
            parsed = self.parse_expr(spec.derive, path) if spec.derive else None
            if isinstance(parsed, expr.Compare | expr.BoolOp):
                self.fail(ErrorCode.EXPR_TYPE, path, f"派生事实「{name}」的公式应得出数值，「{spec.derive}」是条件")
                parsed = None
            if parsed is not None:
                self.problems.extend(check_derived(self.doc, name, spec, parsed))
            decls[name] = FactDecl(name, spec, self.doc.locate(("facts", name), key=True), parsed)
        return self.order(decls)

    def constraints(self) -> tuple[ConstraintDecl, ...]:
        out = []
        for i, constraint in enumerate(self.policy.constraints):
            path: Path = ("constraints", i, "when")
            parsed = self.parse_expr(constraint.when, path)
            if parsed is None:
                continue
            if not isinstance(parsed, expr.Compare | expr.BoolOp):
                self.fail(ErrorCode.EXPR_NOT_ALLOWED, path, f"约束「{constraint.when}」应为比较（如 a <= b）")
                continue
            out.append(ConstraintDecl(parsed, constraint.message, self.doc.locate(path)))
        return tuple(out)

    def parse_expr(self, text: str, path: Path) -> expr.Expr | None:
        try:
            return expr.parse(text, self.expr_location(path), self.policy.facts, field=field_path(path))
        except JixiaoError as err:
            self.problems.append(err.problem)
            return None

    def expr_location(self, path: Path) -> SourceLocation:
        loc = self.doc.locate(path)
        quoted = self.doc.styles.get(path) in ("'", '"')
        return SourceLocation(loc.file, loc.line, loc.col + (1 if quoted else 0))

    def order(self, decls: dict[str, FactDecl]) -> tuple[FactDecl, ...]:
        ordered: dict[str, FactDecl] = {}
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in ordered:
                return
            decl = decls[name]
            if name in visiting:
                self.fail(ErrorCode.POLICY_CYCLE, ("facts", name, "derive"), f"派生事实「{name}」循环引用自身")
                return
            visiting.add(name)
            for dep in expr.free_names(decl.derive) if decl.derive else ():
                visit(dep)
            visiting.discard(name)
            ordered.setdefault(name, decl)

        for name in decls:
            visit(name)
        return tuple(ordered.values())

    # -- indicators ----------------------------------------------------------------------
    def indicator(self, node: Indicator, path: Path, ancestors: tuple[str, ...]) -> CompiledIndicator:
        children = tuple(self.indicator(c, (*path, "children", i), (*ancestors, node.name))
                         for i, c in enumerate(node.children))
        leaf = self.leaf(node, (*path, "rule")) if node.rule is not None else None
        if node.max is not None:
            self.constants.append(node.max)
        return CompiledIndicator(node.id, node.name, node.max, ancestors, children, leaf,
                                 self.doc.locate(path))

    def leaf(self, node: Indicator, path: Path) -> LeafPlan:
        rule = node.rule
        assert rule is not None
        self.problems.extend(check_rule_values(self.policy, node, path, self.doc))
        location = self.doc.locate(path)
        plan = LeafPlan(rule, location, ())
        keys: list[str] = []
        for probe in self.rule_probes(node, rule, path):
            keys.append(probe.key)
            self.probes.append(probe)
        return replace(self.plan_details(node, rule, path, plan), probes=tuple(keys))

    def plan_details(self, node: Indicator, rule: Rule, path: Path, plan: LeafPlan) -> LeafPlan:
        match rule:
            case BandsRule():
                return replace(plan, intervals=self.checked_bands(rule, path))
            case JudgementRule():
                return replace(plan, intervals=tuple(self.interval(t.range, (*path, "tiers", i, "range"))
                                                     for i, t in enumerate(rule.tiers)))
            case ComparisonRule():
                return replace(plan, cases=self.checked_cases(rule, path))
            case PerPointRule() | PerCountRule():
                return replace(plan, zero_at=_zero_excess(node, rule))
        return plan

    def interval(self, text: str, path: Path) -> Interval:
        try:
            found = parse_interval(text)
        except IntervalSyntaxError as err:
            hint = err.hint or "应为 [80, 90)、(0, 10]、≥ 90、< 80 或 = 0 这样的形式"
            self.fail(ErrorCode.POLICY_INTERVAL, path, f"区间「{text}」写法不对：{hint}")
            return Interval(None, False, None, False)
        self.constants.extend(v for v in (found.lo, found.hi) if v is not None)
        return found

    def band_intervals(self, rule: BandsRule, path: Path) -> tuple[Interval, ...]:
        return tuple(self.interval(b.when, (*path, "bands", i, "when")) for i, b in enumerate(rule.bands))

    def checked_bands(self, rule: BandsRule, path: Path) -> tuple[Interval, ...]:
        intervals = self.band_intervals(rule, path)
        within = fact_interval(self.policy.facts.get(rule.fact))
        self.problems.extend(check_bands(self.doc, (*path, "bands"), intervals, within, f"规则 {rule.id} "))
        return intervals

    def case_exprs(self, rule: ComparisonRule, path: Path) -> list[expr.Expr | None]:
        return [self.parse_expr(c.when, (*path, "cases", i, "when")) for i, c in enumerate(rule.cases)]

    def checked_cases(self, rule: ComparisonRule, path: Path) -> tuple[expr.Expr, ...]:
        parsed = self.case_exprs(rule, path)
        for i, case in enumerate(parsed):
            if case is not None:
                self.problems.extend(check_compared_units(self.policy, self.doc, (*path, "cases", i, "when"), case))
        return tuple(c for c in parsed if c is not None)

    # -- probes --------------------------------------------------------------------------
    def rule_probes(self, node: Indicator, rule: Rule, path: Path) -> Iterator[Probe]:
        app = (Input("app", rule.applicable_if, "bool"),) if rule.applicable_if else ()
        for key, inputs, branches, each in self.raw_probes(node, rule, path):
            if app:
                branches = (Branch("na", (Test("app", "==", False),)),
                            *(Branch(b.name, (Test("app", "==", True), *b.cond)) for b in branches))
            yield Probe(key, rule.id, (*app, *inputs), tuple(branches), each)

    def raw_probes(self, node: Indicator, rule: Rule, path: Path
                   ) -> Iterator[tuple[str, tuple[Input, ...], tuple[Branch, ...], str | None]]:
        match rule:
            case ChecklistRule():
                for item in rule.items:
                    yield (f"{rule.id}/{item.id}", (Input("b", item.fact, "bool"),),
                           (Branch("met", (Test("b", "==", True),)), Branch("unmet", (Test("b", "==", False),))),
                           None)
            case TargetsRule():
                yield rule.id, (), _target_branches(), rule.fact
            case ComparisonRule():
                yield self.comparison_probe(rule, path)
            case JudgementRule():
                yield rule.id, self.judgement_inputs(rule), self.judgement_branches(rule, path), None
            case _:
                intervals = self.named_intervals(node, rule, path)
                branches = tuple(Branch(name, interval_tests("x", iv)) for name, iv in intervals)
                yield rule.id, (Input("x", rule.fact, "bounds"),), branches, None  # type: ignore[union-attr]

    def named_intervals(self, node: Indicator, rule: Rule, path: Path) -> list[tuple[str, Interval]]:
        match rule:
            case ProportionalRule():
                self.constants.append(rule.full_at)
                return [("full", Interval(rule.full_at, True, None, False)),
                        ("partial", Interval(None, False, rule.full_at, False))]
            case AdjustmentRule():
                lo, hi = -rule.max_penalty, rule.max_bonus
                self.constants += [lo, hi]
                return [("within", Interval(lo, True, hi, True)), ("above_cap", Interval(hi, False, None, False)),
                        ("below_floor", Interval(None, False, lo, False))]
            case BandsRule():
                bands = self.band_intervals(rule, path)
                named = [(f"band:{i}", iv) for i, iv in enumerate(bands)]
                return named + [(f"gap:{i}", g) for i, g in enumerate(gaps(bands))]
            case PerPointRule() | PerCountRule():
                return self.per_unit_intervals(node, rule)
        raise AssertionError(rule)

    def per_unit_intervals(self, node: Indicator, rule: PerPointRule | PerCountRule) -> list[tuple[str, Interval]]:
        threshold = rule.threshold if isinstance(rule, PerPointRule) else Decimal(0)
        above = not isinstance(rule, PerPointRule) or rule.direction == "above"
        excess = _zero_excess(node, rule)
        self.constants.append(threshold)
        if excess is None:
            zero: Interval | None = None
        else:
            closed = not (isinstance(rule, PerPointRule) and rule.counting == "partial")
            edge = threshold + excess if above else threshold - excess
            self.constants.append(edge)
            zero = Interval(edge, closed, None, False) if above else Interval(None, False, edge, closed)
        within = Interval(None, False, threshold, True) if above else Interval(threshold, True, None, False)
        outside = gaps([within]) if zero is None else gaps([within, zero])
        named = [("within", within)] + [("over", iv) for iv in outside]
        return named + ([("zeroed", zero)] if zero is not None else [])

    def comparison_probe(self, rule: ComparisonRule, path: Path
                         ) -> tuple[str, tuple[Input, ...], tuple[Branch, ...], None]:
        inputs: dict[str, Input] = {}
        branches = [Branch("seen", ())]
        for i, case in enumerate(self.case_exprs(rule, path)):
            if case is None:
                continue
            cond = self.case_cond(case, inputs, (*path, "cases", i, "when"))
            if cond is not None:
                branches.append(Branch(f"case:{i}", cond))
        return rule.id, tuple(inputs.values()), tuple(branches), None

    def case_cond(self, case: expr.Expr, inputs: dict[str, Input], path: Path) -> tuple[Test | AnyOf, ...] | None:
        parts = case.values if isinstance(case, expr.BoolOp) and case.op == "and" else (case,)
        out: list[Test | AnyOf] = []
        for part in parts:
            tests = self.compare_test(part, inputs, path)
            if tests is None:
                return None
            out.extend(tests)
        return tuple(out)

    def compare_test(self, part: expr.Expr, inputs: dict[str, Input], path: Path
                     ) -> tuple[Test | AnyOf, ...] | None:
        if isinstance(part, expr.BoolOp) and part.op == "or":
            alternatives = [self.compare_test(p, inputs, path) for p in part.values]
            if all(a is not None and len(a) == 1 and isinstance(a[0], Test) for a in alternatives):
                return (AnyOf(tuple(a[0] for a in alternatives if a and isinstance(a[0], Test))),)
        if isinstance(part, expr.Compare):
            return self.simple_compare(part, inputs, path)
        self.fail(ErrorCode.EXPR_NOT_ALLOWED, path,
                  f"比较条件「{expr.render(part)}」超出规则引擎可表达的范围：只能是「事实 比较 数字」或"
                  f"「事实 比较 事实」，用 and/or 连接（见 FINDINGS.md）")
        return None

    def simple_compare(self, part: expr.Compare, inputs: dict[str, Input], path: Path
                       ) -> tuple[Test | AnyOf, ...] | None:
        left, right, op = part.left, part.right, part.op
        if isinstance(left, expr.Num) and isinstance(right, expr.Name):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, expr.Name) and isinstance(right, expr.Num):
            field = inputs.setdefault(left.name, Input(f"f{len(inputs)}", left.name, "bounds")).field
            self.constants.append(right.value)
            return _literal_test(field, op, right.value)
        if isinstance(left, expr.Name) and isinstance(right, expr.Name):
            key = f"{left.name}\x00{right.name}"
            field = inputs.setdefault(key, Input(f"p{len(inputs)}", left.name, "pair", right.name)).field
            return (Test(f"{field}_l", op, other=f"{field}_r"),)
        self.fail(ErrorCode.EXPR_NOT_ALLOWED, path,
                  f"比较条件「{expr.render(part)}」超出规则引擎可表达的范围：两边只能是事实名或数字，"
                  f"不能含运算（见 FINDINGS.md）")
        return None

    def judgement_inputs(self, rule: JudgementRule) -> tuple[Input, ...]:
        tier = (Input("tier", rule.tier, "enum"),) if rule.tier else ()
        return (*tier, Input("c", rule.coefficient, "bounds"))

    def judgement_branches(self, rule: JudgementRule, path: Path) -> tuple[Branch, ...]:
        if not rule.tiers:
            return (Branch("stated", ()),)
        branches = []
        for i, tier in enumerate(rule.tiers):
            iv = self.interval(tier.range, (*path, "tiers", i, "range"))
            same = Test("tier", "==", tier.name)
            branches.append(Branch(f"tier:{i}", (same, *interval_tests("c", iv))))
            branches.append(Branch(f"reject:{i}", (same, complement_tests("c", iv))))
        return tuple(branches)

    def grades(self) -> tuple[Interval, ...]:
        grading = self.policy.grading
        if not grading.enabled:
            return ()
        intervals = tuple(self.interval(g.when, ("grading", "grades", i, "when")) for i, g in enumerate(grading.grades))
        top = self.policy.total.cap if self.policy.total.cap is not None else self.policy.total.max
        self.problems.extend(check_bands(self.doc, ("grading", "grades"), intervals,
                                         Interval(Decimal(0), True, top, True), "等级"))
        self.probes.append(Probe("grade", "grade", (Input("x", "总分", "bounds"),),
                                 tuple([Branch(f"grade:{i}", interval_tests("x", iv)) for i, iv in enumerate(intervals)]
                                       + [Branch(f"gap:{i}", interval_tests("x", g))
                                          for i, g in enumerate(gaps(intervals))])))
        return intervals

    def scale(self) -> int:
        places = [-(c.normalize().as_tuple().exponent) for c in self.constants if c.is_finite()]
        scale = max([0, *[p for p in places if isinstance(p, int)]])
        if scale > MAX_SCALE:
            self.fail(ErrorCode.FIRING_PRECISION, ("indicators",),
                      f"规则中的数值最多 {MAX_SCALE} 位小数，实际用到 {scale} 位")
            raise PolicyErrors(self.problems)
        return scale


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _literal_test(field: str, op: str, value: Decimal) -> tuple[Test | AnyOf, ...]:
    lo, hi = f"{field}_lo", f"{field}_hi"
    if op == "==":
        return Test(lo, "==", value), Test(hi, "==", value)
    if op == "!=":
        return (AnyOf((Test(lo, "!=", value), Test(hi, "!=", value))),)
    return ({">=": Test(lo, ">=", value), ">": Test(hi, ">", value),
             "<=": Test(hi, "<=", value), "<": Test(lo, "<", value)}[op],)


def _target_branches() -> tuple[Branch, ...]:
    higher, lower = Test("d", "==", "higher"), Test("d", "==", "lower")
    return (
        Branch("met", (higher, Test("a", ">=", other="t"))),
        Branch("short", (higher, Test("a", "<", other="t"))),
        Branch("met_lower", (lower, Test("a", "<=", other="t"))),
        Branch("over", (lower, Test("a", ">", other="t"))),
    )


def _zero_excess(node: Indicator, rule: PerPointRule | PerCountRule) -> Decimal | None:
    """How far past the threshold the score reaches its floor (扣完为止), if it has one."""
    if rule.floor is None or node.max is None:
        return None
    units = (node.max - rule.floor) / rule.points
    per = rule.per if isinstance(rule, PerPointRule) else Decimal(1)
    counting = rule.counting if isinstance(rule, PerPointRule) else "fractional"
    if counting == "fractional":
        return units * per
    steps = Decimal(math.ceil(units))
    return steps * per if counting == "whole" else max(steps - 1, Decimal(0)) * per


def _scale_probe(probe: Probe, scale: int) -> Probe:
    def test(t: Test) -> Test:
        if isinstance(t.value, Decimal):
            return replace(t, value=int(t.value.scaleb(scale)))
        return t

    def part(p: Test | AnyOf) -> Test | AnyOf:
        return AnyOf(tuple(test(t) for t in p.tests)) if isinstance(p, AnyOf) else test(p)

    return replace(probe, branches=tuple(Branch(b.name, tuple(part(p) for p in b.cond)) for b in probe.branches))


def _group(probes: tuple[Probe, ...], digest: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Split probes into rulesets of at most :data:`RULESET_LIMIT` durable rules, in order."""
    groups: list[tuple[str, list[str]]] = []
    size = RULESET_LIMIT
    for probe in probes:
        count = len(probe.branches)
        if size + count > RULESET_LIMIT:
            groups.append((f"jixiao_{digest[:16]}_{len(groups)}", []))
            size = 0
        groups[-1][1].append(probe.key)
        size += count
    return tuple((name, tuple(keys)) for name, keys in groups)
