"""Policy → :class:`CompiledPolicy` (stage: compile; pure).

One pass over the policy: every expression, interval, case and tier is parsed once, where it stands,
by the rule's kind (``engine.rules``), which checks it and plans the rule; a part that fails to parse
is reported once and poisons only what depends on it, so no problem cascades. Derived facts are
ordered by dependency, the grades become a probe like any rule's, and the firing table is scaled to
exact integers and checked against durable_rules' limits. Every problem (limits and precision
included) is collected and raised together. The digest is the SHA-256 of the canonical policy, so
results name exactly the policy that produced them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine import expr
from engine.check import check_policy
from engine.check_values import check_derived
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation
from engine.facts import ConstraintDecl, FactDecl
from engine.firing import table
from engine.firing.conditions import Branch, Case, Input, Marker, Probe, interval_tests
from engine.intervals import Interval, IntervalSyntaxError, gaps, parse_interval
from engine.memo import per_policy
from engine.rules import kind_of
from engine.rules.base import Kind, RulePlan
from engine.rules.checks import cover_problems
from engine.schema import FactSpec, Grading, Indicator, Meta, Policy, Rounding, Rule, ScoreRounding, Total
from engine.source import Path, SourceDoc, field_path
from engine.tables import TableDecl, declared_facts, table_decls
from engine.trace import Finding

__all__ = ["CompiledIndicator", "CompiledPolicy", "GradeCase", "LeafPlan", "compile_policy"]

RULESET_LIMIT = table.RULESET_LIMIT
MAX_SCALE = table.MAX_SCALE


class GradeCase(Case):
    """The total is in grade *i* (``grade:i``)."""

    GRADE = "grade", "等级"


@dataclass(frozen=True, slots=True)
class LeafPlan:
    """One scored indicator's rule, compiled once: its kind, its plan and its probe keys.

    ``plan`` is bound here, at compile time, so evaluation calls it directly; ``reads`` are the facts
    the rule reads directly (its applicability first).
    """

    rule: Rule
    kind: Kind
    plan: RulePlan
    location: SourceLocation
    probes: tuple[str, ...]
    reads: tuple[str, ...]


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
    weights_note: str | None = None
    unseen: bool = False
    core: bool = False

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
    branch_of: Mapping[str, Mapping[str, Branch]]
    inferred_parameters: int = 0
    # a project-form template (engine.project_form): a fact document → (its project's policy, the document,
    # the row checks declared ``warning`` that failed)
    instantiate: Callable[[SourceDoc], tuple[CompiledPolicy, SourceDoc, tuple[Finding, ...]]] | None = field(
        default=None, compare=False)
    tables: tuple[TableDecl, ...] = ()  # table facts; each cell is one of ``facts`` (``表[行][列]``)

    def nodes(self) -> Iterator[CompiledIndicator]:
        """Every node, depth first in policy order."""
        for root in self.indicators:
            yield from root.walk()

    def indicator_ids(self) -> frozenset[str]:
        """All indicator ids (worked out once: every fact file's validation asks)."""
        return per_policy("indicator-ids", self, lambda: frozenset(n.id for n in self.nodes()))

    def rule_reads(self) -> tuple[tuple[str, str | None, tuple[str, ...], SourceLocation], ...]:
        """Each rule: its id, its ``applicable_if`` fact, the facts it reads directly and its location (once)."""
        return per_policy("rule-reads", self, lambda: tuple(
            (n.leaf.rule.id, n.leaf.rule.applicable_if, n.leaf.reads, n.leaf.location)
            for n in self.nodes() if n.leaf is not None))


def policy_digest(policy: Policy) -> str:
    """SHA-256 of the canonical JSON of the validated policy."""
    canonical = json.dumps(_without_later_defaults(policy.model_dump(mode="json")), ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _without_later_defaults(dumped: dict[str, Any]) -> dict[str, Any]:
    """The dump without keys added later at their defaults, so a policy that does not use them keeps its digest."""
    if dumped.get("project_form") is None:
        dumped.pop("project_form", None)
    if dumped["policy"].get("report_title") == "部门整体支出绩效自评":
        dumped["policy"].pop("report_title")

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            rule = node.get("rule")
            if isinstance(rule, dict) and rule.get("kind") == "judgement" and rule.get("points") is None:
                rule.pop("points", None)
            walk(node.get("children") or [])

    walk(dumped["indicators"])
    return dumped


def compile_policy(policy: Policy, doc: SourceDoc) -> CompiledPolicy:
    """Check and compile a validated policy.

    Raises:
        PolicyErrors: every problem found, sorted by location and capped.
    """
    problems = check_policy(policy, doc)
    parser = _Parser(policy, doc, problems)
    facts = _order(parser, _fact_decls(parser))
    constraints = _constraints(parser)
    tree = _Tree(parser)
    indicators = tree.roots()
    grade_intervals = _grades(parser, tree.probes)
    probes, scale = _firing_table(parser, tree)
    if problems:
        raise PolicyErrors(problems)
    digest = policy_digest(policy)
    rulesets = table.group(probes, digest)
    leaf_rules = [n.leaf.rule for root in indicators for n in root.walk() if n.leaf]
    return CompiledPolicy(
        meta=policy.policy, file=doc.file, digest=digest, rounding=policy.rounding.score,
        display=policy.rounding, total=policy.total, grading=policy.grading,
        grade_intervals=grade_intervals, facts=facts, constraints=constraints, indicators=indicators,
        probes=probes, rulesets=rulesets, scale=scale, by_key={p.key: p for p in probes},
        ruleset_of={key: i for i, (_, keys) in enumerate(rulesets) for key in keys},
        rules={rule.id: rule for rule in leaf_rules},
        inferred_rules=sum(1 for rule in leaf_rules if rule.provenance == "inferred" or rule.inferred),
        inferred_parameters=sum(len(rule.inferred) for rule in leaf_rules)
        + sum(len(spec.inferred) for spec in policy.facts.values()),
        branch_of={p.key: {b.name: b for b in p.branches} for p in probes},
        tables=table_decls(policy, doc),
    )


class _Parser:
    """Parses expressions and intervals where they stand; a failure is reported once and returns ``None``."""

    def __init__(self, policy: Policy, doc: SourceDoc, problems: list[Problem]) -> None:
        self.policy, self.doc, self.problems = policy, doc, problems
        self.declared = declared_facts(policy, doc)[0]  # its clashes are check_policy's problems
        self.specs = {name: spec for name, (spec, _) in self.declared.items()}
        self.types = {name: spec.type for name, spec in self.specs.items()}

    def fail(self, code: ErrorCode, path: Path, message: str) -> None:
        self.problems.append(Problem(code, message, self.doc.locate(path), field_path(path)))

    def parse_expr(self, text: str, path: Path) -> expr.Expr | None:
        try:
            return expr.parse(text, self.expr_location(path), self.specs, field=field_path(path), types=self.types)
        except JixiaoError as err:
            self.problems.append(err.problem)
            return None

    def expr_location(self, path: Path) -> SourceLocation:
        loc = self.doc.locate(path)
        quoted = self.doc.styles.get(path) in ("'", '"')
        return SourceLocation(loc.file, loc.line, loc.col + (1 if quoted else 0))

    def interval(self, text: str, path: Path) -> Interval | None:
        try:
            return parse_interval(text)
        except IntervalSyntaxError as err:
            hint = err.hint or "应为 [80, 90)、(0, 10]、≥ 90、< 80 或 = 0 这样的形式"
            self.fail(ErrorCode.POLICY_INTERVAL, path, f"区间「{text}」写法不对：{hint}")
            return None


class _RuleContext:
    """What a kind sees while it plans one rule (``engine.rules.base.Compiling``): paths relative to the rule."""

    def __init__(self, parser: _Parser, path: Path, weight: Decimal | None) -> None:
        self.parser, self.path, self._weight = parser, path, weight

    @property
    def weight(self) -> Decimal | None:
        return self._weight

    def locate(self, path: Path) -> SourceLocation:
        return self.parser.doc.locate((*self.path, *path))

    def interval(self, text: str, path: Path) -> Interval | None:
        return self.parser.interval(text, (*self.path, *path))

    def expression(self, text: str, path: Path) -> expr.Expr | None:
        return self.parser.parse_expr(text, (*self.path, *path))

    def fact(self, name: str) -> FactSpec | None:
        return self.parser.specs.get(name)

    def problem(self, code: ErrorCode, path: Path, message: str) -> None:
        self.parser.fail(code, (*self.path, *path), message)

    def label(self, name: str) -> str:
        word = getattr(self.parser.policy.policy.labels, name)
        assert isinstance(word, str)
        return word


# -- facts and constraints ---------------------------------------------------------------------
def _fact_decls(parser: _Parser) -> dict[str, FactDecl]:
    decls: dict[str, FactDecl] = {}
    for name, (spec, declared_at) in parser.declared.items():
        if spec.type == "table":
            continue  # its cells are facts of their own (engine.tables)
        path: Path = ("facts", name, "derive")
        parsed = parser.parse_expr(spec.derive, path) if spec.derive else None
        if isinstance(parsed, expr.Compare | expr.BoolOp):
            parser.fail(ErrorCode.EXPR_TYPE, path, f"派生事实「{name}」的公式应得出数值，「{spec.derive}」是条件")
            parsed = None
        if parsed is not None:
            parser.problems.extend(check_derived(parser.doc, name, spec, parsed))
        decls[name] = FactDecl(name, spec, parser.doc.locate(declared_at, key=True), parsed)
    return decls


def _order(parser: _Parser, decls: dict[str, FactDecl]) -> tuple[FactDecl, ...]:
    """Derived facts after the facts they are derived from; a cycle is a problem."""
    ordered: dict[str, FactDecl] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        decl = decls[name]
        if name in visiting:
            parser.fail(ErrorCode.POLICY_CYCLE, ("facts", name, "derive"), f"派生事实「{name}」循环引用自身")
            return
        visiting.add(name)
        for dep in decl.inputs:
            visit(dep)
        visiting.discard(name)
        ordered.setdefault(name, decl)

    for name in decls:
        visit(name)
    return tuple(ordered.values())


def _constraints(parser: _Parser) -> tuple[ConstraintDecl, ...]:
    out = []
    for i, constraint in enumerate(parser.policy.constraints):
        path: Path = ("constraints", i, "when")
        parsed = parser.parse_expr(constraint.when, path)
        if parsed is None:
            continue
        if not isinstance(parsed, expr.Compare | expr.BoolOp):
            parser.fail(ErrorCode.EXPR_NOT_ALLOWED, path, f"约束「{constraint.when}」应为比较（如 a <= b）")
            continue
        out.append(ConstraintDecl(parsed, constraint.message, parser.doc.locate(path), constraint.severity))
    return tuple(out)


# -- the indicator tree ------------------------------------------------------------------------
class _Tree:
    """Builds the compiled tree; each leaf's kind plans its rule once and gives its probes."""

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser
        self.probes: list[Probe] = []
        self.maxima: list[Decimal] = []
        self.where: dict[str, SourceLocation] = {}

    def roots(self) -> tuple[CompiledIndicator, ...]:
        return tuple(self.node(n, ("indicators", i), ()) for i, n in enumerate(self.parser.policy.indicators))

    def node(self, node: Indicator, path: Path, ancestors: tuple[str, ...]) -> CompiledIndicator:
        children = tuple(self.node(c, (*path, "children", i), (*ancestors, node.name))
                         for i, c in enumerate(node.children))
        leaf = self.leaf(node.rule, (*path, "rule"), node.max) if node.rule is not None else None
        if node.max is not None:
            self.maxima.append(node.max)
        return CompiledIndicator(node.id, node.name, node.max, ancestors, children, leaf, self.parser.doc.locate(path),
                                 node.weights_note, node.unseen, node.core)

    def leaf(self, rule: Rule, path: Path, weight: Decimal | None) -> LeafPlan | None:
        kind = kind_of(rule)
        plan = kind.plan(rule, _RuleContext(self.parser, path, weight))
        if plan is None:  # a part did not parse: reported, and nothing depends on it
            return None
        probes = [table.with_applicability(p, rule.applicable_if) if rule.applicable_if else p for p in plan.probes()]
        self.probes.extend(probes)
        location = self.parser.doc.locate(path)
        self.where[rule.id] = location
        reads = ((rule.applicable_if,) if rule.applicable_if else ()) + plan.reads()
        return LeafPlan(rule, kind, plan, location, tuple(p.key for p in probes), reads)


def _grades(parser: _Parser, probes: list[Probe]) -> tuple[Interval, ...]:
    """The grade intervals, checked to cover 0 to the total; their probe joins ``probes``."""
    grading, total = parser.policy.grading, parser.policy.total
    if not grading.enabled:
        return ()
    parsed = [parser.interval(g.when, ("grading", "grades", i, "when")) for i, g in enumerate(grading.grades)]
    intervals = tuple(iv for iv in parsed if iv is not None)
    if len(intervals) < len(parsed):
        return intervals
    top = total.cap if total.cap is not None else total.max
    for sub, code, message in cover_problems(intervals, Interval(Decimal(0), True, top, True), "等级"):
        parser.fail(code, ("grading", "grades", *sub), message)
    branches = [Branch.of(GradeCase.GRADE, interval_tests("x", iv), i) for i, iv in enumerate(intervals)]
    branches += [Branch.of(Marker.GAP, interval_tests("x", g), i) for i, g in enumerate(gaps(intervals))]
    probes.append(Probe("grade", "grade", (Input("x", "总分", "bounds"),), tuple(branches)))
    return intervals


def _firing_table(parser: _Parser, tree: _Tree) -> tuple[tuple[Probe, ...], int]:
    """The probes scaled to exact integers; precision and limit problems join the others."""
    probes, scale, over = table.build(tree.probes, tree.maxima)
    if over:
        parser.fail(ErrorCode.FIRING_PRECISION, ("indicators",),
                    f"规则中的数值最多 {MAX_SCALE} 位小数，实际用到 {scale} 位")
    grading = parser.doc.locate(("grading",))
    for rule_id, message in table.limit_problems(probes):
        parser.problems.append(Problem(ErrorCode.FIRING_LIMIT, message, tree.where.get(rule_id) or grading))
    return probes, scale
