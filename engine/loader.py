"""I/O edge: files → validated, compiled policies and validated facts (stage: load).

``read_*`` read bytes from disk; ``*_from_text`` do the rest and are what a service calls.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pydantic

from engine import decimals, extend, input_limits, names, project_form
from engine.compile import CompiledPolicy, compile_policy
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation
from engine.excel import reader as workbook
from engine.facts import Facts, facts_digest, validate_against
from engine.json_values import DocValue
from engine.schema import Policy
from engine.schema_errors import model_field_names, pydantic_problems
from engine.source import SourceDoc, decode, field_path, parse_document
from engine.trace import Finding

POLICY_FIELDS = model_field_names([Policy])

__all__ = ["document_from_bytes", "facts_digest", "facts_from_document", "facts_from_text", "load_policy",
           "policy_from_text", "read_bytes", "read_document", "read_facts"]


def read_bytes(path: str | Path) -> bytes:
    """Read a regular file of at most ``input_limits.FILE_BYTES`` bytes, or raise a Chinese error naming it.

    A device (``/dev/zero``), a FIFO, a socket or a directory is refused from ``stat`` before it is
    opened (opening a FIFO for reading blocks until a writer comes; reading ``/dev/zero`` never ends);
    the file is then opened non-blocking and checked again with ``fstat``, so one swapped in between
    cannot block either, and no more than the limit plus one byte is ever read. Symbolic links are
    followed (a linked policy is an ordinary setup); a loop of them is an error like any other.

    Raises:
        JixiaoError: ``source.not_found``, ``source.unreadable`` or ``limit.file_size``, located at
            ``path:1:1`` except for a file refused unread (not regular, too large, a NUL in its name):
            that has no line to show, and a caller showing the line must not try to read it.
    """
    name = str(path)
    try:
        _check_regular(name, os.stat(path))  # noqa: PTH116 - the fstat below is on the descriptor: os, not pathlib
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise JixiaoError(ErrorCode.SOURCE_NOT_FOUND, f"文件不存在：{name}", SourceLocation(name, 1, 1)) from None
    except (OSError, ValueError) as err:
        raise _unreadable(name, err) from None
    try:
        _check_regular(name, os.fstat(fd))
        data = _read_at_most(fd, input_limits.FILE_BYTES + 1)
    except OSError as err:
        raise _unreadable(name, err) from None
    finally:
        os.close(fd)
    if len(data) > input_limits.FILE_BYTES:
        raise _too_large(name)
    return data


def _check_regular(name: str, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = ("目录" if stat.S_ISDIR(info.st_mode) else "命名管道（FIFO）" if stat.S_ISFIFO(info.st_mode)
                else "字符设备" if stat.S_ISCHR(info.st_mode) else "块设备" if stat.S_ISBLK(info.st_mode)
                else "套接字" if stat.S_ISSOCK(info.st_mode) else "特殊文件")
        raise JixiaoError(ErrorCode.SOURCE_UNREADABLE, f"无法读取「{name}」：它是{kind}，不是普通文件")
    if info.st_size > input_limits.FILE_BYTES:
        raise _too_large(name)


def _too_large(name: str) -> JixiaoError:
    return JixiaoError(ErrorCode.LIMIT_FILE_SIZE, f"文件「{name}」超过 {input_limits.FILE_BYTES} 字节的上限，未读取")


def _unreadable(name: str, err: OSError | ValueError) -> JixiaoError:
    if isinstance(err, ValueError):  # os.stat refuses a NUL in a path with ValueError
        return JixiaoError(ErrorCode.SOURCE_UNREADABLE, f"无法读取「{name!r}」：文件名中含有不允许的字符（如 NUL）")
    elif err.errno == errno.ELOOP:
        reason = "符号链接循环"
    elif err.errno == errno.EACCES:
        reason = "没有读取权限"
    elif err.errno == errno.ENAMETOOLONG:
        reason = "文件名过长"
    elif err.errno == errno.ENOTDIR:
        reason = "路径中有一段不是目录"
    else:
        reason = err.strerror or type(err).__name__
    return JixiaoError(ErrorCode.SOURCE_UNREADABLE, f"无法读取「{name}」：{reason}", SourceLocation(name, 1, 1))


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


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
    if project_form.is_template(doc):
        return _template(doc)
    return compile_policy(validate_policy(doc), doc)


def _template(doc: SourceDoc) -> CompiledPolicy:
    """A project-form template: compiled alone (its fixed part), and able to instantiate a project's policy."""
    alone, _ = project_form.expand(doc, None)
    compiled = compile_policy(validate_policy(alone), alone)
    return dataclasses.replace(compiled, instantiate=_Instantiator(doc))


class _Instantiator:
    """A template's fact document → its project's compiled policy and the document with one fact per row."""

    def __init__(self, doc: SourceDoc) -> None:
        self.doc = doc
        value = doc.value
        assert isinstance(value, dict)  # validated already
        self.form = project_form.ProjectForm.model_validate(value["project_form"])

    def __call__(self, facts: SourceDoc) -> tuple[CompiledPolicy, SourceDoc, tuple[Finding, ...]]:
        policy_doc, facts_doc, findings = project_form.expand_rows(self.doc, facts)
        assert facts_doc is not None
        return compile_policy(validate_policy(policy_doc), policy_doc), facts_doc, findings


def read_document(path: str | Path) -> SourceDoc:
    """Read and parse a YAML/JSON file (or an Excel fact workbook) into values and positions, without validating it."""
    return document_from_bytes(read_bytes(path), str(path))


def document_from_bytes(data: bytes, name: str) -> SourceDoc:
    """Parse the bytes of a file named ``name`` as :func:`read_document` does (a batch worker is sent the bytes)."""
    if workbook.is_workbook(name):
        return workbook.read_workbook(data, name)
    return parse_document(decode(data, name), name)


def validate_policy(doc: SourceDoc) -> Policy:
    """Validate a parsed policy document: size limits, the pydantic models, numbers and names.

    A number that the models read from text (``points: "1e30"``) gets the same limits as one the YAML
    reader built, so nothing past them reaches the arithmetic.
    """
    if not isinstance(doc.value, dict):
        raise JixiaoError(ErrorCode.POLICY_SCHEMA, "指标体系文件的顶层应为映射（键: 值）", doc.locate(()))
    names.check_policy_size(doc)
    review = list(_needs_review(doc.value.get("indicators"), ("indicators",), doc))
    if review:
        raise PolicyErrors(review)
    try:
        policy = Policy.model_validate(doc.value)
    except pydantic.ValidationError as err:
        raise PolicyErrors(pydantic_problems(err, doc, ErrorCode.POLICY_SCHEMA, POLICY_FIELDS)) from None
    problems = [*_number_problems(policy.model_dump(), (), doc), *names.check_names(policy, doc),
                *_display_problems(policy, doc)]
    if problems:
        raise PolicyErrors(problems)
    return policy


def _needs_review(nodes: DocValue, path: tuple[str | int, ...], doc: SourceDoc) -> Iterator[Problem]:
    """A draft from ``jixiao import`` marks each rule it could not read ``needs_review``: refused until resolved."""
    if not isinstance(nodes, list):
        return
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        rule = node.get("rule")
        if isinstance(rule, dict) and "needs_review" in rule:
            where = (*path, i, "rule", "needs_review")
            yield Problem(ErrorCode.POLICY_NEEDS_REVIEW,
                          f"指标「{node.get('name', node.get('id', ''))}」的规则仍标记为待复核（needs_review："
                          f"{rule['needs_review']}）：按评分标准写出规则类型和参数后删去 needs_review",
                          doc.locate(where), field_path(where))
        yield from _needs_review(node.get("children"), (*path, i, "children"), doc)


def _display_problems(policy: Policy, doc: SourceDoc) -> Iterator[Problem]:
    """Scores are printed with at most ``display.max_places`` decimals: they must fit the declared rounding."""
    display, places = policy.rounding.display, policy.rounding.score.places
    path: tuple[str | int, ...] = ("rounding", "display", "max_places")
    if display.max_places < places or display.min_places > display.max_places:
        yield Problem(ErrorCode.POLICY_ROUNDING,
                      f"得分显示最多 {display.max_places} 位小数，但得分舍入到 {places} 位、最少显示 "
                      f"{display.min_places} 位：应满足 min_places ≤ max_places 且 max_places ≥ {places}",
                      doc.locate(path), field_path(path))


def _number_problems(value: object, path: tuple[str | int, ...], doc: SourceDoc) -> Iterator[Problem]:
    if isinstance(value, Decimal):
        problem = decimals.limit_problem(value)
        if problem is not None:
            yield Problem(problem.code, problem.message, doc.locate(path), field_path(path))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _number_problems(item, (*path, key), doc)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _number_problems(item, (*path, i), doc)


def read_facts(path: str | Path, policy: CompiledPolicy) -> Facts:
    """Read and validate a fact file (YAML, JSON or an .xlsx workbook) against a compiled policy."""
    return facts_from_document(read_document(path), policy)


def facts_from_text(text: str, name: str, policy: CompiledPolicy) -> Facts:
    """Validate fact text against a compiled policy; ``name`` is used in every location."""
    return facts_from_document(parse_document(text, name), policy)


def facts_from_document(doc: SourceDoc, policy: CompiledPolicy, digest: str | None = None) -> Facts:
    """Validate an already parsed fact document (e.g. part of a request body) against a policy.

    ``digest``: the document's :func:`engine.facts.facts_digest` when the caller has it already.
    """
    return validate_against(policy, doc, digest)
