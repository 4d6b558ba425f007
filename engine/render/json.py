"""``Result`` → JSON for machines: Decimals as strings as the policy displays them, fixed key order."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from pydantic import TypeAdapter

from engine import decimals
from engine.json_values import JsonObject
from engine.render.common import finding_dicts, score
from engine.trace import Deduction, FactRead, IndicatorScore, Result, Status

__all__ = ["deduction_dict", "dump_result", "fact_dict", "load_result", "render_json", "result_dict"]

_RESULT = TypeAdapter(Result)
ZERO = Decimal(0)
_UNSEEN = Status.UNSEEN  # bound once (engine.firing.conditions: _SEEN)


def dump_result(result: Result) -> bytes:
    """The complete result as JSON bytes (every field, exact decimals); ``load_result`` reads it back."""
    return _RESULT.dump_json(result)


def load_result(data: bytes | str) -> Result:
    """Read a result written by :func:`dump_result`; ``load_result(dump_result(r)) == r``."""
    return _RESULT.validate_json(data)


def render_json(result: Result) -> str:
    """Serialise a result; the same result always gives the same bytes (UTF-8, unescaped)."""
    return json.dumps(result_dict(result), ensure_ascii=False, indent=2) + "\n"


def result_dict(result: Result) -> JsonObject:
    """The JSON shape of a result as plain dicts, lists and strings."""
    out: JsonObject = {
        "policy": {"id": result.policy_id, "name": result.policy_name, "version": result.policy_version,
                   "digest": result.policy_digest},
        "department": result.department,
        "facts": {"file": result.facts_file, "digest": result.facts_digest},
        "max": score(result, result.max),
        "total": score(result, result.total),
        "grade": result.grade,
        "inferred_rules": result.inferred_rules,
    }
    if result.grade_withheld:  # each only when present
        out["grade_withheld"] = result.grade_withheld
    if result.inferred_parameters:  # each only when present: a result without any keeps its shape
        out["inferred_parameters"] = result.inferred_parameters
    unseen = result.unseen()
    if unseen:  # each only when present: a result without any keeps its shape
        out["unseen"] = score(result, unseen)
    if result.weights_note is not None:
        out["weights_note"] = {"note": result.weights_note, "declared_max": score(result, result.declared_max),
                               "gap": score(result, (result.declared_max or result.max) - result.max)}
    if result.findings:
        out["findings"] = finding_dicts(result)
    if result.tables:  # a blank cell is null, a number a string as everywhere
        out["tables"] = [{"name": t.name, "unit": t.unit, "rows": list(t.rows), "columns": list(t.columns),
                          "cells": [[None if v is None else f"{v:f}" for v in row] for row in t.cells]}
                         for t in result.tables]
    show = decimals.formatter(result.min_places, result.max_places)
    out["indicators"] = [_node(result, show, n, bool(unseen))[0] for n in result.indicators]
    return out


def _node(result: Result, show: Callable[[Decimal], str], node: IndicatorScore,
          unseen_below: bool) -> tuple[JsonObject, Decimal]:
    """The node's JSON shape and the points lost below it (children first: each subtree is walked once)."""
    children = [_node(result, show, c, unseen_below) for c in node.children]
    deductions = node.deductions
    lost = ZERO  # IndicatorScore.lost
    for d in deductions:
        lost += d.points
    for c in children:
        lost += c[1]
    out: JsonObject = {
        "id": node.id,
        "name": node.name,
        "max": "—" if node.max is None else show(node.max),
        "score": None if node.status is _UNSEEN else show(node.score),
        "lost": show(lost),
        "status": str(node.status),
    }
    if unseen_below:  # only when present, as at the top
        unseen = node.unseen()
        if unseen:
            out["unseen"] = show(unseen)
    if node.weights_note is not None:
        out["weights_note"] = {"note": node.weights_note, "gap": score(result, node.gap())}
    if node.core:  # 核心指标, only when declared
        out["core"] = True
    out["computation"] = node.computation
    out["deductions"] = [_deduction(result, show, d) for d in deductions]
    out["children"] = [c[0] for c in children]
    return out, lost


def deduction_dict(result: Result, d: Deduction) -> JsonObject:
    """The JSON shape of one deduction (``inferred`` only when the rule has inferred parameters)."""
    return _deduction(result, decimals.formatter(result.min_places, result.max_places), d)


def _deduction(result: Result, show: Callable[[Decimal], str], d: Deduction) -> JsonObject:
    out: JsonObject = {
        "indicator": d.indicator_id,
        "path": [*d.ancestors],
        "rule": d.rule_id,
        "kind": str(d.rule_kind),
        "wording": d.wording,
        "provenance": d.provenance,
        "note": d.note,
        "item": d.item,
        "facts": [fact_dict(f) for f in d.facts],
        "computation": d.computation,
        "threshold": d.threshold,
        "points": show(d.points),
        "floored": d.floored,
        "capped": d.capped,
        "judgement": d.judgement,
        "rule_source": str(d.location),
    }
    if d.inferred:
        out["inferred"] = dict(d.inferred)
    return out


def fact_dict(read: FactRead) -> JsonObject:
    """The JSON shape of one fact as a rule read it."""
    value = read.value
    shown = decimals.fmt(value) if isinstance(value, Decimal) else value
    out: JsonObject = {
        "name": read.name,
        "value": shown,
        "unit": read.unit,
        "source": f"{read.location.file}:{read.location.line}" if read.location else None,
        "derivation": read.derivation,
        "quote": read.quote,
    }
    if read.inferred:  # only when the policy marks part of the declaration inferred
        out["inferred"] = dict(read.inferred)
    return out
