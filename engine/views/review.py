"""Review a self-evaluation (复核): the scores the form claims against the scores the rules give.

Input: a compiled policy, the validated facts, the form's :class:`~engine.claims.ClaimSet` and the
reviewer's judgements; output: a :class:`Review` (pure, apart from the one evaluation).

Two questions are kept apart, because they have different causes and different remedies:

- **表内算术** (the form does not add up): a claimed parent against the sum of its claimed rows, the
  claimed total against its claimed rows, a claimed score above what the indicator can earn or below
  what it can lose. Only claimed numbers are compared, exactly.
- **与规则不符** (the rule gives another score): each claimed score against the computed one. A
  difference that the claimed rows below already account for (or the form's own arithmetic) is not
  counted again: each difference is reported once, where it arises, with the rule's trace.

**舍入差异** (rounding): a claim that equals the computed value rounded, with the policy's rounding mode
(四舍五入 for every bundled policy), to the form's printed precision (9 for 8.62 on a form of whole
points) is reported with both numbers and not counted as a difference. The form's precision is the
most decimals any of its claims has, never fewer than the claim's own: a form that prints 13.932 and
writes 2 means 2.000, which is not 1.69 rounded. Equal decimals (1.69 and 1.690) agree.

The findings are found in ``engine.views.review_findings``. Reviewer adjustments
(``engine.views.review_adjust``) never change the rule's result: the review keeps 规则得分 and
复核调整后得分 side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from engine import decimals
from engine.claims import CLAIMED, ClaimSet, parse_claims
from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError
from engine.evaluate import evaluate
from engine.facts import Facts
from engine.firing.backends import Backend
from engine.identity import IdentityMismatch, check_identity
from engine.loader import facts_from_document
from engine.review_file import ReviewAdjustment, parse_adjustments
from engine.source import SourceDoc
from engine.trace import Result
from engine.views.review_adjust import AppliedAdjustment, adjusted_scores, apply_adjustments, bounds_of
from engine.views.review_findings import Checker, Finding, ReviewLine

__all__ = ["Review", "build_review", "review", "review_document", "signed"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewed self-evaluation."""

    result: Result
    claims: ClaimSet
    lines: tuple[ReviewLine, ...]
    findings: tuple[Finding, ...]
    adjustments: tuple[AppliedAdjustment, ...]
    adjusted_total: Decimal
    forced: tuple[IdentityMismatch, ...]
    difference: Decimal | None
    rounding_mode: str
    facts: Facts | None = None
    """The facts reviewed (None when built from a result alone): the workbook's 事实 sheet lists them."""

    @property
    def differences(self) -> tuple[Finding, ...]:
        """The findings that count as differences."""
        return tuple(f for f in self.findings if f.counts)

    @property
    def agrees(self) -> bool:
        """No difference (rounding differences allowed)."""
        return not self.differences

    @property
    def verdict(self) -> str:
        """``一致`` or ``有差异：N 项，合计 ±X 分``; with unseen points, ``；原表未见 N 分，无法复核``."""
        unseen = self.result.unseen()
        rest = f"；原表未见 {decimals.fmt(unseen, self.result.min_places, self.result.max_places)} 分，无法复核" \
            if unseen else ""
        if self.agrees:
            rounding = len(self.findings)
            return "一致" + (f"（另有 {rounding} 项舍入差异，不计为差异）" if rounding else "") + rest
        return f"有差异：{len(self.differences)} 项，合计 {signed(self.difference or ZERO, self.result)} 分" + rest


def signed(value: Decimal, result: Result) -> str:
    """A difference with its sign and the policy's places (U+2212 for minus)."""
    if not value:
        return "0"
    places = max(result.max_places, decimals.places_of(value))
    return ("+" if value > 0 else "−") + decimals.fmt(abs(value), places, places)


def review(policy: CompiledPolicy, facts: Facts, claims: ClaimSet, *,
           adjustments: tuple[ReviewAdjustment, ...] = (), forced: tuple[IdentityMismatch, ...] = (),
           backend: Backend | None = None) -> Review:
    """Score the facts and review the claims against the result.

    Raises:
        JixiaoError: an adjustment that cannot be applied (``review.adjustment``), or any scoring error.
    """
    result = evaluate(policy, facts, backend=backend)
    return replace(build_review(policy, result, claims, adjustments, forced), facts=facts)


def review_document(policy: CompiledPolicy, doc: SourceDoc, *, adjustments: SourceDoc | None = None,
                    force: bool = False, backend: Backend | None = None) -> Review:
    """Review a parsed fact file: its identity, its facts, its claims, and the reviewer's file if any.

    Raises:
        PolicyErrors: ``facts.identity`` (unless ``force``), any fact-file problem, a fact file without
            claimed scores (``facts.missing``), any problem in the reviewer's file.
    """
    forced = check_identity(doc, policy, force=force)
    facts = facts_from_document(doc, policy)
    if facts.policy is not None:  # a project-form template: claims name the project's own rows
        policy = facts.policy
    claims = parse_claims(doc, policy, facts.indicator_names)
    if not claims:
        raise JixiaoError(ErrorCode.FACTS_MISSING, f"事实文件没有填报得分（{CLAIMED}），无从复核：请照自评表填写 "
                          f"{CLAIMED}: {{total: …, 指标 id 或名称: 得分}}", doc.locate(()), CLAIMED)
    judged = () if adjustments is None else parse_adjustments(adjustments, policy, facts.indicator_names,
                                                               facts.department)
    return review(policy, facts, claims, adjustments=judged, forced=forced, backend=backend)


def build_review(policy: CompiledPolicy, result: Result, claims: ClaimSet,
                 adjustments: tuple[ReviewAdjustment, ...] = (),
                 forced: tuple[IdentityMismatch, ...] = ()) -> Review:
    """Review the claims against an already computed result."""
    bounds = bounds_of(policy, result)
    applied = apply_adjustments(policy, result, adjustments, bounds)
    adjusted, adjusted_total = adjusted_scores(policy, result, applied)
    checker = Checker(policy, result, claims, bounds)
    findings = tuple(checker.findings())
    lines = tuple(checker.lines(findings, adjusted, adjusted_total))
    return Review(result, claims, lines, findings, applied, adjusted_total, forced, checker.difference(),
                  policy.rounding.mode)
