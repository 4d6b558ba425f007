"""Scoring: evaluate facts under a policy version and record the decision."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

import engine
from engine.facts import Facts, canonical_json, text_digest
from engine.identity import IdentityMismatch, check_identity, forced_records
from engine.json_values import JsonObject
from engine.loader import facts_from_document
from engine.render.json import dump_result, result_dict
from engine.service import models, responses
from engine.service.access import SCORER
from engine.service.errors import ApiError
from engine.service.json_body import CheckedRoute
from engine.service.middleware import response_limit_message
from engine.service.registry import Entry
from engine.service.requests import actor_name, check_department, facts_document, find_entry
from engine.service.state import ServiceState, StateDep
from engine.service.store import DecisionRecord
from engine.source import SourceDoc
from engine.trace import Result

router = APIRouter(tags=["评分"], route_class=CheckedRoute)

ACTOR = Header(description="评分人：UTF-8 文本（可直接写，也可按 UTF-8 百分号编码），最长 100 个字符，不能含控制字符")


@router.post("/policies/{policy_id}/score", response_model=models.Decision, status_code=201, dependencies=[SCORER],
             responses={**models.ERRORS, **models.AUTH_ERRORS})
async def score(policy_id: str, body: models.ScoreRequest, request: Request, state: StateDep,
                x_actor: Annotated[str | None, ACTOR] = None) -> Response:
    """为一份事实打分并记录决定；事实可以是 JSON 对象（facts）或事实文件原文（facts_text）。"""
    raw = await request.body()
    # x_actor is declared for the documentation; Starlette decoded it as Latin-1, so read the raw bytes
    actor = f"{actor_name(request)}@{request.client.host if request.client else '-'}"
    async with state.gate.slots():  # first come, first served: no request starves behind the others
        # in the pool, not on the loop's thread: that saves the hand-off (2.5 % of a request's instructions) but
        # finished decisions then wait behind queued evaluations; under load the two measured the same
        evaluated = await run_in_threadpool(_evaluate, state, policy_id, body, raw)
    # the slot is free while the decision waits for its group commit: the next evaluation runs meanwhile
    record = await asyncio.wrap_future(record_decision(state, evaluated, actor))
    forced = forced_records(evaluated.forced)
    content = responses.decision_json(record, evaluated.shown, evaluated.shown_json, forced=forced)
    return Response(content, status_code=201, media_type="application/json")


def _evaluate(state: ServiceState, policy_id: str, body: models.ScoreRequest, raw: bytes) -> Evaluated:
    entry = find_entry(state.registry, policy_id, body.version)
    return evaluate_decision(state, entry, facts_document(state.config, body, raw), force=body.force)


@dataclass(frozen=True, slots=True)
class Evaluated:
    """An evaluation ready to be recorded: the result, its JSON (serialised once) and the decision's fields."""

    facts: Facts
    result: Result
    shown: JsonObject
    shown_json: bytes
    forced: tuple[IdentityMismatch, ...]
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class Scored:
    """An evaluation, the decision it was recorded under, and the identity mismatches ``force`` let through."""

    facts: Facts
    result: Result
    record: DecisionRecord
    shown: JsonObject
    forced: tuple[IdentityMismatch, ...]


def score_and_record(state: ServiceState, entry: Entry, doc: SourceDoc, actor: str, *, force: bool = False) -> Scored:
    """Check, validate and score a fact document, then record the decision: the API's and the workbench's one path.

    The API's route runs the same two steps, :func:`evaluate_decision` and :func:`record_decision`,
    with the wait for the durable commit outside its scoring slot.

    Raises:
        PolicyErrors: ``facts.identity`` when the file names another policy, version or year (unless ``force``).
        JixiaoError: the facts do not fit the policy, or the department name does not fit the log.
        ApiError: the answer would exceed the response limit (nothing is recorded).
    """
    evaluated = evaluate_decision(state, entry, doc, force=force)
    record = record_decision(state, evaluated, actor).result()
    return Scored(evaluated.facts, evaluated.result, record, evaluated.shown, evaluated.forced)


def evaluate_decision(state: ServiceState, entry: Entry, doc: SourceDoc, *, force: bool = False) -> Evaluated:
    """The first step of :func:`score_and_record`: everything up to the write (nothing is recorded).

    Raises:
        PolicyErrors, JixiaoError, ApiError: as :func:`score_and_record`.
    """
    forced = check_identity(doc, entry.policy, force=force)
    canonical = canonical_json(doc.value)  # what is stored, and what the facts' digest covers
    facts = facts_from_document(doc, entry.policy, text_digest(canonical))
    result = engine.evaluate(entry.policy, facts, backend=state.config.backend)
    check_department(result.department, doc)
    shown = result_dict(result)
    shown_json = to_json(shown)  # the answer's result, serialised once; its size is checked before recording
    _within_response_limit(state, len(shown_json))
    exact = dump_result(result)  # every field, exact decimals: what is stored and what the digest covers
    fields = {
        "department": result.department, "policy_id": result.policy_id, "policy_version": result.policy_version,
        "policy_digest": result.policy_digest, "facts_digest": facts.digest,
        "result_digest": hashlib.sha256(exact).hexdigest(), "total": str(result.total),
        "facts": canonical, "result": exact.decode()}
    return Evaluated(facts, result, shown, shown_json, forced, fields)


def record_decision(state: ServiceState, evaluated: Evaluated, actor: str) -> Future[DecisionRecord]:
    """The second step of :func:`score_and_record`: queue the decision for the next group commit.

    The future holds the decision once its group is durable (:class:`engine.service.store.GroupWriter`);
    only then may anyone be told it was recorded.
    """
    return state.store.submit(actor=actor, **evaluated.fields)


def _within_response_limit(state: ServiceState, result_size: int) -> None:
    size = result_size + 1_000  # and the decision's own fields
    if size > state.config.max_response_bytes:
        raise ApiError(422, "limit.response", response_limit_message(size, state.config.max_response_bytes))

