"""I/O edge: files → validated, compiled policies and validated facts (stage: load).

``read_*`` read bytes from disk; ``*_from_text`` do the rest and are what a service calls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic

from engine import extend
from engine.compile import CompiledPolicy, compile_policy
from engine.excel import reader as workbook
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, SourceLocation
from engine.facts import Facts, validate_facts
from engine.schema_errors import model_field_names, pydantic_problems
from engine.schema import Policy
from engine.source import SourceDoc, decode, parse_document

POLICY_FIELDS = model_field_names([Policy])

__all__ = ["facts_digest", "facts_from_document", "facts_from_text", "load_policy", "policy_from_text", "read_bytes",
           "read_document", "read_facts"]


def read_bytes(path: str | Path) -> bytes:
    """Read a file, turning a missing or unreadable file into a located error."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise JixiaoError(ErrorCode.SOURCE_NOT_FOUND, f"文件不存在：{path}", SourceLocation(str(path), 1, 1)) from None
    except (IsADirectoryError, PermissionError) as err:
        raise JixiaoError(ErrorCode.SOURCE_NOT_FOUND, f"无法读取文件 {path}：{err.strerror}",
                          SourceLocation(str(path), 1, 1)) from None


def load_policy(path: str | Path) -> CompiledPolicy:
    """Read, validate, check and compile a policy file."""
    return policy_from_text(decode(read_bytes(path), str(path)), str(path))


def policy_from_text(text: str, name: str, read_parent: Callable[[str], SourceDoc] | None = None) -> CompiledPolicy:
    """Validate, check and compile policy text; ``name`` is used in every location.

    A policy that ``extends`` a parent is merged onto it first (``engine.extend``); the parent is
    read relative to ``name`` by ``read_parent`` (default: from disk; a service passes a reader
    confined to its own policy folder).
    """
    doc = extend.resolve(parse_document(text, name), read_parent or read_document)
    return compile_policy(validate_policy(doc), doc)


def read_document(path: str | Path) -> SourceDoc:
    """Read and parse a YAML/JSON file (or an Excel fact workbook) into values and positions, without validating it."""
    if workbook.is_workbook(path):
        return workbook.read_workbook(read_bytes(path), str(path))
    return parse_document(decode(read_bytes(path), str(path)), str(path))


def validate_policy(doc: SourceDoc) -> Policy:
    """Validate a parsed policy document with the pydantic models."""
    if not isinstance(doc.value, dict):
        raise JixiaoError(ErrorCode.POLICY_SCHEMA, "指标体系文件的顶层应为映射（键: 值）", doc.locate(()))
    try:
        return Policy.model_validate(doc.value)
    except pydantic.ValidationError as err:
        raise PolicyErrors(pydantic_problems(err, doc, ErrorCode.POLICY_SCHEMA, POLICY_FIELDS)) from None


def read_facts(path: str | Path, policy: CompiledPolicy) -> Facts:
    """Read and validate a fact file (YAML, JSON or an .xlsx workbook) against a compiled policy."""
    return facts_from_document(read_document(path), policy)


def facts_from_text(text: str, name: str, policy: CompiledPolicy) -> Facts:
    """Validate fact text against a compiled policy; ``name`` is used in every location."""
    return facts_from_document(parse_document(text, name), policy)


def facts_from_document(doc: SourceDoc, policy: CompiledPolicy) -> Facts:
    """Validate an already parsed fact document (e.g. part of a request body) against a policy."""
    if not isinstance(doc.value, dict):
        raise JixiaoError(ErrorCode.FACTS_SCHEMA, "事实文件的顶层应为映射（键: 值）", doc.locate(()))
    return validate_facts(doc, policy.facts, policy.indicator_ids(), _digest(doc.value), policy.constraints)


def facts_digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of a fact document (formatting and comments do not count)."""
    return _digest(value)


def _digest(value: Any) -> str:
    def default(obj: object) -> str:
        if isinstance(obj, Decimal):
            return str(obj)
        raise TypeError(type(obj))

    canonical = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=default)
    return hashlib.sha256(canonical.encode()).hexdigest()
