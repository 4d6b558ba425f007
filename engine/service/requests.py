"""Reading a request: posted policy text, the policy version asked for, the facts (edge).

Every endpoint that takes facts reads them here, so the limits and the positions are the same
everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request

import engine
from engine.errors import did_you_mean
from engine.service import models
from engine.service.config import ServiceConfig
from engine.service.errors import ApiError
from engine.service.registry import Entry, Registry, confined_reader
from engine.source import SourceDoc, parse_document

__all__ = ["compile_text", "facts_document", "find_entry", "raw_body"]


def compile_text(config: ServiceConfig, body: models.PolicyText) -> engine.CompiledPolicy:
    """Compile posted policy text; ``extends`` may only name files in the service's policy folder."""
    return engine.policy_from_text(body.text, Path(body.name).name, confined_reader(config.policies_dir))


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


def facts_document(config: ServiceConfig, body: models.ScoreRequest | models.DiffRequest, raw: bytes) -> SourceDoc:
    """The facts of a request, parsed with positions, within the fact-count limit (every endpoint)."""
    if (body.facts is None) == (body.facts_text is None):
        raise ApiError(400, "request.facts", "请给出 facts（JSON 对象）或 facts_text（事实文件原文）之一")
    if body.facts_text is not None:
        doc = parse_document(body.facts_text, body.facts_name)
    else:  # re-read the body ourselves so numbers stay exact decimals and positions point into the request
        doc = parse_document(raw.decode("utf-8"), "request.json").sub(("facts",))
    facts: Any = doc.value.get("facts") if isinstance(doc.value, dict) else None
    if isinstance(facts, dict) and len(facts) > config.max_facts:
        raise ApiError(413, "request.too_many_facts", f"事实个数 {len(facts)} 超过上限 {config.max_facts}")
    return doc
