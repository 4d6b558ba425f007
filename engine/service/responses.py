"""Response models built from engine values and stored records (edge)."""

from __future__ import annotations

import json

from pydantic_core import to_json

import engine
from engine.compile import CompiledIndicator
from engine.json_values import JsonObject, JsonValue
from engine.render.json import load_result, result_dict
from engine.service import models
from engine.service.registry import Entry
from engine.service.store import DecisionRecord, ReviewRecord

__all__ = ["decision", "decision_json", "detail", "ref", "review", "version_info"]


def ref(policy: engine.CompiledPolicy) -> models.PolicyRef:
    """Which policy version: id, version, digest."""
    return models.PolicyRef(id=policy.meta.id, version=policy.meta.version, digest=policy.digest)


def version_info(entry: Entry) -> models.VersionInfo:
    """One version of a policy in a listing."""
    meta = entry.policy.meta
    return models.VersionInfo(version=meta.version, digest=entry.policy.digest, source=entry.source,
                              name=meta.name, fiscal_year=meta.fiscal_year)


def detail(entry: Entry) -> models.PolicyDetail:
    """A policy version: identity, indicator tree and source text."""
    policy = entry.policy
    meta = policy.meta
    return models.PolicyDetail(id=meta.id, name=meta.name, issuer=meta.issuer, fiscal_year=meta.fiscal_year,
                               version=meta.version, digest=policy.digest, source=entry.source,
                               indicators=[_indicator(n) for n in policy.indicators], text=entry.text)


def _indicator(node: CompiledIndicator) -> models.IndicatorInfo:
    rule = node.leaf.rule if node.leaf else None
    return models.IndicatorInfo(id=node.id, name=node.name, max=None if node.max is None else str(node.max),
                                rule=rule.id if rule else None, kind=rule.kind if rule else None,
                                provenance=rule.provenance if rule else None,
                                children=[_indicator(c) for c in node.children])


def decision(record: DecisionRecord, *, with_facts: bool, shown: JsonObject | None = None) -> models.Decision:
    """A stored decision; its result (``shown``: :func:`result_dict`) is read back unless already at hand.

    The result's findings are repeated beside the total (``findings``), so a reviewer sees them first.
    """
    shown = shown if shown is not None else result_dict(load_result(record.result))
    findings = _finding_items(shown.get("findings", []))
    return models.Decision(
        id=record.id, created_at=record.created_at, actor=record.actor, department=record.department,
        policy=models.PolicyRef(id=record.policy_id, version=record.policy_version, digest=record.policy_digest),
        facts_digest=record.facts_digest, result_digest=record.result_digest, total=record.total,
        findings=findings, result=shown,
        facts=json.loads(record.facts) if with_facts else None)


def decision_json(record: DecisionRecord, shown: JsonObject, shown_json: bytes, *, forced: list[JsonValue]) -> bytes:
    """A decision just recorded, as :class:`models.Decision` serialises it, around its result's JSON.

    ``shown_json`` is ``shown`` (:func:`result_dict`) serialised once, when its size was checked; the
    engine built it, so the response model does not validate it again (the tests hold the shape to
    the model).
    """
    items = shown.get("findings", [])
    assert isinstance(items, list)
    findings = [{key: f[key] for key in ("code", "message", "location", "field")} for f in items
                if isinstance(f, dict)]
    head = to_json({
        "id": record.id, "created_at": models.timestamp(record.created_at), "actor": record.actor,
        "department": record.department,
        "policy": {"id": record.policy_id, "version": record.policy_version, "digest": record.policy_digest},
        "facts_digest": record.facts_digest, "result_digest": record.result_digest, "total": record.total,
        "findings": findings})
    return head[:-1] + b',"result":' + shown_json + b"," + to_json({"facts": None, "forced": forced})[1:]


def _finding_items(findings: JsonValue) -> list[models.ErrorItem]:
    """A result's findings (``render.common.finding_dicts``) as the API's error items."""
    assert isinstance(findings, list)
    items = []
    for f in findings:
        assert isinstance(f, dict)
        items.append(models.ErrorItem.model_validate({key: f[key] for key in ("code", "message", "field", "location")}))
    return items


def review(record: ReviewRecord, *, with_inputs: bool, shown: JsonObject | None = None) -> models.ReviewDecision:
    """A stored review; its full review JSON is read back unless already at hand (``shown``)."""
    return models.ReviewDecision(
        id=record.id, created_at=record.created_at, actor=record.actor, department=record.department,
        policy=models.PolicyRef(id=record.policy_id, version=record.policy_version, digest=record.policy_digest),
        facts_digest=record.facts_digest, review_digest=record.review_digest, agrees=record.agrees,
        verdict=record.verdict, difference=record.difference, computed_total=record.computed_total,
        adjusted_total=record.adjusted_total, review=shown if shown is not None else json.loads(record.review),
        facts=json.loads(record.facts) if with_inputs else None,
        adjustments=json.loads(record.adjustments) if with_inputs and record.adjustments else None)
