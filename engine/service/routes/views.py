"""Views that record nothing: explain (why not full marks), what-if, and the diff of two versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request

import engine
from engine.loader import facts_from_document
from engine.render import views_json
from engine.service import models
from engine.service.access import SCORER
from engine.service.errors import ApiError
from engine.service.json_body import CheckedRoute
from engine.service.requests import facts_document, find_entry, raw_body
from engine.service.state import ConfigDep, RegistryDep
from engine.views import diff as policy_diff
from engine.views import explain, recover, scenario, whatif

router = APIRouter(tags=["解释"], route_class=CheckedRoute)
RESPONSES = {**models.ERRORS, **models.AUTH_ERRORS}
T = TypeVar("T")


@router.post("/policies/{policy_id}/explain", response_model=dict[str, Any], dependencies=[SCORER], responses=RESPONSES)
def explain_view(policy_id: str, body: models.ExplainRequest, request: Request, config: ConfigDep,
                 registry: RegistryDep) -> dict[str, Any]:
    """为什么没有得满分：未得满分的指标、扣分、规则原文、事实和算式，附挽回建议（不记录决定）。"""
    entry = find_entry(registry, policy_id, body.version)
    doc = facts_document(config, body, raw_body(request))
    facts = facts_from_document(doc, entry.policy)
    result = engine.evaluate(entry.policy, facts, backend=config.backend)
    try:
        view = explain.fails(result, body.indicator)
        found = recover.recover(entry.policy, doc, facts, result, indicator=body.indicator,
                                backend=config.backend) if body.recover else None
    except explain.UnknownIndicator as err:
        raise ApiError(404, "indicator.not_found", str(err)) from None
    return _json_object(views_json.explain_json(view, found))


@router.post("/policies/{policy_id}/whatif", response_model=dict[str, Any], dependencies=[SCORER], responses=RESPONSES)
def whatif_view(policy_id: str, body: models.WhatIfRequest, request: Request, config: ConfigDep,
                registry: RegistryDep) -> dict[str, Any]:
    """如果事实不同：改动后的得分与变化（set），或一项事实取一串值时的得分（sweep）。不记录决定。"""
    entry = find_entry(registry, policy_id, body.version)
    if not body.set and not body.sweep:
        raise ApiError(400, "request.set", "请给出 set（NAME=VALUE 列表）或 sweep（NAME=FROM:TO:STEP）")
    doc = facts_document(config, body, raw_body(request))
    facts = facts_from_document(doc, entry.policy)
    overrides = [_parsed(scenario.parse_override, text, scenario.SET_FILE, i, f"set[{i - 1}]")
                 for i, text in enumerate(body.set, 1)]
    spec = _parsed(whatif.parse_sweep, body.sweep, whatif.SWEEP_FILE, 1, "sweep") if body.sweep else None
    if spec is not None:
        table = whatif.sweep(entry.policy, doc, facts, spec, overrides, backend=config.backend)
        return _json_object(views_json.sweep_json(table))
    view = whatif.whatif(entry.policy, doc, facts, overrides, backend=config.backend)
    return _json_object(views_json.whatif_json(view))


def _json_object(text: str) -> dict[str, Any]:
    """A view's JSON text as the object FastAPI answers with (the response model is any JSON object)."""
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


def _parsed(parse: Callable[[str], T], text: str, file: str, line: int, field: str) -> T:
    """``parse(text)``; a syntax error is a 400 located as the command line locates it (``--set`` line i)."""
    try:
        return parse(text)
    except scenario.OverrideSyntax as err:
        raise ApiError(400, "request.set", str(err), field=field,
                       location=models.Location(file=file, line=line, col=1)) from None


@router.post("/diff", response_model=dict[str, Any], dependencies=[SCORER], responses=RESPONSES)
def diff_view(body: models.DiffRequest, request: Request, config: ConfigDep, registry: RegistryDep) -> dict[str, Any]:
    """比较两个指标体系版本；给出事实时，还有各指标得分的变化及其原因。"""
    a = find_entry(registry, body.policy_a.id, body.policy_a.version).policy
    b = find_entry(registry, body.policy_b.id, body.policy_b.version).policy
    structure = policy_diff.diff(a, b)
    scores = None
    if body.facts is not None or body.facts_text is not None:
        doc = facts_document(config, body, raw_body(request))
        scores = policy_diff.diff_scores(a, b, facts_from_document(doc, a), facts_from_document(doc, b),
                                         backend=config.backend)
    return _json_object(views_json.diff_json(structure, scores))
