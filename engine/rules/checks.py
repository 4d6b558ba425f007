"""Static checks rule kinds share: interval cover, points within the weight, declared units (stage: rules).

Every problem found names a witness value where one exists, so an author can see the gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.decimals import fmt
from engine.errors import ErrorCode
from engine.intervals import Interval, gaps, overlaps
from engine.rules.base import Compiling
from engine.source import Path

if TYPE_CHECKING:
    from engine.schema import FactSpec

__all__ = ["check_declared_unit", "check_points", "check_repeats", "cover_problems", "fact_interval", "fact_unit"]


def fact_interval(spec: FactSpec | None) -> Interval:
    """The declared range of a fact as an interval (all decimals when undeclared).

    >>> from engine.schema import FactSpec
    >>> str(fact_interval(FactSpec(type="decimal", range=(Decimal(0), None))))
    '[0, +∞)'
    """
    lo, hi = spec.range if spec and spec.range else (None, None)
    return Interval(lo, lo is not None, hi, hi is not None)


def cover_problems(intervals: Sequence[Interval], within: Interval, what: str
                   ) -> Iterator[tuple[Path, ErrorCode, str]]:
    """Bands must cover ``within`` without gaps or overlaps, and each must be reachable.

    Yields ``(path, code, message)`` with paths relative to the list of bands.

    >>> from engine.intervals import parse_interval
    >>> [m for _, _, m in cover_problems([parse_interval("< 80"), parse_interval("≥ 90")], Interval(None, False,
    ...  None, False), "等级")]
    ['等级的档次之间有空档 [80, 90)：例如值为 80 时不属于任何档次']
    """
    for gap in gaps(intervals, within):
        yield (), ErrorCode.POLICY_BANDS, (f"{what}的档次之间有空档 {gap}：例如值为 {fmt(gap.witness())} "
                                           "时不属于任何档次")
    for i, j, common in overlaps(list(intervals)):
        yield (j,), ErrorCode.POLICY_BANDS, (f"{what}的第 {i + 1} 档与第 {j + 1} 档重叠于 {common}：例如值为 "
                                            f"{fmt(common.witness())} 时同时属于两档")
    for i, band in enumerate(intervals):
        if band.intersect(within).is_empty():
            yield (i,), ErrorCode.POLICY_UNREACHABLE, (f"{what}的第 {i + 1} 档 {band} 在取值范围 {within} 之外，"
                                                      "永远不会命中")


def check_points(ctx: Compiling, rule_id: str, points: Sequence[tuple[Path, Decimal]]) -> None:
    """Each of ``points`` lies between 0 and the indicator's weight."""
    weight = ctx.weight
    if weight is None:
        return
    for where, value in points:
        if not Decimal(0) <= value <= weight:
            ctx.problem(ErrorCode.POLICY_POINTS, where,
                        f"规则 {rule_id} 的分数 {fmt(value)} 不在 0 到指标分值 {fmt(weight)} 之间")


def fact_unit(ctx: Compiling, name: str) -> str | None:
    """The declared unit of a fact (``None`` when it has none or is undeclared)."""
    spec = ctx.fact(name)
    return spec.unit if spec else None


def check_declared_unit(ctx: Compiling, rule_id: str, fact: str, declared: str | None) -> None:
    """A unit a rule states for its parameters must be its fact's unit."""
    if declared is not None and ctx.fact(fact) is not None and fact_unit(ctx, fact) != declared:
        ctx.problem(ErrorCode.POLICY_UNIT, ("unit",),
                    f"规则 {rule_id} 的参数单位为「{declared}」，事实「{fact}」的单位为「{fact_unit(ctx, fact)}」")


def check_repeats(ctx: Compiling, named: Iterable[tuple[Path, str]], code: ErrorCode, what: str) -> None:
    """Each name once in its list; a repeat is reported where it is used again."""
    seen: dict[str, Path] = {}
    for path, name in named:
        if name in seen:
            ctx.problem(code, path, f"{what}「{name}」重复（第一次出现在第 {ctx.locate(seen[name]).line} 行）")
        else:
            seen[name] = path
