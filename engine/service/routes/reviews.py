"""Reviews (复核): a fact file's claimed scores against the rules, recorded in the decision log (edge).

``POST /policies/{id}/reviews`` reviews the claimed scores (``claimed``) of the posted facts, with the
reviewer's adjustments if given, and records the review like a score: actor, time, policy version and
digest, facts digest, the facts and adjustments as posted, and the whole review (the JSON of
``jixiao review --format json``) with its digest. ``GET /reviews`` lists them, ``GET /reviews/{id}``
returns one with its inputs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from engine.facts import canonical_json
from engine.render.review_json import review_dict
from engine.service import models, responses
from engine.service.access import READER, SCORER
from engine.service.errors import ApiError
from engine.service.json_body import BODY_FILE, CheckedRoute, decode_body
from engine.service.middleware import response_limit_message
from engine.service.requests import actor_name, check_department, facts_document, find_entry
from engine.service.state import ConfigDep, ServiceState, StateDep, StoreDep
from engine.source import SourceDoc, parse_document
from engine.views.review import review_document

__all__ = ["router"]

router = APIRouter(tags=["复核"], route_class=CheckedRoute)

ACTOR = Header(description="复核人：UTF-8 文本（可直接写，也可按 UTF-8 百分号编码），最长 100 个字符，不能含控制字符")
NEXT = "X-Jixiao-Next-Offset"


@router.post("/policies/{policy_id}/reviews", response_model=models.ReviewDecision, status_code=201,
             dependencies=[SCORER], responses={**models.ERRORS, **models.AUTH_ERRORS})
async def create_review(policy_id: str, body: models.ReviewRequest, request: Request, state: StateDep,
                        x_actor: Annotated[str | None, ACTOR] = None) -> models.ReviewDecision:
    """复核一份事实文件中填报的得分（claimed）并记录：与规则得分逐项对照，表内算术与规则不符分开，复核调整另列。"""
    raw = await request.body()
    actor = f"{actor_name(request)}@{request.client.host if request.client else '-'}"
    async with state.gate.slots():  # a review scores once: it waits in the same queue as scoring
        return await run_in_threadpool(_review, state, policy_id, body, raw, actor)


def _review(state: ServiceState, policy_id: str, body: models.ReviewRequest, raw: bytes,
            actor: str) -> models.ReviewDecision:
    entry = find_entry(state.registry, policy_id, body.version)
    doc = facts_document(state.config, body, raw)
    adjustments = _adjustments_document(body, raw)
    view = review_document(entry.policy, doc, adjustments=adjustments, force=body.force,
                           backend=state.config.backend)
    result = view.result
    check_department(result.department, doc)
    shown = review_dict(view)
    size = len(to_json(shown)) + 1_000  # and the record's own fields
    if size > state.config.max_response_bytes:  # checked before recording: a refused answer records nothing
        raise ApiError(422, "limit.response", response_limit_message(size, state.config.max_response_bytes))
    text = json.dumps(shown, ensure_ascii=False)
    record = state.store.record_review(
        actor=actor, department=result.department, policy_id=result.policy_id, policy_version=result.policy_version,
        policy_digest=result.policy_digest, facts_digest=result.facts_digest,
        review_digest=hashlib.sha256(text.encode()).hexdigest(), agrees=view.agrees, verdict=view.verdict,
        difference=shown["difference"], computed_total=shown["computed_total"],
        adjusted_total=shown["adjusted_total"], facts=_stored(doc), adjustments=_stored(adjustments) if adjustments
        else None, review=text)
    return responses.review(record, with_inputs=False, shown=shown)


def _adjustments_document(body: models.ReviewRequest, raw: bytes) -> SourceDoc | None:
    """The reviewer's adjustments of a request, parsed with positions (in the request body or the posted text)."""
    if body.adjustments is not None and body.adjustments_text is not None:
        raise ApiError(400, "request.adjustments", "adjustments（JSON 对象）和 adjustments_text（原文）只能给一个")
    if body.adjustments_text is not None:
        return parse_document(body.adjustments_text, Path(body.adjustments_name).name or "adjustments.yaml")
    if body.adjustments is not None:
        return parse_document(decode_body(raw), BODY_FILE).sub(("adjustments",))
    return None


def _stored(doc: SourceDoc) -> str:
    return canonical_json(doc.value)  # as decisions store their facts


@router.get("/reviews/{review_id}", response_model=models.ReviewDecision, dependencies=[READER],
            responses={**models.ERRORS, **models.AUTH_ERRORS})
def get_review(review_id: str, store: StoreDep) -> models.ReviewDecision:
    """按 id 读取一条已记录的复核（含事实、复核调整和完整的复核结果）。"""
    record = store.review(review_id)
    if record is None:
        raise ApiError(404, "review.not_found", f"没有 id 为 {review_id} 的复核记录")
    return responses.review(record, with_inputs=True)


@router.get("/reviews", response_model=list[models.ReviewDecision], dependencies=[READER],
            responses=models.AUTH_ERRORS)
def list_reviews(store: StoreDep, config: ConfigDep, response: Response, policy_id: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[models.ReviewDecision]:
    """最近的复核记录（新的在前），跳过最新的 offset 条。

    列表不超过响应大小上限：放不下时只返回前面的部分，响应头 X-Jixiao-Next-Offset 给出下一页的 offset。
    """
    budget = config.max_response_bytes - 1_000
    shown: list[models.ReviewDecision] = []
    for record in store.reviews(policy_id, limit, offset):
        item = responses.review(record, with_inputs=False)
        budget -= len(item.model_dump_json()) + 1
        if budget < 0:
            if not shown:  # stored under a larger limit than today's: no page could hold it
                size = config.max_response_bytes - budget
                raise ApiError(422, "limit.response", response_limit_message(size, config.max_response_bytes))
            response.headers[NEXT] = str(offset + len(shown))
            break
        shown.append(item)
    return shown
