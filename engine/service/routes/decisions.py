"""Recorded decisions: one by id, or the newest ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from engine.service import models, responses
from engine.service.access import READER
from engine.service.errors import ApiError
from engine.service.json_body import CheckedRoute
from engine.service.state import StoreDep

router = APIRouter(tags=["评分"], route_class=CheckedRoute)


@router.get("/decisions/{decision_id}", response_model=models.Decision, dependencies=[READER],
            responses={**models.ERRORS, **models.AUTH_ERRORS})
def get_decision(decision_id: str, store: StoreDep) -> models.Decision:
    """按 id 读取一条已记录的评分决定（含事实和完整结果）。"""
    record = store.decision(decision_id)
    if record is None:
        raise ApiError(404, "decision.not_found", f"没有 id 为 {decision_id} 的评分决定")
    return responses.decision(record, with_facts=True)


@router.get("/decisions", response_model=list[models.Decision], dependencies=[READER], responses=models.AUTH_ERRORS)
def list_decisions(store: StoreDep, policy_id: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[models.Decision]:
    """最近的评分决定（新的在前）。"""
    return [responses.decision(r, with_facts=False) for r in store.decisions(policy_id, limit)]
