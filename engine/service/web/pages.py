"""The workbench's pages: choose a policy, score a fact file, trace a deduction, what-if, compare, download (edge).

Every page calls the functions the API's routes call: scoring records a decision through
:func:`engine.service.routes.scoring.score_and_record`, the trace is ``explain.fails`` with
``recover.recover``, the what-if ``whatif.whatif``, the comparison ``diff.diff`` and
``diff.diff_scores``, and the what-if and comparison panels are the reports' own pages
(``whatif_page``, ``diff_page``). Input problems are shown as located Chinese messages in the page,
with the status the API would answer; nothing here answers 500 for bad input.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

import engine
from engine.errors import JixiaoError
from engine.loader import facts_from_document
from engine.render.html import render_page_html
from engine.render.page import score
from engine.render.page_diff import diff_page
from engine.render.page_whatif import whatif_page
from engine.service import responses
from engine.service.access import Role
from engine.service.errors import ApiError, error_item
from engine.service.requests import checked_actor, find_entry
from engine.service.routes.scoring import score_and_record
from engine.service.state import ServiceState, StateDep
from engine.service.web import tree
from engine.service.web.access import COOKIE, check_origin, page_grant
from engine.service.web.draft import Draft, draft_from_form, draft_from_upload, policy_choice
from engine.service.web.report import decision_page
from engine.service.web.templates import PAGE_POLICY, html, render
from engine.views import diff as policy_diff
from engine.views import explain, recover, scenario, whatif

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
WHATIF_SOURCE = "试算"
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"  # a report is inline CSS and text only


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@dataclass(frozen=True, slots=True)
class Shown:
    """A problem as the page shows it: where, what, its stable code and field."""

    where: str
    message: str
    code: str
    field: str


def _problems(err: ApiError | JixiaoError) -> tuple[int, list[Shown]]:
    if isinstance(err, ApiError):
        loc = err.problem.location
        where = f"{loc.file}:{loc.line}:{loc.col}" if loc else ""
        return err.status, [Shown(where, err.problem.message, err.problem.code, err.problem.field)]
    items = [(p, error_item(p)) for p in err.problems]  # error_item cuts a message that quotes a huge input
    return 422, [Shown(str(p.location) if p.location else "", item.message, item.code, item.field) for p, item in items]


def _problem_page(request: Request, err: ApiError | JixiaoError) -> HTMLResponse:
    """A located Chinese message in place of the answer, with the status the API gives the same problem."""
    status, items = _problems(err)
    login = status == 401
    if not _is_htmx(request):
        return html("login.html.j2" if login else "problem_page.html.j2", status, items=items, error="", login=login)
    return html("problem.html.j2", status, items=items, login=login)


async def _answer(request: Request, state: ServiceState, needed: Role,
                  work: Callable[[ServiceState, FormData], HTMLResponse]) -> HTMLResponse:
    """Check the origin and the role, read the form, run ``work`` in the thread pool; problems become pages."""
    try:
        check_origin(request)
        page_grant(request, state, needed)
        form = await _form(request, state)
        try:
            return await run_in_threadpool(work, state, form)
        finally:
            await form.close()
    except (ApiError, JixiaoError) as err:
        return _problem_page(request, err)


async def _form(request: Request, state: ServiceState) -> FormData:
    """The posted form; a part larger than the body limit or a malformed body is a 400 ``request.form``."""
    try:
        return await request.form(max_part_size=state.config.max_body_bytes)
    except StarletteHTTPException as err:
        raise ApiError(400, "request.form", f"表单无法读取：{err.detail}") from None


# -- the start page and the score ------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def index(request: Request, state: StateDep) -> HTMLResponse:
    """The start page: choose a policy version, upload or paste a fact file."""
    try:
        grant = page_grant(request, state, Role.READER)
    except ApiError as err:
        return _problem_page(request, err)
    choices = [(f"{pid}@{e.policy.meta.version}", f"{e.policy.meta.name}（{pid} 版本 {e.policy.meta.version}）")
               for pid, entries in state.registry.all() for e in entries]
    return html("index.html.j2", choices=choices, open=state.access.is_open, role=grant.role.label,
                can_score=grant.role >= Role.SCORER)


@router.post("/workbench/score", response_class=HTMLResponse)
async def score_page(request: Request, state: StateDep) -> HTMLResponse:
    """Score the uploaded or pasted facts, record the decision, show the result."""
    try:
        check_origin(request)
        page_grant(request, state, Role.SCORER)
        form = await _form(request, state)
        try:
            draft = await draft_from_upload(form)
        finally:
            await form.close()  # the upload's spooled file: its bytes are in the draft now
        name = form.get("actor")
        actor = checked_actor(name, "评分人") if isinstance(name, str) and name.strip() else "anonymous"
        actor = f"{actor}@{request.client.host if request.client else '-'}"
        async with state.gate.slots():
            body = await run_in_threadpool(_scored, state, draft, actor)
    except (ApiError, JixiaoError) as err:
        return _problem_page(request, err)
    return HTMLResponse(body if _is_htmx(request) else render("standalone.html.j2", body=body),
                        headers={"Content-Security-Policy": PAGE_POLICY})


def _scored(state: ServiceState, draft: Draft, actor: str) -> str:
    entry = draft.entry(state.registry)
    meta = entry.policy.meta
    draft = dataclasses.replace(draft, policy_id=meta.id, version=meta.version)
    doc = draft.document(state.config)
    scored = score_and_record(state, entry, doc, actor)
    result = scored.result
    others = [(f"{pid}@{e.policy.meta.version}", f"{e.policy.meta.name}（{pid} 版本 {e.policy.meta.version}）")
              for pid, entries in state.registry.all() for e in entries if e is not entry]
    others.sort(key=lambda choice: not choice[0].startswith(f"{meta.id}@"))  # versions of the same policy first
    editable = tree.editable_facts(entry.policy, doc)
    return render("result.html.j2", draft=draft.fields(), result=result, nodes=tree.tree(result),
                  decision=scored.record, others=others, facts=tree.fact_rows(doc, editable),
                  fmt=lambda value: score(result, value))


# -- trace, what-if, comparison ----------------------------------------------------------------
@router.post("/workbench/trace", response_class=HTMLResponse)
async def trace(request: Request, state: StateDep) -> HTMLResponse:
    """One deduction's trace: wording and provenance, facts, computation, threshold, verified recovery."""
    return await _answer(request, state, Role.SCORER, _trace)


def _trace(state: ServiceState, form: FormData) -> HTMLResponse:
    draft = draft_from_form(form)
    entry, doc = draft.entry(state.registry), draft.document(state.config)
    facts = facts_from_document(doc, entry.policy)
    result = engine.evaluate(entry.policy, facts, backend=state.config.backend)
    indicator, item = str(form.get("indicator") or ""), str(form.get("item") or "")
    try:
        node = explain.find(result, indicator)
    except explain.UnknownIndicator as err:
        raise ApiError(404, "indicator.not_found", str(err)) from None
    chosen = tuple(d for d in node.deductions if (d.item or "") == item and d.points) or node.deductions
    found = recover.recover(entry.policy, doc, facts, result, indicator=indicator, backend=state.config.backend)
    traces = tree.traces(result, chosen, found, tree.editable_facts(entry.policy, doc), doc)
    return html("trace.html.j2", traces=traces, node=node, fmt=lambda value: score(result, value))


@router.post("/workbench/whatif", response_class=HTMLResponse)
async def what_if(request: Request, state: StateDep) -> HTMLResponse:
    """The score with some facts changed in place: per-indicator deltas and the deductions that changed."""
    return await _answer(request, state, Role.SCORER, _whatif)


def _overrides(form: FormData, editable: dict[str, tree.EditableFact]) -> list[str]:
    """``NAME=VALUE`` for every fact whose input differs from the file, then any explicit ``set``."""
    changed = []
    for key, value in form.multi_items():
        if key.startswith("fact.") and isinstance(value, str):
            fact = editable.get(key.removeprefix("fact."))
            if fact is not None and value.strip() and value.strip() != fact.current:
                changed.append(f"{fact.name}={value.strip()}")
    changed += [v for k, v in form.multi_items() if k == "set" and isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(changed))


def _whatif(state: ServiceState, form: FormData) -> HTMLResponse:
    draft = draft_from_form(form)
    entry, doc = draft.entry(state.registry), draft.document(state.config)
    texts = _overrides(form, tree.editable_facts(entry.policy, doc))
    if not texts:
        raise ApiError(400, "request.set", "没有改动任何事实：请先修改一项事实的值，再点“试算”")
    overrides = []
    for i, text in enumerate(texts, 1):
        try:
            overrides.append(scenario.parse_override(text, i, WHATIF_SOURCE))
        except scenario.OverrideSyntax as err:
            raise ApiError(400, "request.set", str(err), field=f"set[{i - 1}]") from None
    facts = facts_from_document(doc, entry.policy)
    view = whatif.whatif(entry.policy, doc, facts, overrides, backend=state.config.backend)
    return html("report_panel.html.j2", page=whatif_page(view), kind="whatif")


@router.post("/workbench/diff", response_class=HTMLResponse)
async def compare(request: Request, state: StateDep) -> HTMLResponse:
    """The same facts under another policy version: what changed in the policy, and each score delta's cause."""
    return await _answer(request, state, Role.SCORER, _diff)


def _diff(state: ServiceState, form: FormData) -> HTMLResponse:
    draft = draft_from_form(form)
    a = draft.entry(state.registry).policy
    other_id, other_version = policy_choice(str(form.get("other") or ""))
    b = find_entry(state.registry, other_id, other_version or None).policy
    doc = draft.document(state.config)
    structure = policy_diff.diff(a, b)
    scores = policy_diff.diff_scores(a, b, facts_from_document(doc, a), facts_from_document(doc, b),
                                     backend=state.config.backend)
    return html("report_panel.html.j2", page=diff_page(structure, scores), kind="diff")


# -- downloads of a recorded decision ----------------------------------------------------------
def _decision(request: Request, state: ServiceState, decision_id: str) -> Any:
    page_grant(request, state, Role.READER)
    record = state.store.decision(decision_id)
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
        return _problem_page(request, err)
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
        return _problem_page(request, err)
    body = responses.decision(record, with_facts=True).model_dump_json()
    return _attachment(body, "application/json", f"jixiao-{record.department}-{record.id}.json",
                       f"jixiao-decision-{record.id}.json")


# -- signing in with a token -------------------------------------------------------------------
@router.post("/workbench/login", response_class=HTMLResponse)
async def login(request: Request, state: StateDep) -> Response:
    """Check a token and keep it in an ``HttpOnly``, ``SameSite=Strict`` cookie."""
    try:
        check_origin(request)
    except ApiError as err:
        return _problem_page(request, err)
    try:
        form = await _form(request, state)
    except ApiError as err:
        return _problem_page(request, err)
    await form.close()
    token = str(form.get("token") or "").strip()
    if not token or state.access.role_of(token) is None:
        return html("login.html.j2", 401, items=[], error="令牌不正确：请向服务管理员索取令牌")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/workbench/logout")
def logout(request: Request) -> Response:
    """Forget the token."""
    try:
        check_origin(request)
    except ApiError as err:
        return _problem_page(request, err)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response
