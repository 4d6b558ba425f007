"""FastAPI application: policies, checks, scoring with a decision log, stored decisions (edge).

Every handler calls the public engine API; errors are the CLI's located problems as JSON (4xx).
durable_rules is process-global and not thread-safe: the firing module serialises engine calls with
a lock, handlers run in FastAPI's thread pool, and the service scales with processes (uvicorn
``--workers``), each with its own engine.
"""

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import engine
from engine.views import diff as policy_diff
from engine.views import explain
from engine.views import recover
from engine.views import scenario
from engine.views import whatif
from engine.errors import JixiaoError, Problem
from engine.firing.backends import Backend, DurableBackend
from engine.loader import facts_from_document
from engine.render import views_json
from engine.render.json import dump_result, load_result, result_dict
from engine.service import models
from engine.service.registry import Entry, Registry, confined_reader
from engine.service.store import DecisionRecord, Store
from engine.source import parse_document
from engine.trace import Result

__all__ = ["ServiceConfig", "create_app"]

ERRORS = {400: {"model": models.ErrorResponse}, 404: {"model": models.ErrorResponse},
          413: {"model": models.ErrorResponse}, 422: {"model": models.ErrorResponse}}


@dataclass
class ServiceConfig:
    """What the service needs; the CLI builds it from options and the environment."""

    policies_dir: Path
    db_url: str
    token: str | None = None
    max_body_bytes: int = 4_000_000  # above the 1 M-character text limit, which is a documented 422
    max_facts: int = 1_000
    backend: Backend = field(default_factory=DurableBackend)
    scoring_slots: int = 2  # evaluations running at once per process; the rest wait in arrival order


class ApiError(Exception):
    """An error with an HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, field: str = "") -> None:
        """Keep the status and the problem."""
        super().__init__(message)
        self.status, self.problem = status, models.ErrorItem(code=code, message=message, field=field)


def _item(problem: Problem) -> models.ErrorItem:
    loc = problem.location
    location = models.Location(file=loc.file, line=loc.line, col=loc.col) if loc else None
    return models.ErrorItem(code=str(problem.code), message=problem.message, location=location, field=problem.field)


def _error_response(status: int, items: list[models.ErrorItem]) -> JSONResponse:
    body = models.ErrorResponse(error=items[0], problems=items)
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


class BodyLimit:
    """Reject request bodies above a size limit (413) without reading them into memory first."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        """Wrap ``app``."""
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count body bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        item = models.ErrorItem(code="request.too_large", message=f"请求体超过 {self.limit} 字节的上限")
        body = json.dumps({"error": item.model_dump(mode="json"), "problems": [item.model_dump(mode="json")]},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(config: ServiceConfig) -> FastAPI:
    """Build the application: open the store, load bundled and stored policies, wire the routes."""
    store = Store(config.db_url)
    registry = Registry()
    registry.load_directory(config.policies_dir)
    parents = confined_reader(config.policies_dir)
    for key, text in store.policy_texts():
        registry.register_text(text, f"{key}.yaml", "stored", parents)
    app = FastAPI(title="jixiao 绩效评分服务", version="0.1.0",
                  description="按声明式指标体系为部门整体支出绩效自评打分，解释每一分扣分，并记录每次评分决定。")
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    _handlers(app)
    _routes(app, config, store, registry)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(JixiaoError)
    async def jixiao_error(_request: Request, err: JixiaoError) -> JSONResponse:
        return _error_response(422, [_item(p) for p in err.problems])

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> JSONResponse:
        return _error_response(err.status, [err.problem])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        if err.status_code == 405:
            allowed = _allowed_methods(app, request)
            item = models.ErrorItem(code="request.method",
                                    message=f"{request.method} 不适用于 {request.url.path}，可用：{', '.join(allowed)}")
            response = _error_response(405, [item])
            response.headers["Allow"] = ", ".join(allowed)
            return response
        code = "request.not_found" if err.status_code == 404 else "request.http"
        return _error_response(err.status_code, [models.ErrorItem(code=code, message=str(err.detail))])

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        items = [models.ErrorItem(code="request.invalid", message=f"请求格式不对：{e.get('msg')}",
                                  field=".".join(str(p) for p in e.get("loc", ()))) for e in err.errors()]
        return _error_response(422, items or [models.ErrorItem(code="request.invalid", message="请求格式不对")])


class _Gate:
    """A FIFO limit on evaluations in flight; asyncio's semaphore wakes waiters in arrival order.

    Without it, dozens of pool threads contend for the GIL and the engine lock and some requests
    keep losing (p99 of seconds at 32 concurrent clients while p50 was 64 ms).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore: asyncio.Semaphore | None = None

    def slots(self) -> asyncio.Semaphore:
        if self._semaphore is None:  # created inside the running event loop
            self._semaphore = asyncio.Semaphore(self.size)
        return self._semaphore


def _routes(app: FastAPI, config: ServiceConfig, store: Store, registry: Registry) -> None:
    gate = _Gate(config.scoring_slots)

    def authorised(authorization: Annotated[str | None, Header()] = None) -> str:
        if not config.token:
            raise ApiError(403, "auth.disabled", "服务未配置令牌（JIXIAO_TOKEN），不能添加指标体系")
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), config.token.encode()):
            raise ApiError(401, "auth.required", "需要有效的令牌：Authorization: Bearer <令牌>")
        return "token"

    @app.get("/health", response_model=models.Health, tags=["服务"])
    def health() -> models.Health:
        """服务与数据库是否正常。"""
        store.ping()
        return models.Health(status="ok", database="ok", policies=len(registry.all()))

    @app.get("/policies", response_model=list[models.PolicySummary], tags=["指标体系"])
    def list_policies() -> list[models.PolicySummary]:
        """全部指标体系及其版本（最后一个为默认版本）。"""
        return [models.PolicySummary(id=pid, issuer=entries[-1].policy.meta.issuer,
                                     versions=[_version(e) for e in entries]) for pid, entries in registry.all()]

    @app.get("/policies/{policy_id}", response_model=models.PolicyDetail, responses=ERRORS, tags=["指标体系"])
    def get_policy(policy_id: str, version: str | None = None) -> models.PolicyDetail:
        """一个指标体系版本：身份、指标树和原文。"""
        return _detail(_entry(registry, policy_id, version))

    @app.post("/checks", response_model=models.CheckResponse, responses=ERRORS, tags=["指标体系"])
    def check_policy(body: models.PolicyText) -> models.CheckResponse:
        """静态检查一份指标体系（不保存）：一次返回全部问题。"""
        try:
            compiled = _compile(config, body)
        except JixiaoError as err:
            return models.CheckResponse(ok=False, policy=None, problems=[_item(p) for p in err.problems])
        return models.CheckResponse(ok=True, policy=_ref(compiled), problems=[])

    @app.post("/policies", response_model=models.PolicyDetail, status_code=201, tags=["指标体系"],
              responses={**ERRORS, 401: {"model": models.ErrorResponse}, 403: {"model": models.ErrorResponse},
                         409: {"model": models.ErrorResponse}})
    def add_policy(body: models.PolicyText, actor: Annotated[str, Depends(authorised)]) -> models.PolicyDetail:
        """添加一个指标体系版本（需要令牌）。同一 id 和版本只能添加一次。"""
        compiled = _compile(config, body)
        existing = registry.find(compiled.meta.id, compiled.meta.version)
        if existing is not None:
            raise ApiError(409, "policy.exists", f"指标体系 {compiled.meta.id} 版本 {compiled.meta.version} 已存在")
        store.add_policy(compiled.meta.id, compiled.meta.version, compiled.digest, compiled.meta.name, body.text, actor)
        entry = Entry(compiled, body.text, "stored")
        registry.register(entry)
        return _detail(entry)

    @app.post("/policies/{policy_id}/score", response_model=models.Decision, status_code=201, responses=ERRORS,
              tags=["评分"])
    async def score(policy_id: str, body: models.ScoreRequest, request: Request,
                    x_actor: Annotated[str | None, Header(max_length=100)] = None) -> models.Decision:
        """为一份事实打分并记录决定；事实可以是 JSON 对象（facts）或事实文件原文（facts_text）。"""
        from starlette.concurrency import run_in_threadpool

        raw = await request.body()
        who = unquote(x_actor) if x_actor else "anonymous"  # UTF-8 names arrive percent-encoded
        actor = f"{who}@{request.client.host if request.client else '-'}"
        async with gate.slots():  # first come, first served: no request starves behind the others
            return await run_in_threadpool(_score, config, store, registry, policy_id, body, raw, actor)

    @app.post("/policies/{policy_id}/explain", response_model=dict[str, Any], responses=ERRORS, tags=["解释"])
    def explain_view(policy_id: str, body: models.ExplainRequest, request: Request) -> dict[str, Any]:
        """为什么没有得满分：未得满分的指标、扣分、规则原文、事实和算式，附挽回建议（不记录决定）。"""
        entry = _entry(registry, policy_id, body.version)
        doc = _facts_document(config, body, _raw(request))
        facts = facts_from_document(doc, entry.policy)
        result = engine.evaluate(entry.policy, facts, backend=config.backend)
        try:
            view = explain.fails(result, body.indicator)
            found = recover.recover(entry.policy, doc, facts, result, indicator=body.indicator,
                                    backend=config.backend) if body.recover else None
        except explain.UnknownIndicator as err:
            raise ApiError(404, "indicator.not_found", str(err)) from None
        return json.loads(views_json.explain_json(view, found))

    @app.post("/policies/{policy_id}/whatif", response_model=dict[str, Any], responses=ERRORS, tags=["解释"])
    def whatif_view(policy_id: str, body: models.WhatIfRequest, request: Request) -> dict[str, Any]:
        """如果事实不同：改动后的得分与变化（set），或一项事实取一串值时的得分（sweep）。不记录决定。"""
        entry = _entry(registry, policy_id, body.version)
        if not body.set and not body.sweep:
            raise ApiError(400, "request.set", "请给出 set（NAME=VALUE 列表）或 sweep（NAME=FROM:TO:STEP）")
        doc = _facts_document(config, body, _raw(request))
        facts = facts_from_document(doc, entry.policy)
        try:
            overrides = [scenario.parse_override(text, i) for i, text in enumerate(body.set, 1)]
            spec = whatif.parse_sweep(body.sweep) if body.sweep else None
        except scenario.OverrideSyntax as err:
            raise ApiError(400, "request.set", str(err)) from None
        if spec is not None:
            table = whatif.sweep(entry.policy, doc, facts, spec, overrides, backend=config.backend)
            return json.loads(views_json.sweep_json(table))
        view = whatif.whatif(entry.policy, doc, facts, overrides, backend=config.backend)
        return json.loads(views_json.whatif_json(view))

    @app.post("/diff", response_model=dict[str, Any], responses=ERRORS, tags=["解释"])
    def diff_view(body: models.DiffRequest, request: Request) -> dict[str, Any]:
        """比较两个指标体系版本；给出事实时，还有各指标得分的变化及其原因。"""
        a = _entry(registry, body.policy_a.id, body.policy_a.version).policy
        b = _entry(registry, body.policy_b.id, body.policy_b.version).policy
        structure = policy_diff.diff(a, b)
        scores = None
        if body.facts is not None or body.facts_text is not None:
            doc = _facts_document(config, body, _raw(request))
            scores = policy_diff.diff_scores(a, b, facts_from_document(doc, a), facts_from_document(doc, b),
                                             backend=config.backend)
        return json.loads(views_json.diff_json(structure, scores))

    @app.get("/decisions/{decision_id}", response_model=models.Decision, responses=ERRORS, tags=["评分"])
    def get_decision(decision_id: str) -> models.Decision:
        """按 id 读取一条已记录的评分决定（含事实和完整结果）。"""
        record = store.decision(decision_id)
        if record is None:
            raise ApiError(404, "decision.not_found", f"没有 id 为 {decision_id} 的评分决定")
        return _decision(record, with_facts=True)

    @app.get("/decisions", response_model=list[models.Decision], tags=["评分"])
    def list_decisions(policy_id: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[models.Decision]:
        """最近的评分决定（新的在前）。"""
        return [_decision(r, with_facts=False) for r in store.decisions(policy_id, limit)]


def _compile(config: ServiceConfig, body: models.PolicyText) -> engine.CompiledPolicy:
    """Compile posted policy text; ``extends`` may only name files in the service's policy folder."""
    return engine.policy_from_text(body.text, Path(body.name).name, confined_reader(config.policies_dir))


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route accepts at this path (Starlette's own 405 names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, APIRoute | Route):
            methods |= set(route.methods or ())
    return sorted(methods)


def _entry(registry: Registry, policy_id: str, version: str | None) -> Entry:
    entry = registry.find(policy_id, version)
    if entry is None:
        known = [pid for pid, _ in registry.all()]
        from engine.errors import did_you_mean

        what = f"{policy_id} 版本 {version}" if version else policy_id
        raise ApiError(404, "policy.not_found", f"没有指标体系 {what}{did_you_mean(policy_id, known)}")
    return entry


def _ref(policy: engine.CompiledPolicy) -> models.PolicyRef:
    return models.PolicyRef(id=policy.meta.id, version=policy.meta.version, digest=policy.digest)


def _version(entry: Entry) -> models.VersionInfo:
    meta = entry.policy.meta
    return models.VersionInfo(version=meta.version, digest=entry.policy.digest, source=entry.source,  # type: ignore[arg-type]
                              name=meta.name, fiscal_year=meta.fiscal_year)


def _detail(entry: Entry) -> models.PolicyDetail:
    policy = entry.policy
    meta = policy.meta
    return models.PolicyDetail(id=meta.id, name=meta.name, issuer=meta.issuer, fiscal_year=meta.fiscal_year,
                               version=meta.version, digest=policy.digest, source=entry.source,  # type: ignore[arg-type]
                               indicators=[_indicator(n) for n in policy.indicators], text=entry.text)


def _indicator(node: Any) -> models.IndicatorInfo:
    rule = node.leaf.rule if node.leaf else None
    return models.IndicatorInfo(id=node.id, name=node.name, max=None if node.max is None else str(node.max),
                                rule=rule.id if rule else None, kind=rule.kind if rule else None,
                                provenance=rule.provenance if rule else None,
                                children=[_indicator(c) for c in node.children])


def _score(config: ServiceConfig, store: Store, registry: Registry, policy_id: str, body: models.ScoreRequest,
           raw: bytes, actor: str) -> models.Decision:
    entry = _entry(registry, policy_id, body.version)
    doc = _facts_document(config, body, raw)
    facts = facts_from_document(doc, entry.policy)
    result = engine.evaluate(entry.policy, facts, backend=config.backend)
    exact = dump_result(result)  # every field, exact decimals: what is stored and what the digest covers
    record = store.record(
        actor=actor, department=result.department, policy_id=result.policy_id, policy_version=result.policy_version,
        policy_digest=result.policy_digest, facts_digest=facts.digest,
        result_digest=hashlib.sha256(exact).hexdigest(), total=str(result.total),
        facts=json.dumps(doc.value, ensure_ascii=False, sort_keys=True, default=_plain), result=exact.decode())
    return _decision(record, with_facts=False, result=result)


def _raw(request: Request) -> bytes:
    """The request body FastAPI already read (cached on the request)."""
    body = getattr(request, "_body", None)
    return body if isinstance(body, bytes) else b""


def _facts_document(config: ServiceConfig, body: models.ScoreRequest | models.DiffRequest, raw: bytes) -> Any:
    """The facts of a request, parsed with positions, within the fact-count limit (every endpoint)."""
    if (body.facts is None) == (body.facts_text is None):
        raise ApiError(400, "request.facts", "请给出 facts（JSON 对象）或 facts_text（事实文件原文）之一")
    if body.facts_text is not None:
        doc = parse_document(body.facts_text, body.facts_name)
    else:  # re-read the body ourselves so numbers stay exact decimals and positions point into the request
        doc = parse_document(raw.decode("utf-8"), "request.json").sub(("facts",))
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    if isinstance(facts, dict) and len(facts) > config.max_facts:
        raise ApiError(413, "request.too_many_facts", f"事实个数 {len(facts)} 超过上限 {config.max_facts}")
    return doc


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def _decision(record: DecisionRecord, *, with_facts: bool, result: Result | None = None) -> models.Decision:
    result = result or load_result(record.result)
    return models.Decision(
        id=record.id, created_at=record.created_at, actor=record.actor, department=record.department,
        policy=models.PolicyRef(id=record.policy_id, version=record.policy_version, digest=record.policy_digest),
        facts_digest=record.facts_digest, result_digest=record.result_digest, total=record.total,
        result=result_dict(result), facts=json.loads(record.facts) if with_facts else None)

