"""Comparison rule (比较): cases over two or more facts; the first case that holds wins (stage: rules).

Each case is a conjunction of comparisons ``fact op number`` or ``fact op fact`` (``or`` of single
comparisons allowed): exactly what durable_rules can compare on exact integers. Anything else is a
located ``expr.not_allowed`` at compile time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine import decimals, expr
from engine.errors import ErrorCode, SourceLocation
from engine.firing.conditions import AnyOf, Branch, Case, Input, Marker, Probe, Test
from engine.rules.base import Compiling, Direction, FactRef, Fired, Kind, Model, NoMatch, RuleBase, RulePlan, only
from engine.rules.checks import check_points
from engine.rules.inversion import Change, Known, Plain, change, current
from engine.scoring import Outcome, Part
from engine.source import Path
from engine.trace import Deduction

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["KIND", "ComparisonCase", "ComparisonPlan", "ComparisonRule", "PlannedCase"]

Cond = tuple[Test | AnyOf, ...]
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OPS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "="}
_BEYOND = "超出规则引擎可表达的范围"


class ComparisonCase(Model):
    """A case: a comparison of facts (and literals) and the points it earns."""

    when: str = Field(description="条件（白名单表达式，可比较多个事实，如 资金结余 > 0 and 资金结余 <= 上年结转）")
    points: Decimal = Field(description="条件成立时的得分")
    label: str | None = Field(default=None, description="情形名称（扣分记录中显示）")


class ComparisonRule(RuleBase):
    """Cases over two (or more) facts; the first case that holds wins."""

    kind: Literal["comparison"] = Field(description="规则类型：comparison")
    cases: tuple[ComparisonCase, ...] = Field(min_length=1, description="各情形：恰好一个条件成立，得其分")
    otherwise: Decimal | None = Field(default=None, description="没有条件成立时的得分（不写则报错）")


class Cases(Case):
    """Case *i* holds (``case:i``); an always-true ``seen`` marker makes every message handled."""

    CASE = "case", "情形"


_CASE = Cases.CASE  # bound once (engine.firing.conditions: _SEEN)


@dataclass(frozen=True, slots=True)
class PlannedCase:
    """A case as compiled: its expression (parsed once), its firing condition, points and place."""

    expr: expr.Expr
    cond: Cond
    points: Decimal
    label: str | None
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class ComparisonPlan(RulePlan):
    """A comparison, planned: every case located, parsed and turned into tests once."""

    rule_id: str
    cases: tuple[PlannedCase, ...]
    inputs: tuple[Input, ...]
    otherwise: Decimal | None

    def probes(self) -> tuple[Probe, ...]:
        """One branch per case, and the ``seen`` marker."""
        branches = (Branch.of(Marker.SEEN, ()), *(Branch.of(Cases.CASE, c.cond, i) for i, c in enumerate(self.cases)))
        return (Probe(self.rule_id, self.rule_id, self.inputs, branches),)

    def reads(self) -> tuple[str, ...]:
        """Every fact the cases name, in order."""
        return tuple(dict.fromkeys(n for case in self.cases for n in expr.free_names(case.expr)))

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """The first case that holds, else ``otherwise``."""
        held = sorted(b.index for b in only(fired) if b.case is _CASE and b.index is not None)
        if held:
            case = self.cases[held[0]]
            env = {n: v.value for n, v in facts.values.items() if isinstance(v.value, Decimal)}
            points = case.points
            text = f"{expr.render(case.expr, env)} 成立，得 {decimals.fmt(points)}"
            threshold = expr.render(case.expr)
        elif self.otherwise is not None:
            points = self.otherwise
            text = f"所列情形均不成立，按其他情形得 {decimals.fmt(points)}"
            threshold = "其他情形"
        else:
            raise NoMatch
        parts = (Part(weight - points, text, threshold),) if points < weight else ()
        return Outcome(points, text, parts)

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """Meet the first full-marks case, when it compares one fact with a number or another fact."""
        index = next((i for i, c in enumerate(self.cases) if c.points >= weight), None)
        if index is None:
            return Plain("所列情形都不能得满分")
        case = self.cases[index].expr
        label = f"（{self.cases[index].label}）" if self.cases[index].label else ""
        if isinstance(case, expr.Compare) and case.op in _OPS and isinstance(case.left, expr.Name):
            if isinstance(case.right, expr.Num):
                return change(facts, case.left.name, case.right.value, _OPS[case.op], deduction.points)
            other = current(facts, case.right.name) if isinstance(case.right, expr.Name) else None
            if other is not None:
                return change(facts, case.left.name, other, _OPS[case.op], deduction.points)
        return Plain(f"须满足「{expr.render(case)}」{label}才能得满分")

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """Every number a fact is compared with."""
        for case in self.cases:
            yield from _literals(case.expr)

    def scalar(self) -> str | None:
        """None: cases read several facts."""
        return None

    def expected(self, value: Decimal) -> str | None:
        """None: not a one-number rule."""
        return None

    def direction(self) -> Direction | None:
        """None: not a one-number rule."""
        return None


def _literals(node: expr.Expr) -> Iterator[tuple[str, Decimal]]:
    if isinstance(node, expr.Compare) and isinstance(node.left, expr.Name) and isinstance(node.right, expr.Num):
        yield node.left.name, node.right.value
    if isinstance(node, expr.BoolOp):
        for value in node.values:
            yield from _literals(value)


class _Conditions:
    """Turns parsed cases into tests, sharing one message field per fact (or pair of facts)."""

    def __init__(self, ctx: Compiling) -> None:
        self.ctx = ctx
        self.inputs: dict[str, Input] = {}

    def case(self, case: expr.Expr, path: Path) -> Cond | None:
        parts = case.values if isinstance(case, expr.BoolOp) and case.op == "and" else (case,)
        out: list[Test | AnyOf] = []
        for part in parts:
            tests = self.compare(part, path)
            if tests is None:
                return None
            out.extend(tests)
        return tuple(out)

    def compare(self, part: expr.Expr, path: Path) -> Cond | None:
        if isinstance(part, expr.BoolOp) and part.op == "or":
            alternatives = [self.compare(p, path) for p in part.values]
            if any(a is None for a in alternatives):
                return None  # already reported
            if all(a is not None and len(a) == 1 and isinstance(a[0], Test) for a in alternatives):
                return (AnyOf(tuple(a[0] for a in alternatives if a and isinstance(a[0], Test))),)
        if isinstance(part, expr.Compare):
            return self.simple(part, path)
        self.ctx.problem(ErrorCode.EXPR_NOT_ALLOWED, path,
                         f"比较条件「{expr.render(part)}」{_BEYOND}：只能是「事实 比较 数字」或"
                         f"「事实 比较 事实」，用 and/or 连接（见 FINDINGS.md）")
        return None

    def simple(self, part: expr.Compare, path: Path) -> Cond | None:
        left, right, op = part.left, part.right, part.op
        if isinstance(left, expr.Num) and isinstance(right, expr.Name):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, expr.Name) and isinstance(right, expr.Num):
            field = self.inputs.setdefault(left.name, Input(f"f{len(self.inputs)}", left.name, "bounds")).field
            return _literal_test(field, op, right.value)
        if isinstance(left, expr.Name) and isinstance(right, expr.Name):
            key = f"{left.name}\x00{right.name}"
            field = self.inputs.setdefault(key, Input(f"p{len(self.inputs)}", left.name, "pair", right.name)).field
            return (Test(f"{field}_l", op, other=f"{field}_r"),)
        self.ctx.problem(ErrorCode.EXPR_NOT_ALLOWED, path,
                         f"比较条件「{expr.render(part)}」{_BEYOND}：两边只能是事实名或数字，"
                         "不能含运算（见 FINDINGS.md）")
        return None


def _literal_test(field: str, op: str, value: Decimal) -> Cond:
    lo, hi = f"{field}_lo", f"{field}_hi"
    if op == "==":
        return Test(lo, "==", value), Test(hi, "==", value)
    if op == "!=":
        return (AnyOf((Test(lo, "!=", value), Test(hi, "!=", value))),)
    return ({">=": Test(lo, ">=", value), ">": Test(hi, ">", value),
             "<=": Test(hi, "<=", value), "<": Test(lo, "<", value)}[op],)


def _check_units(ctx: Compiling, path: Path, parsed: expr.Expr) -> None:
    """Facts compared with each other must share a unit (万元 with 万元, not 万元 with 亿元)."""
    for left, right in _compared_names(parsed):
        a, b = ctx.fact(left), ctx.fact(right)
        if a and b and a.unit != b.unit:
            ctx.problem(ErrorCode.POLICY_UNIT, path,
                        f"「{left}」（{a.unit}）与「{right}」（{b.unit}）单位不同，不能直接比较")


def _compared_names(node: expr.Expr) -> Iterator[tuple[str, str]]:
    if isinstance(node, expr.Compare) and isinstance(node.left, expr.Name) and isinstance(node.right, expr.Name):
        yield node.left.name, node.right.name
    if isinstance(node, expr.BoolOp):
        for value in node.values:
            yield from _compared_names(value)


class Comparison(Kind):
    """无结余，2分；有结余但不超过上年结转，1分；结余超过上年结转，不得分."""

    name = "comparison"
    label = "比较"
    model = ComparisonRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """None directly: the cases' names are checked when their expressions are parsed."""
        assert isinstance(rule, ComparisonRule)
        yield from ()

    def plan(self, rule: RuleBase, ctx: Compiling) -> ComparisonPlan | None:
        """Parse every case once, check points and units, and turn each case into tests."""
        assert isinstance(rule, ComparisonRule)
        points = [(("cases", i, "points"), c.points) for i, c in enumerate(rule.cases)]
        check_points(ctx, rule.id, points + ([(("otherwise",), rule.otherwise)] if rule.otherwise is not None else []))
        conditions = _Conditions(ctx)
        planned: list[PlannedCase] = []
        for i, case in enumerate(rule.cases):
            path: Path = ("cases", i, "when")
            parsed = ctx.expression(case.when, path)
            if parsed is None:
                continue
            _check_units(ctx, path, parsed)
            cond = conditions.case(parsed, path)
            if cond is not None:
                planned.append(PlannedCase(parsed, cond, case.points, case.label, ctx.locate(("cases", i))))
        if len(planned) < len(rule.cases):
            return None
        return ComparisonPlan(rule.id, tuple(planned), tuple(conditions.inputs.values()), rule.otherwise)


KIND = Comparison()
