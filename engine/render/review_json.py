"""Review view → JSON for machines, and the one-line record of a review in a batch (stage: render; pure).

Numbers are strings with every place they have (claimed values as written, scores as the policy
displays them, differences signed with an ASCII minus); Chinese is not escaped; keys keep a fixed
order, so the same review always gives the same bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal

from engine import decimals
from engine.claims import ClaimedScore
from engine.identity import forced_records
from engine.json_values import JsonObject
from engine.render.json import deduction_dict
from engine.trace import Result
from engine.views.review import Review
from engine.views.review_adjust import AppliedAdjustment
from engine.views.review_findings import Finding, ReviewLine

__all__ = ["delta", "number", "review_dict", "review_json", "review_record"]


def number(result: Result, value: Decimal | None) -> str | None:
    """A decimal with at least the policy's display places and all the places it has.

    >>> from types import SimpleNamespace as R
    >>> number(R(min_places=2, max_places=3), Decimal("1.69")), number(R(min_places=2, max_places=3), Decimal("-1"))
    ('1.69', '-1.00')
    """
    if value is None:
        return None
    return decimals.fmt(value, result.min_places, max(result.max_places, decimals.places_of(value)))


def delta(result: Result, value: Decimal | None) -> str | None:
    """A difference with the policy's full number of places (``0.310``, ``-1.000``).

    >>> from types import SimpleNamespace as R
    >>> delta(R(max_places=3), Decimal("0.31")), delta(R(max_places=3), Decimal("-1"))
    ('0.310', '-1.000')
    """
    if value is None:
        return None
    places = max(result.max_places, decimals.places_of(value))
    return decimals.fmt(value, places, places)


def _claim(result: Result, claim: ClaimedScore | None) -> JsonObject | None:
    if claim is None:
        return None
    return {"value": number(result, claim.value), "key": claim.key,
            "source": f"{claim.location.file}:{claim.location.line}"}


def review_dict(view: Review) -> JsonObject:
    """The JSON shape of a review as plain dicts, lists and strings."""
    result = view.result
    return {
        "view": "review",
        "policy": {"id": result.policy_id, "version": result.policy_version, "digest": result.policy_digest},
        "department": result.department,
        "facts": {"file": result.facts_file, "digest": result.facts_digest},
        "verdict": view.verdict, "agrees": view.agrees, "differences": len(view.differences),
        "difference": delta(result, view.difference),
        "max": number(result, result.max), "claimed_total": _claim(result, view.claims.total),
        "computed_total": number(result, result.total), "unseen_total": _unseen(result, result.unseen()),
        "adjusted_total": number(result, view.adjusted_total),
        "forced": forced_records(view.forced),
        "lines": [_line(result, line) for line in view.lines],
        "findings": [_finding(result, f) for f in view.findings],
        "adjustments": [_adjustment(result, a) for a in view.adjustments],
    }


def review_json(view: Review) -> str:
    """The review as JSON text."""
    return json.dumps(review_dict(view), ensure_ascii=False, indent=2) + "\n"


def _line(result: Result, line: ReviewLine) -> JsonObject:
    gap = None if line.claimed is None or line.unseen else line.claimed.value - line.computed
    return {"id": line.id, "name": line.name, "depth": line.depth, "max": number(result, line.max),
            "claimed": _claim(result, line.claimed),
            "computed": None if line.unknown else number(result, line.computed),
            "unseen": line.unknown, "unseen_points": _unseen(result, line.unseen),
            "difference": delta(result, gap), "adjusted": None if line.unknown else number(result, line.adjusted),
            "status": line.status}


def _unseen(result: Result, points: Decimal) -> str | None:
    """Points of max whose score is unknown, or None when there are none (the score is then exact)."""
    return number(result, points) if points else None


def _finding(result: Result, f: Finding) -> JsonObject:
    bound = f.bound
    return {
        "kind": str(f.kind), "category": f.category, "counts": f.counts, "indicator": f.indicator, "name": f.name,
        "claimed": _claim(result, f.claimed), "expected": number(result, f.expected),
        "difference": delta(result, f.difference), "explained": delta(result, f.explained),
        "parts": [{"id": p.id, "name": p.name, "value": number(result, p.value),
                   "source": f"{p.location.location.file}:{p.location.location.line}" if p.location else None}
                  for p in f.parts],
        "bound": None if bound is None else {
            "floor": number(result, bound.floor), "ceiling": number(result, bound.ceiling),
            "weight": number(result, bound.weight), "bonus": number(result, bound.bonus)},
        "deductions": [deduction_dict(result, d) for d in f.deductions],
        "full_marks": [{"id": n.id, "name": n.name, "score": number(result, n.score), "computation": n.computation}
                       for n in f.full_marks],
    }


def _adjustment(result: Result, applied: AppliedAdjustment) -> JsonObject:
    a = applied.adjustment
    return {"indicator": a.indicator_id, "name": applied.name, "kind": a.kind, "value": decimals.fmt(a.value),
            "reason": a.reason, "reviewer": a.reviewer, "source": str(a.location),
            "before": number(result, applied.before), "after": number(result, applied.after),
            "delta": delta(result, applied.delta), "computation": applied.computation, "judgement": True}


def review_record(view: Review) -> JsonObject:
    """One unit's line in a batch review: totals, the difference, how many findings of each sort, and the findings.

    ``details`` holds every finding (rounding included) in the shape of ``review_dict``'s ``findings``,
    so that the batch workbook's 差异明细 is built from the same records as the JSON Lines.
    """
    result = view.result
    return {"file": result.facts_file, "department": result.department,
            "claimed_total": number(result, view.claims.total.value) if view.claims.total else None,
            "computed_total": number(result, result.total), "unseen_total": _unseen(result, result.unseen()),
            "difference": delta(result, view.difference),
            "findings": len(view.differences), "rounding": len(view.findings) - len(view.differences),
            "verdict": view.verdict, "forced": bool(view.forced),
            "details": [_finding(result, f) for f in view.findings]}
