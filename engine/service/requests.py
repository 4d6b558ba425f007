"""Reading a request: posted policy text, the policy version asked for, the facts, the actor (edge).

Every endpoint that takes facts reads them here, so the limits and the positions are the same
everywhere.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from fastapi import Request

import engine
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, did_you_mean
from engine.service import models
from engine.service.config import ServiceConfig
from engine.service.errors import ApiError
from engine.service.json_body import BODY_FILE, decode_body
from engine.service.registry import Entry, Registry, confined_reader, identity_problems
from engine.source import SourceDoc, parse_document, parse_json

__all__ = ["MAX_ACTOR", "actor_name", "check_fact_count", "checked_actor", "compile_text", "facts_document",
           "find_entry", "raw_body", "single_query"]

MAX_ACTOR = 100


def compile_text(config: ServiceConfig, body: models.PolicyText) -> engine.CompiledPolicy:
    """Compile posted policy text; ``extends`` may only name files in the service's policy folder.

    Raises:
        JixiaoError: every problem, each located in the posted text where it has a place there
            (an id or version that could not be stored is one of them).
    """
    name = Path(body.name).name or "policy.yaml"
    try:
        compiled = engine.policy_from_text(body.text, name, confined_reader(config.policies_dir))
    except JixiaoError as err:
        if all(p.location for p in err.problems):
            raise
        raise PolicyErrors(_placed(p, body.text, name) for p in err.problems) from None
    problems = identity_problems(compiled, parse_document(body.text, name))
    if problems:
        raise PolicyErrors(problems)
    return compiled


def _placed(problem: Problem, text: str, name: str) -> Problem:
    """A problem without a location, placed at the key it names in the posted text (``extends``)."""
    if problem.location is not None:
        return problem
    doc = parse_document(text, name)
    key = problem.field or ("extends" if problem.code == ErrorCode.POLICY_EXTENDS else "")
    path = tuple(key.split(".")) if key else ()
    return dataclasses.replace(problem, location=doc.locate(path))


def find_entry(registry: Registry, policy_id: str, version: str | None) -> Entry:
    """The policy version asked for, or a 404 with a suggestion."""
    entry = registry.find(policy_id, version)
    if entry is None:
        known = [pid for pid, _ in registry.all()]
        what = f"{policy_id} 版本 {version}" if version else policy_id
        raise ApiError(404, "policy.not_found", f"没有指标体系 {what}{did_you_mean(policy_id, known)}")
    return entry


def raw_body(request: Request) -> bytes:
    """The request body FastAPI already read (cached on the request)."""
    body = getattr(request, "_body", None)
    return body if isinstance(body, bytes) else b""


def facts_document(config: ServiceConfig, body: models.FactsRequest | models.DiffRequest, raw: bytes) -> SourceDoc:
    """The facts of a request, parsed with positions, within the fact-count limit (every endpoint)."""
    if (body.facts is None) == (body.facts_text is None):
        raise ApiError(400, "request.facts", "请给出 facts（JSON 对象）或 facts_text（事实文件原文）之一")
    if body.facts_text is not None:
        doc = parse_document(body.facts_text, Path(body.facts_name).name or "facts.yaml")
    else:  # re-read the body ourselves so numbers stay exact decimals and positions point into the request
        doc = parse_json(decode_body(raw), BODY_FILE, ("facts",))
    check_fact_count(config, doc)
    return doc


def check_fact_count(config: ServiceConfig, doc: SourceDoc) -> None:
    """413 ``request.too_many_facts`` when a fact document holds more facts than the service accepts."""
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    if isinstance(facts, dict) and len(facts) > config.max_facts:
        raise ApiError(413, "request.too_many_facts", f"事实个数 {len(facts)} 超过上限 {config.max_facts}")


def actor_name(request: Request) -> str:
    """Who scores: the ``X-Actor`` header as UTF-8 (raw or percent-encoded), or ``anonymous``.

    Starlette decodes header bytes as Latin-1, which turns a raw UTF-8 ``张三`` into mojibake, so the
    raw bytes are read again. A name with a control character (CR, LF, NUL…, also when
    percent-encoded) would let a client forge log lines: 400 ``request.actor``.
    """
    values = [value for key, value in request.scope.get("headers", []) if key == b"x-actor"]
    if not values:
        return "anonymous"
    if len(values) > 1:
        raise ApiError(400, "request.actor", "X-Actor 只能给一个", field="X-Actor")
    try:
        name = values[0].decode("utf-8")
        name = unquote(name, errors="strict") if "%" in name else name
    except UnicodeDecodeError:
        raise ApiError(400, "request.actor", "X-Actor 不是 UTF-8 文本（可以直接写 UTF-8，或按 UTF-8 百分号编码）",
                       field="X-Actor") from None
    return checked_actor(name, "X-Actor")


def checked_actor(name: str, field: str) -> str:
    """A scorer's name as the decision log takes it: 1 to :data:`MAX_ACTOR` characters, no control characters."""
    name = name.strip()
    if not name or len(name) > MAX_ACTOR:
        raise ApiError(400, "request.actor", f"{field} 应为 1 到 {MAX_ACTOR} 个字符", field=field)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in name):
        raise ApiError(400, "request.actor", f"{field} 含控制字符（如回车、换行）", field=field)
    return name


def check_department(department: str, doc: SourceDoc) -> None:
    """A department name must fit the decision log (200 characters, no control characters)."""
    if len(department) > 200 or any(unicodedata.category(ch) == "Cc" for ch in department):
        raise JixiaoError(ErrorCode.FACTS_SCHEMA, "department 最长 200 个字符，且不能含控制字符",
                          doc.locate(("department",)), "department")


async def single_query(request: Request) -> None:
    """Refuse a query parameter written more than once (``?offset=1&offset=2``): each endpoint's are single values.

    FastAPI would keep one of them without a word, so the caller could not tell which one counted.
    ``async`` (it does no I/O): FastAPI runs a plain function dependency in its thread pool, a
    hand-off on every request of every endpoint.

    Raises:
        ApiError: 422 ``request.invalid`` naming the parameter.
    """
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            count = len(request.query_params.getlist(name))
            raise ApiError(422, "request.invalid", f"查询参数「{name}」出现了 {count} 次：每个参数只能写一次",
                           f"query.{name}")
        seen.add(name)
