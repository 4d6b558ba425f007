"""Bands rule (分档): the band (档次) that holds one fact's value gives the points (stage: rules)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from engine import decimals
from engine.decimals import show
from engine.errors import SourceLocation
from engine.firing.conditions import Branch, Case, Input, Marker, Probe, interval_tests
from engine.intervals import Interval, gaps
from engine.rules.base import (
    COMPARE_DESCRIPTION,
    NUMERIC,
    Compare,
    Compiling,
    Direction,
    FactRef,
    Fired,
    Kind,
    Model,
    RuleBase,
    RulePlan,
    number,
    the_case,
    unit,
)
from engine.rules.checks import check_declared_unit, check_points, cover_problems, fact_interval
from engine.rules.inversion import Change, Known, Plain, change, current
from engine.scoring import Outcome, Part
from engine.trace import Deduction

if TYPE_CHECKING:
    from engine.facts import Facts

__all__ = ["KIND", "Band", "BandsPlan", "BandsRule", "PlannedBand", "band_outcome"]


class Band(Model):
    """One band (档次): an interval and the points it earns."""

    when: str = Field(description="区间：[80, 90)、(0, 10]、≥ 90、< 80、= 0（方括号和 ≥ ≤ = 一侧含端点）")
    points: Decimal = Field(description="落在此档得的分")
    label: str | None = Field(default=None, description="档次名称（扣分记录中显示）")


class BandsRule(RuleBase):
    """Bands over one fact; exactly one band must contain the value."""

    kind: Literal["bands"] = Field(description="规则类型：bands")
    fact: str = Field(description="分档的事实（数值）")
    bands: tuple[Band, ...] = Field(
        min_length=1,
        description="各档次：恰好一个档次包含事实的值，得其分；档次须覆盖事实的取值范围")
    unit: str | None = Field(default=None, description="事实的单位（写了就与事实声明核对）")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    compare: Compare = Field(default="rounded", exclude_if=lambda v: v == "rounded", description=COMPARE_DESCRIPTION)


class Cases(Case):
    """The value is in band *i* (``band:i``); a value in no band fires a gap (``gap:i``)."""

    BAND = "band", "档次"


@dataclass(frozen=True, slots=True)
class PlannedBand:
    """A band as compiled: its interval (parsed once), points, label, text and place in the policy."""

    interval: Interval
    points: Decimal
    label: str | None
    when: str
    location: SourceLocation


def band_outcome(weight: Decimal, value: Decimal, interval: Interval, points: Decimal, label: str | None,
                 unit: str = "") -> Outcome:
    """The points of the band (档次) that holds the value.

    >>> from engine.intervals import parse_interval
    >>> band_outcome(Decimal(3), Decimal("84.29"), parse_interval("[80, 90)"), Decimal("1.5"), None, "%"
    ...              ).computation
    '84.29% 属于档次 [80, 90)（80（含）至 90），得 1.5'
    """
    name = f"「{label}」" if label else ""
    text = f"{show(value)}{unit} 属于档次{name} {interval}（{interval.describe()}），得 {show(points)}"
    parts = (Part(weight - points, text, str(interval)),) if points < weight else ()
    return Outcome(points, text, parts)


@dataclass(frozen=True, slots=True)
class BandsPlan(RulePlan):
    """A bands rule, planned: every band located, its interval parsed once."""

    rule_id: str
    fact: str
    bands: tuple[PlannedBand, ...]
    exact: bool = False

    def probes(self) -> tuple[Probe, ...]:
        """One branch per band, and one per gap between them (a value no band covers)."""
        intervals = [b.interval for b in self.bands]
        branches = [Branch.of(Cases.BAND, interval_tests("x", iv), i) for i, iv in enumerate(intervals)]
        branches += [Branch.of(Marker.GAP, interval_tests("x", g), i) for i, g in enumerate(gaps(intervals))]
        return (Probe(self.rule_id, self.rule_id, (Input("x", self.fact, "bounds", exact=self.exact),),
                      tuple(branches)),)

    def reads(self) -> tuple[str, ...]:
        """The one fact."""
        return (self.fact,)

    def exact_facts(self) -> tuple[str, ...]:
        """The fact, when the rule compares it unrounded."""
        return (self.fact,) if self.exact else ()

    def score(self, weight: Decimal, fired: Fired, facts: Facts) -> Outcome:
        """The points of the band that fired."""
        index = the_case(fired).index
        assert index is not None
        band = self.bands[index]
        return band_outcome(weight, number(facts, self.fact), band.interval, band.points, band.label,
                            unit(facts, self.fact))

    def points(self, weight: Decimal, fired: Fired, facts: Facts) -> Decimal:
        """The points of the band that fired."""
        index = the_case(fired).index
        assert index is not None
        return self.bands[index].points

    def invert(self, deduction: Deduction, weight: Decimal, facts: Known) -> Change | Plain:
        """The nearest edge of the best band (what it allows back, if it is below full marks)."""
        value = current(facts, self.fact)
        best = max(b.points for b in self.bands)
        if value is None:
            return Plain(f"须使「{self.fact}」落入得 {decimals.fmt(best)} 分的档次")
        options = [o for b in self.bands if b.points == best for o in _toward(b.interval, value)]
        if not options:
            return Plain(f"已在得分最高的档次（{decimals.fmt(best)} 分，低于分值），改变「{self.fact}」不能再挽回")
        _, bound, relation = min(options, key=lambda o: o[0])
        return change(facts, self.fact, bound, relation, min(deduction.points, best - (weight - deduction.points)))

    def edges(self) -> Iterator[tuple[str, Decimal]]:
        """Both bounds of every band."""
        for band in self.bands:
            yield from ((self.fact, v) for v in (band.interval.lo, band.interval.hi) if v is not None)

    def scalar(self) -> str | None:
        """The one fact."""
        return self.fact

    def expected(self, value: Decimal) -> str | None:
        """The band that contains the value."""
        return next(f"{Cases.BAND}:{i}" for i, b in enumerate(self.bands) if b.interval.contains(value))

    def direction(self) -> Direction | None:
        """Bands need not be monotone (a rule may declare it)."""
        return None

    def label(self, branch: Branch) -> str:
        """A band is shown as written: ``档次 [80, 90)``."""
        if branch.case is Cases.BAND and branch.index is not None:
            return f"{Cases.BAND.label} {self.bands[branch.index].when}"
        return RulePlan.label(self, branch)


def _toward(interval: Interval, value: Decimal) -> Iterator[tuple[Decimal, Decimal, str]]:
    """``(distance, bound, relation)`` to move ``value`` into ``interval`` (nothing if it is inside)."""
    if interval.contains(value):
        return
    if interval.lo is not None and interval.lo == interval.hi:
        yield abs(value - interval.lo), interval.lo, "="
    elif interval.lo is not None and value < interval.lo:
        yield interval.lo - value, interval.lo, "≥" if interval.lo_closed else ">"
    elif interval.hi is not None and value > interval.hi:
        yield value - interval.hi, interval.hi, "≤" if interval.hi_closed else "<"


class Bands(Kind):
    """≥90% 得满分；80%（含）-90% 得 50%；低于 80% 不得分."""

    name = "bands"
    label = "分档"
    model = BandsRule
    cases = Cases

    def fact_refs(self, rule: RuleBase) -> Iterator[FactRef]:
        """The fact, numeric."""
        assert isinstance(rule, BandsRule)
        yield FactRef(("fact",), rule.fact, NUMERIC)

    def plan(self, rule: RuleBase, ctx: Compiling) -> BandsPlan | None:
        """Parse every band once; check points, unit, and that the bands cover the fact's range."""
        assert isinstance(rule, BandsRule)
        check_points(ctx, rule.id, [(("bands", i, "points"), b.points) for i, b in enumerate(rule.bands)])
        check_declared_unit(ctx, rule.id, rule.fact, rule.unit)
        parsed = [ctx.interval(b.when, ("bands", i, "when")) for i, b in enumerate(rule.bands)]
        intervals = [iv for iv in parsed if iv is not None]
        if len(intervals) < len(parsed):
            return None  # a band that did not parse: its cover cannot be checked (no cascade)
        spec = ctx.fact(rule.fact)
        if spec is not None:
            for sub, code, message in cover_problems(intervals, fact_interval(spec), f"规则 {rule.id} "):
                ctx.problem(code, ("bands", *sub), message)
        bands = tuple(PlannedBand(iv, b.points, b.label, b.when, ctx.locate(("bands", i)))
                      for i, (iv, b) in enumerate(zip(intervals, rule.bands, strict=True)))
        return BandsPlan(rule.id, rule.fact, bands, rule.compare == "exact")


KIND = Bands()
