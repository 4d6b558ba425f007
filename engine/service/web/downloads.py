"""Downloads: a recorded decision as HTML, JSON or .xlsx report, and the review workbook of a page (edge)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

import engine
from engine.excel.report import score_workbook
from engine.excel.review_report import review_workbook
from engine.loader import facts_from_document
from engine.render.html import render_page_html
from engine.render.json import dump_result
from engine.service import responses
from engine.service.access import Role
from engine.service.errors import ApiError
from engine.service.state import ServiceState, StateDep
from engine.service.store import DecisionRecord
from engine.service.web.access import page_grant
from engine.service.web.answers import answer, problem_page
from engine.service.web.draft import draft_from_form, review_of
from engine.service.web.report import decision_page

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"  # a report is inline CSS and text only


def _decision(request: Request, state: ServiceState, decision_id: str) -> DecisionRecord:
    page_grant(request, state, Role.READER)
    return _stored(state, decision_id)


def _stored(state: ServiceState, decision_id: str) -> DecisionRecord:
    record = state.store.decision(decision_id) if decision_id else None
    if record is None:
        raise ApiError(404, "decision.not_found", f"没有决定 {decision_id}")
    return record


def _attachment(body: str | bytes, media: str, name: str, fallback: str) -> Response:
    """A download; the Chinese file name as RFC 6266 ``filename*``, an ASCII ``fallback`` for old clients."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition,
                                                     "Content-Security-Policy": REPORT_POLICY})


@router.get("/workbench/decisions/{decision_id}/report.html")
def report_html(decision_id: str, request: Request, state: StateDep) -> Response:
    """The report of a recorded decision as one self-contained HTML file."""
    try:
        record = _decision(request, state, decision_id)
    except ApiError as err:
        return problem_page(request, err)
    entry = state.registry.find(record.policy_id, record.policy_version)
    order = [d.name for d in entry.policy.facts] if entry and entry.policy.digest == record.policy_digest else []
    return _attachment(render_page_html(decision_page(record, order)), "text/html; charset=utf-8",
                       f"jixiao-{record.department}-{record.id}.html", f"jixiao-report-{record.id}.html")


@router.get("/workbench/decisions/{decision_id}/decision.json")
def report_json(decision_id: str, request: Request, state: StateDep) -> Response:
    """A recorded decision as the API's ``GET /decisions/{id}`` gives it (facts and full result)."""
    try:
        record = _decision(request, state, decision_id)
    except ApiError as err:
        return problem_page(request, err)
    body = responses.decision(record, with_facts=True).model_dump_json()
    return _attachment(body, "application/json", f"jixiao-{record.department}-{record.id}.json",
                       f"jixiao-decision-{record.id}.json")


@router.post("/workbench/report.xlsx")
async def report_xlsx(request: Request, state: StateDep) -> Response:
    """The score report as .xlsx (自评表, 扣分明细, 事实), from the facts the page carries.

    The decision log keeps the facts without their positions in the file, so the workbook is made
    from the page's own copy, evaluated again; its result must be the recorded decision's (same
    digest), or the download is refused.
    """
    return await answer(request, state, Role.SCORER, _xlsx)


def _xlsx(state: ServiceState, form: FormData) -> Response:
    draft = draft_from_form(form)
    record = _stored(state, str(form.get("decision") or ""))
    entry, doc = draft.entry(state.registry), draft.document(state.config)
    facts = facts_from_document(doc, entry.policy)
    result = engine.evaluate(entry.policy, facts, backend=state.config.backend)
    if hashlib.sha256(dump_result(result)).hexdigest() != record.result_digest:
        raise ApiError(409, "decision.mismatch", f"页面上的事实与决定 {record.id} 的结果不符：请重新评分后再下载")
    return _attachment(score_workbook(result, facts), XLSX, f"jixiao-{record.department}-{record.id}.xlsx",
                       f"jixiao-report-{record.id}.xlsx")


@router.post("/workbench/review.xlsx")
async def review_xlsx(request: Request, state: StateDep) -> Response:
    """The review of the page's claimed scores as .xlsx (复核表, 差异明细, 事实), as ``jixiao review --format xlsx``."""
    return await answer(request, state, Role.SCORER, _review_xlsx)


def _review_xlsx(state: ServiceState, form: FormData) -> Response:
    view = review_of(state, form)
    return _attachment(review_workbook(view), XLSX, f"jixiao-复核-{view.result.department}.xlsx", "jixiao-review.xlsx")
