"""Checks over a policy's numbers: bands, points, floors, units, rounding (stage: check; pure).

These run on parsed intervals and expressions (``engine.compile`` parses them once and calls here);
every problem found names a witness value where one exists, so an author can see the gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from engine import expr
from engine.decimals import fmt
from engine.errors import ErrorCode, Problem
from engine.intervals import Interval, gaps, overlaps
from engine.schema import (
    AdjustmentRule,
    BandsRule,
    ChecklistRule,
    ComparisonRule,
    FactSpec,
    Indicator,
    JudgementRule,
    PerCountRule,
    PerPointRule,
    Policy,
    ProportionalRule,
    Rule,
)
from engine.source import Path, SourceDoc, field_path

__all__ = ["check_bands", "check_derived", "check_rule_values", "fact_interval"]


def fact_interval(spec: FactSpec | None) -> Interval:
    """The declared range of a fact as an interval (all decimals when undeclared).

    >>> str(fact_interval(FactSpec(type="decimal", range=(Decimal(0), None))))
    '[0, +∞)'
    """
    lo, hi = spec.range if spec and spec.range else (None, None)
    return Interval(lo, lo is not None, hi, hi is not None)


def _problem(doc: SourceDoc, code: ErrorCode, path: Path, message: str) -> Problem:
    return Problem(code, message, doc.locate(path), field_path(path))


def check_bands(doc: SourceDoc, path: Path, intervals: tuple[Interval, ...], within: Interval,
                what: str) -> list[Problem]:
    """Bands must cover ``within`` without gaps or overlaps, and each must be reachable."""
    problems = []
    for gap in gaps(intervals, within):
        problems.append(_problem(doc, ErrorCode.POLICY_BANDS, path,
                                 f"{what}的档次之间有空档 {gap}：例如值为 {fmt(gap.witness())} 时不属于任何档次"))
    for i, j, common in overlaps(list(intervals)):
        problems.append(_problem(doc, ErrorCode.POLICY_BANDS, (*path, j),
                                 f"{what}的第 {i + 1} 档与第 {j + 1} 档重叠于 {common}：例如值为 "
                                 f"{fmt(common.witness())} 时同时属于两档"))
    for i, band in enumerate(intervals):
        if band.intersect(within).is_empty():
            problems.append(_problem(doc, ErrorCode.POLICY_UNREACHABLE, (*path, i),
                                     f"{what}的第 {i + 1} 档 {band} 在取值范围 {within} 之外，永远不会命中"))
    return problems


def check_rule_values(policy: Policy, node: Indicator, path: Path, doc: SourceDoc) -> list[Problem]:
    """Points within the indicator's maximum, floors, units, reachable thresholds."""
    rule = node.rule
    if rule is None:
        return []
    problems = list(_points(node, rule, path, doc))
    problems += _floor(policy, node, rule, path, doc)
    problems += _units(policy, rule, path, doc)
    return problems


def _points(node: Indicator, rule: Rule, path: Path, doc: SourceDoc) -> Iterator[Problem]:
    weight = node.max
    if weight is None:
        return
    if isinstance(rule, ChecklistRule):
        total = sum((i.points for i in rule.items), Decimal(0))
        if total != weight:
            yield _problem(doc, ErrorCode.POLICY_POINTS, (*path, "items"),
                           f"逐项规则 {rule.id} 各项分值合计 {fmt(total)}，与指标分值 {fmt(weight)} 不相等")
    pairs: list[tuple[Path, Decimal]] = []
    if isinstance(rule, BandsRule):
        pairs = [((*path, "bands", i, "points"), b.points) for i, b in enumerate(rule.bands)]
    elif isinstance(rule, ComparisonRule):
        pairs = [((*path, "cases", i, "points"), c.points) for i, c in enumerate(rule.cases)]
        if rule.otherwise is not None:
            pairs.append(((*path, "otherwise"), rule.otherwise))
    elif isinstance(rule, PerPointRule | PerCountRule) and rule.floor is not None:
        pairs = [((*path, "floor"), rule.floor)]
    for where, points in pairs:
        if not Decimal(0) <= points <= weight:
            yield _problem(doc, ErrorCode.POLICY_POINTS, where,
                           f"规则 {rule.id} 的分数 {fmt(points)} 不在 0 到指标分值 {fmt(weight)} 之间")


def _floor(policy: Policy, node: Indicator, rule: Rule, path: Path, doc: SourceDoc) -> list[Problem]:
    if not isinstance(rule, PerPointRule | PerCountRule) or node.max is None:
        return []
    within = fact_interval(policy.facts.get(rule.fact))
    threshold = rule.threshold if isinstance(rule, PerPointRule) else Decimal(0)
    above = not isinstance(rule, PerPointRule) or rule.direction == "above"
    per = rule.per if isinstance(rule, PerPointRule) else Decimal(1)
    reach = threshold + node.max / rule.points * per if above else threshold - node.max / rule.points * per
    problems = []
    extreme = within.hi if above else within.lo
    if rule.floor is None and (extreme is None or (extreme > reach if above else extreme < reach)):
        witness = reach + per if above else reach - per
        problems.append(_problem(doc, ErrorCode.POLICY_NO_FLOOR, (*path, "floor"),
                                 f"规则 {rule.id} 没有保底（扣完为止），值为 {fmt(witness)} 时得分为负"))
    if extreme is not None and (extreme <= threshold if above else extreme >= threshold):
        problems.append(_problem(doc, ErrorCode.POLICY_UNREACHABLE, (*path, "threshold"),
                                 f"规则 {rule.id} 的阈值 {fmt(threshold)} 在取值范围 {within} 之外，永远不会扣分"))
    return problems


def _units(policy: Policy, rule: Rule, path: Path, doc: SourceDoc) -> Iterator[Problem]:
    def unit(name: str) -> str | None:
        spec = policy.facts.get(name)
        return spec.unit if spec else None

    declared = getattr(rule, "unit", None)
    fact = getattr(rule, "fact", None)
    if declared is not None and fact is not None and fact in policy.facts and unit(fact) != declared:
        yield _problem(doc, ErrorCode.POLICY_UNIT, (*path, "unit"),
                       f"规则 {rule.id} 的参数单位为「{declared}」，事实「{fact}」的单位为「{unit(fact)}」")
    if isinstance(rule, ProportionalRule) and "full_at" not in rule.model_fields_set and \
            rule.fact in policy.facts and unit(rule.fact) != "%":
        yield _problem(doc, ErrorCode.POLICY_UNIT, path,
                       f"按比例规则 {rule.id} 的事实「{rule.fact}」单位为「{unit(rule.fact)}」而不是 %，"
                       f"请写明 full_at（得满分时的值）")
    if isinstance(rule, JudgementRule) and rule.coefficient in policy.facts and unit(rule.coefficient) != "%":
        yield _problem(doc, ErrorCode.POLICY_UNIT, (*path, "coefficient"),
                       f"评定规则 {rule.id} 的系数「{rule.coefficient}」单位应为 %")
    if isinstance(rule, AdjustmentRule) and rule.fact in policy.facts and unit(rule.fact) != "分":
        yield _problem(doc, ErrorCode.POLICY_UNIT, (*path, "fact"),
                       f"加减分规则 {rule.id} 的事实「{rule.fact}」单位应为「分」")


def check_compared_units(policy: Policy, doc: SourceDoc, path: Path, parsed: expr.Expr) -> list[Problem]:
    """Facts compared with each other must share a unit (万元 with 万元, not 万元 with 亿元)."""
    problems = []
    for left, right in _compared_names(parsed):
        a, b = policy.facts.get(left), policy.facts.get(right)
        if a and b and a.unit != b.unit:
            problems.append(_problem(doc, ErrorCode.POLICY_UNIT, path,
                                     f"「{left}」（{a.unit}）与「{right}」（{b.unit}）单位不同，不能直接比较"))
    return problems


def _compared_names(node: expr.Expr) -> Iterator[tuple[str, str]]:
    if isinstance(node, expr.Compare) and isinstance(node.left, expr.Name) and isinstance(node.right, expr.Name):
        yield node.left.name, node.right.name
    if isinstance(node, expr.BoolOp):
        for value in node.values:
            yield from _compared_names(value)


def check_derived(doc: SourceDoc, name: str, spec: FactSpec, parsed: expr.Expr) -> list[Problem]:
    """A derived fact that divides must declare its rounding (the result may not terminate)."""
    if spec.rounding is None and _divides(parsed):
        return [_problem(doc, ErrorCode.POLICY_ROUNDING, ("facts", name, "derive"),
                         f"派生事实「{name}」含除法，必须声明 rounding（如 {{places: 2, mode: down}}）")]
    return []


def _divides(node: expr.Expr) -> bool:
    match node:
        case expr.BinOp(op, left, right):
            return op == "/" or _divides(left) or _divides(right)
        case expr.Unary(operand):
            return _divides(operand)
        case expr.Call(_, args) | expr.BoolOp(_, args):
            return any(_divides(a) for a in args)
    return False
