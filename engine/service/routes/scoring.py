"""Scoring: evaluate facts under a policy version and record the decision."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

import engine
from engine.loader import facts_from_document
from engine.render.json import dump_result
from engine.service import models, responses
from engine.service.requests import facts_document, find_entry
from engine.service.state import ServiceState, StateDep

router = APIRouter(tags=["评分"])


@router.post("/policies/{policy_id}/score", response_model=models.Decision, status_code=201,
             responses=models.ERRORS)
async def score(policy_id: str, body: models.ScoreRequest, request: Request, state: StateDep,
                x_actor: Annotated[str | None, Header(max_length=100)] = None) -> models.Decision:
    """为一份事实打分并记录决定；事实可以是 JSON 对象（facts）或事实文件原文（facts_text）。"""
    from urllib.parse import unquote

    raw = await request.body()
    who = unquote(x_actor) if x_actor else "anonymous"  # UTF-8 names arrive percent-encoded
    actor = f"{who}@{request.client.host if request.client else '-'}"
    async with state.gate.slots():  # first come, first served: no request starves behind the others
        return await run_in_threadpool(_score, state, policy_id, body, raw, actor)


def _score(state: ServiceState, policy_id: str, body: models.ScoreRequest, raw: bytes,
           actor: str) -> models.Decision:
    entry = find_entry(state.registry, policy_id, body.version)
    doc = facts_document(state.config, body, raw)
    facts = facts_from_document(doc, entry.policy)
    result = engine.evaluate(entry.policy, facts, backend=state.config.backend)
    exact = dump_result(result)  # every field, exact decimals: what is stored and what the digest covers
    record = state.store.record(
        actor=actor, department=result.department, policy_id=result.policy_id, policy_version=result.policy_version,
        policy_digest=result.policy_digest, facts_digest=facts.digest,
        result_digest=hashlib.sha256(exact).hexdigest(), total=str(result.total),
        facts=json.dumps(doc.value, ensure_ascii=False, sort_keys=True, default=_plain), result=exact.decode())
    return responses.decision(record, with_facts=False, result=result)


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))
