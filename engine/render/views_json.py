"""Explain, recover, what-if, sweep and diff views → JSON for machines (stage: render; pure).

Numbers are strings (scores as the policy displays them, deltas and points with all their places),
Chinese is not escaped and keys keep a fixed order, so the same view always gives the same bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal

from engine import decimals
from engine.facts import FactScalar, FactValue, Target
from engine.json_values import JsonObject, JsonValue
from engine.render.common import finding_dicts
from engine.render.json import deduction_dict
from engine.trace import Result
from engine.views.diff import PolicyChange, PolicyDiff, ScoreDiff
from engine.views.explain import Comparison, Explanation, Fail, deduction_key
from engine.views.recover import Recovery, Suggestion
from engine.views.whatif import Sweep, WhatIf

__all__ = ["diff_json", "explain_json", "recover_json", "sweep_json", "whatif_json"]


def _dump(data: JsonObject) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _score(result: Result, value: Decimal | None) -> str | None:
    return None if value is None else decimals.fmt(value, result.min_places, max(result.max_places,
                                                                                  decimals.places_of(value)))


def _points(result: Result, value: Decimal | None) -> str | None:
    if value is None:
        return None
    places = max(result.max_places, decimals.places_of(value))
    return decimals.fmt(value, places, places)


def _value(value: FactScalar | tuple[Target, ...] | None) -> JsonValue:
    if isinstance(value, Decimal):
        return decimals.fmt(value)
    if isinstance(value, tuple):
        return f"{len(value)} 项目标"
    return value


def _identity(result: Result) -> JsonObject:
    out: JsonObject = {"policy": {"id": result.policy_id, "version": result.policy_version,
                                  "digest": result.policy_digest},
           "department": result.department, "facts": {"file": result.facts_file, "digest": result.facts_digest},
           "max": _score(result, result.max), "total": _score(result, result.total)}
    if result.findings:
        out["findings"] = finding_dicts(result)
    return out


def explain_json(view: Explanation, recovery: Recovery | None = None) -> str:
    """Why not full marks, as JSON (with the recover suggestions when given)."""
    result = view.result
    found = {deduction_key(s.fail.deduction): s for s in recovery.suggestions} if recovery else {}
    return _dump({
        "view": "explain", **_identity(result), "scope": view.scope.id if view.scope else None,
        "lost": _points(result, view.lost),
        "below_full": [{"id": n.id, "name": n.name, "depth": d, "max": _score(result, n.max),
                        "score": _score(result, n.score)} for n, d in view.below_full],
        "fails": [_fail(result, f, found.get(deduction_key(f.deduction))) for f in view.fails],
        "adjustments": [_fail(result, f, None) for f in view.adjustments],
    })


def _fail(result: Result, fail: Fail, suggestion: Suggestion | None) -> JsonObject:
    out: JsonObject = {"indicator": fail.node.id, "name": fail.node.name, "points": _points(result, fail.points),
           "ancestors": [{"id": n.id, "name": n.name, "max": _score(result, n.max), "score": _score(result, n.score)}
                         for n in fail.chain],
           "deduction": deduction_dict(result, fail.deduction)}
    if suggestion is not None:
        out["recover"] = _suggestion(result, suggestion)
    return out


def _suggestion(result: Result, s: Suggestion) -> JsonObject:
    change = s.change
    return {
        "text": s.text, "verified": s.verified,
        "change": None if change is None else {
            "fact": change.fact, "path": list(change.path), "before": _value(change.before),
            "relation": change.relation, "bound": _value(change.bound), "tried": _value(change.value),
            "unit": change.unit, "recovers": _points(result, change.recovers)},
        "check": None if s.check is None else {
            "recovered": _points(result, s.check.recovered), "total_before": _score(result, s.check.total_before),
            "total_after": _score(result, s.check.total_after),
            "changed": [{"id": n.id, "before": _score(result, n.before.score if n.before else None),
                         "after": _score(result, n.after.score if n.after else None)} for n in s.check.changed]},
        "formula": s.formula,
        "inputs": [_suggestion(result, i) for i in s.inputs],
    }


def recover_json(recovery: Recovery) -> str:
    """One suggestion per deduction, as JSON."""
    result = recovery.explanation.result
    return _dump({"view": "recover", **_identity(result), "suggestions": [
        {"indicator": s.fail.node.id, "points": _points(result, s.fail.points), **_suggestion(result, s)}
        for s in recovery.suggestions]})


def _fact(value: FactValue | None) -> JsonObject | None:
    if value is None:
        return None
    where = f"{value.location.file}:{value.location.line}" if value.location else None
    return {"value": _value(value.value), "unit": value.unit, "source": where, "derivation": value.derivation}


def whatif_json(view: WhatIf) -> str:
    """A scenario: the changed facts, every indicator before and after, the deduction changes."""
    return _dump({"view": "whatif", **_identity(view.before), "facts_changed": [
        {"name": c.name, "derived": c.derived, "before": _fact(c.before), "after": _fact(c.after)} for c in view.facts],
        **_comparison(view.comparison)})


def _comparison(comparison: Comparison) -> JsonObject:
    before, after = comparison.before, comparison.after
    return {
        "total": {"before": _score(before, before.total), "after": _score(after, after.total),
                  "delta": _points(after, comparison.total_delta)},
        "indicators": [{"id": n.id, "name": n.name, "before": _score(before, n.before.score if n.before else None),
                        "after": _score(after, n.after.score if n.after else None),
                        "delta": _points(after, n.delta)} for n in comparison.nodes],
        "deductions": [{"status": str(c.status), "indicator": c.deduction.indicator_id, "item": c.deduction.item,
                        "before": deduction_dict(before, c.before) if c.before else None,
                        "after": deduction_dict(after, c.after) if c.after else None} for c in comparison.deductions],
    }


def sweep_json(view: Sweep) -> str:
    """Scores of the affected indicators and the total at each value of the fact."""
    result, spec = view.base, view.spec
    return _dump({
        "view": "sweep", **_identity(result), "fact": spec.name, "unit": view.unit,
        "from": decimals.fmt(spec.start), "to": decimals.fmt(spec.stop), "step": decimals.fmt(spec.step),
        "current": _value(view.current), "overrides": [o.text for o in view.overrides],
        "columns": [{"id": c.id, "name": c.name, "max": _score(result, c.max)} for c in view.columns],
        "points": [{"value": decimals.fmt(p.value), "current": p.is_current,
                    "scores": {c.id: _score(result, s) for c, s in zip(view.columns, p.scores, strict=True)},
                    "total": _score(result, p.total)} for p in view.points],
    })


def _change(change: PolicyChange) -> JsonObject:
    return {"kind": str(change.kind), "subject": change.subject, "field": change.field, "before": change.before,
            "after": change.after, "location": str(change.location) if change.location else None}


def diff_json(structure: PolicyDiff, scores: ScoreDiff | None = None) -> str:
    """The structural changes and, with a fact file, the score deltas with their causes."""
    data: JsonObject = {"view": "diff", **{side: {
        "id": p.meta.id, "version": p.meta.version, "digest": p.digest, "file": p.file}
        for side, p in (("a", structure.a), ("b", structure.b))},
        "changes": [_change(c) for c in structure.changes], "scores": None}
    if scores is not None:
        after = scores.comparison.after
        data["scores"] = {
            "facts": {"file": after.facts_file, "digest": after.facts_digest}, "department": after.department,
            **_comparison(scores.comparison),
            "causes": [{"id": c.node.id, "delta": _points(after, c.node.delta),
                        "changes": [_change(x) for x in c.changes], "children": list(c.children)}
                       for c in scores.causes],
            "unchanged": list(scores.unchanged),
        }
    return _dump(data)
