"""Recorded decisions: one by id, or the newest ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from engine.service import models, responses
from engine.service.access import READER
from engine.service.errors import ApiError
from engine.service.json_body import CheckedRoute
from engine.service.middleware import response_limit_message
from engine.service.state import ConfigDep, StoreDep

router = APIRouter(tags=["评分"], route_class=CheckedRoute)

NEXT = "X-Jixiao-Next-Offset"


@router.get("/decisions/{decision_id}", response_model=models.Decision, dependencies=[READER],
            responses={**models.ERRORS, **models.AUTH_ERRORS})
def get_decision(decision_id: str, store: StoreDep) -> models.Decision:
    """按 id 读取一条已记录的评分决定（含事实和完整结果）。"""
    record = store.decision(decision_id)
    if record is None:
        raise ApiError(404, "decision.not_found", f"没有 id 为 {decision_id} 的评分决定")
    return responses.decision(record, with_facts=True)


@router.get("/decisions", response_model=list[models.Decision], dependencies=[READER], responses=models.AUTH_ERRORS)
def list_decisions(store: StoreDep, config: ConfigDep, response: Response, policy_id: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[models.Decision]:
    """最近的评分决定（新的在前），跳过最新的 offset 条。

    列表不超过响应大小上限：放不下时只返回前面的部分，响应头 X-Jixiao-Next-Offset 给出下一页的 offset。
    """
    budget = config.max_response_bytes - 1_000
    shown: list[models.Decision] = []
    for record in store.decisions(policy_id, limit, offset):
        decision = responses.decision(record, with_facts=False)
        budget -= len(decision.model_dump_json()) + 1
        if budget < 0:
            if not shown:  # stored under a larger limit than today's: no page could hold it
                size = config.max_response_bytes - budget
                raise ApiError(422, "limit.response", response_limit_message(size, config.max_response_bytes))
            response.headers[NEXT] = str(offset + len(shown))
            break
        shown.append(decision)
    return shown
