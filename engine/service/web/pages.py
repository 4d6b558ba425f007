"""The workbench's pages: choose a policy, score a fact file, trace a deduction, what-if, compare, review (edge).

Every page calls the functions the API's routes call: scoring records a decision through
:func:`engine.service.routes.scoring.score_and_record`, the trace is ``explain.fails`` with
``recover.recover``, the what-if ``whatif.whatif``, the comparison ``diff.diff`` and
``diff.diff_scores``, the review ``review.review_document``; the what-if, comparison and review
panels are the reports' own pages (``whatif_page``, ``diff_page``, ``review_page``). Input problems
are shown as located Chinese messages (:mod:`engine.service.web.answers`); nothing here answers 500
for bad input.
"""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

import engine
from engine.claims import parse_claims
from engine.errors import JixiaoError
from engine.facts import Facts
from engine.identity import forced_text
from engine.loader import facts_from_document
from engine.render.common import gap_lines, total_score
from engine.render.page import score
from engine.render.page_diff import diff_page
from engine.render.page_review import review_page
from engine.render.page_whatif import whatif_page
from engine.service.access import Role
from engine.service.errors import ApiError
from engine.service.requests import checked_actor, find_entry
from engine.service.routes.scoring import score_and_record
from engine.service.state import ServiceState, StateDep
from engine.service.web import tree
from engine.service.web.access import check_origin, page_grant
from engine.service.web.answers import answer, is_htmx, problem_page, read_form
from engine.service.web.draft import FROM_FILE, Draft, draft_from_form, draft_from_upload, policy_choice, review_of
from engine.service.web.templates import PAGE_POLICY, html, render
from engine.source import SourceDoc
from engine.views import diff as policy_diff
from engine.views import explain, recover, scenario, whatif

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
WHATIF_SOURCE = "试算"


# -- the start page and the score ------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def index(request: Request, state: StateDep) -> HTMLResponse:
    """The start page: choose a policy version, upload or paste a fact file."""
    try:
        grant = page_grant(request, state, Role.READER)
    except ApiError as err:
        return problem_page(request, err)
    choices = [(f"{pid}@{e.policy.meta.version}", f"{e.policy.meta.name}（{pid} 版本 {e.policy.meta.version}）")
               for pid, entries in state.registry.all() for e in entries]
    return html("index.html.j2", choices=choices, from_file=FROM_FILE, open=state.access.is_open, role=grant.role.label,
                can_score=grant.role >= Role.SCORER)


@router.post("/workbench/score", response_class=HTMLResponse)
async def score_page(request: Request, state: StateDep) -> HTMLResponse:
    """Score the uploaded or pasted facts, record the decision, show the result."""
    try:
        check_origin(request)
        page_grant(request, state, Role.SCORER)
        form = await read_form(request, state)
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
        return problem_page(request, err)
    return HTMLResponse(body if is_htmx(request) else render("standalone.html.j2", body=body),
                        headers={"Content-Security-Policy": PAGE_POLICY})


def _scored(state: ServiceState, draft: Draft, actor: str) -> str:
    doc = draft.document(state.config)
    entry = draft.entry(state.registry, doc)
    meta = entry.policy.meta
    draft = dataclasses.replace(draft, policy_id=meta.id, version=meta.version)
    scored = score_and_record(state, entry, doc, actor, force=draft.force)
    result = scored.result
    others = [(f"{pid}@{e.policy.meta.version}", f"{e.policy.meta.name}（{pid} 版本 {e.policy.meta.version}）")
              for pid, entries in state.registry.all() for e in entries if e is not entry]
    others.sort(key=lambda choice: not choice[0].startswith(f"{meta.id}@"))  # versions of the same policy first
    editable = tree.editable_facts(entry.policy, doc)
    return render("result.html.j2", draft=draft.fields(), result=result, nodes=tree.tree(result),
                  total=total_score(result), gaps=gap_lines(result), decision=scored.record, others=others,
                  facts=tree.fact_rows(doc, editable), claims=_has_claims(entry.policy, doc, scored.facts),
                  forced=forced_text(scored.forced) if scored.forced else "", fmt=lambda value: score(result, value))


def _has_claims(policy: engine.CompiledPolicy, doc: SourceDoc, facts: Facts) -> bool:
    """Whether the file carries claimed scores (``claimed``, or a project form's rows): the review tab."""
    try:
        return bool(parse_claims(doc, policy, facts.indicator_names))
    except JixiaoError:  # claims the review will locate: the tab is there to show them
        return True


# -- trace, what-if, comparison ----------------------------------------------------------------
@router.post("/workbench/trace", response_class=HTMLResponse)
async def trace(request: Request, state: StateDep) -> Response:
    """One deduction's trace: wording and provenance, facts, computation, threshold, verified recovery."""
    return await answer(request, state, Role.SCORER, _trace)


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
async def what_if(request: Request, state: StateDep) -> Response:
    """The score with some facts changed in place: per-indicator deltas and the deductions that changed."""
    return await answer(request, state, Role.SCORER, _whatif)


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
async def compare(request: Request, state: StateDep) -> Response:
    """The same facts under another policy version: what changed in the policy, and each score delta's cause."""
    return await answer(request, state, Role.SCORER, _diff)


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


@router.post("/workbench/review", response_class=HTMLResponse)
async def review_claims(request: Request, state: StateDep) -> Response:
    """The claimed scores of the file against the rules (复核), as ``jixiao review`` shows it; nothing recorded."""
    return await answer(request, state, Role.SCORER, _review)


def _review(state: ServiceState, form: FormData) -> HTMLResponse:
    return html("report_panel.html.j2", page=review_page(review_of(state, form)), kind="review")
