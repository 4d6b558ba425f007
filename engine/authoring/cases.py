"""Golden case files: pinned facts and the scores, deductions or error they must give (stage: test).

A case file names a policy and lists cases; each case gives facts (a fact file path or inline),
optionally ``override`` (fact name → new value; ``null`` removes a stated fact), and what it
wants: ``want_total``, ``want_scores`` (indicator id → score), ``want_deductions`` (rule, points,
item), ``want_grade``, or ``want_error_code`` with ``want_error_line``/``want_error``.
Unknown keys are errors. Paths are relative to the case file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine import decimals
from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, PolicyErrors
from engine.evaluate import evaluate
from engine.facts import Facts, validate_against
from engine.firing.backends import Backend
from engine.json_values import DocValue
from engine.loader import load_policy, read_bytes
from engine.schema_errors import model_field_names, pydantic_problems
from engine.source import SourceDoc, decode, parse_document
from engine.trace import Deduction, Result

__all__ = ["CaseFile", "CaseOutcome", "LoadedCases", "load_case_file", "run_case"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WantDeduction(_Model):
    """A deduction a case expects: rule id, points (negative for a bonus), optional item."""

    rule: str
    points: Decimal
    item: str | None = None


class Case(_Model):
    """One case: facts and what they must give."""

    name: str
    note: str | None = None
    facts: str | dict[str, Any]  # a fact document, validated as one by validate_against
    override: dict[str, Any] = {}  # fact name → a value as a fact file states it
    want_total: Decimal | None = None
    want_scores: dict[str, Decimal] = {}
    want_deductions: tuple[WantDeduction, ...] | None = None
    want_grade: str | None = None
    want_error_code: str | None = None
    want_error_line: int | None = None
    want_error: str | None = None

    @model_validator(mode="after")
    def _wants_something(self) -> Case:
        scored = (self.want_total, self.want_scores or None, self.want_deductions, self.want_grade)
        if self.want_error_code is None and all(w is None for w in scored):
            raise ValueError("用例至少要写一个期望：want_total、want_scores、want_deductions、want_grade "
                             "或 want_error_code")
        if self.want_error_code is not None and any(w is not None for w in scored):
            raise ValueError("期望出错的用例不能同时期望得分")
        return self


class CaseFile(_Model):
    """A case file: the policy it tests and its cases."""

    policy: str
    note: str | None = None
    cases: tuple[Case, ...] = Field(min_length=1)


CASE_FIELDS = model_field_names([CaseFile])


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """The result of one case: failures in Chinese (empty when it passed)."""

    file: str
    name: str
    failures: tuple[str, ...]
    result: Result | None = None

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


@dataclass(frozen=True, slots=True)
class LoadedCases:
    """A validated case file and its parsed document (positions of inline facts)."""

    path: Path
    file: CaseFile
    doc: SourceDoc


def load_case_file(path: Path) -> LoadedCases:
    """Read and validate a case file (unknown keys are located errors)."""
    doc = parse_document(decode(read_bytes(path), str(path)), str(path))
    try:
        return LoadedCases(path, CaseFile.model_validate(doc.value), doc)
    except pydantic.ValidationError as err:
        raise PolicyErrors(pydantic_problems(err, doc, ErrorCode.SOURCE_SYNTAX, CASE_FIELDS)) from None


def run_case(loaded: LoadedCases, index: int, *, backend: Backend | None = None,
             policy: CompiledPolicy | None = None) -> CaseOutcome:
    """Run case ``index``; a policy or fact error is a failure unless the case wants that error."""
    path, case = loaded.path, loaded.file.cases[index]
    try:
        policy = policy or load_policy(path.parent / loaded.file.policy)
        facts = _facts(loaded, index, policy)
        result = evaluate(policy, facts, backend=backend)
    except JixiaoError as err:
        return CaseOutcome(str(path), case.name, tuple(_error_failures(case, err)))
    return CaseOutcome(str(path), case.name, tuple(_score_failures(case, result)), result)


def _facts(loaded: LoadedCases, index: int, policy: CompiledPolicy) -> Facts:
    case = loaded.file.cases[index]
    if isinstance(case.facts, str):
        path = loaded.path.parent / case.facts
        doc = parse_document(decode(read_bytes(path), str(path)), str(path))
    else:
        doc = loaded.doc.sub(("cases", index, "facts"))
    doc = _overridden(doc, case.override)
    return validate_against(policy, doc)


def _overridden(doc: SourceDoc, override: Mapping[str, DocValue]) -> SourceDoc:
    """The document with some facts' values replaced (``None`` removes the fact).

    A document without a mapping of facts is left as it is, for validation to report.
    """
    given = doc.value.get("facts") or {} if isinstance(doc.value, dict) else None
    if not override or not isinstance(doc.value, dict) or not isinstance(given, dict):
        return doc
    value = dict(doc.value)
    facts = dict(given)
    for name, new in override.items():
        if new is None:
            facts.pop(name, None)
        elif isinstance(entry := facts.get(name), dict):
            facts[name] = {**entry, "value": new}
        else:
            facts[name] = new
    value["facts"] = facts
    return SourceDoc(doc.file, value, doc.positions, doc.key_positions, doc.styles)


def _error_failures(case: Case, err: JixiaoError) -> Iterator[str]:
    if case.want_error_code is None:
        yield f"意外错误：{err}"
        return
    problems = err.problems
    matching = [p for p in problems if str(p.code) == case.want_error_code
                and (case.want_error_line is None or (p.location and p.location.line == case.want_error_line))
                and (case.want_error is None or case.want_error in p.message)]
    if not matching:
        got = "；".join(f"{p.code}@{p.location.line if p.location else '?'}：{p.message}" for p in problems)
        yield f"期望错误 {case.want_error_code}（第 {case.want_error_line} 行，含「{case.want_error}」），实际：{got}"


def _score_failures(case: Case, result: Result) -> Iterator[str]:
    if case.want_error_code is not None:
        yield f"期望错误 {case.want_error_code}，实际打分成功（总分 {decimals.fmt(result.total)}）"
        return
    if case.want_total is not None and result.total != case.want_total:
        yield f"总分：期望 {decimals.fmt(case.want_total)}，实际 {decimals.fmt(result.total)}"
    for indicator, want in case.want_scores.items():
        yield from _score_failure(result, indicator, want)
    if case.want_grade is not None and result.grade != case.want_grade:
        yield f"等级：期望 {case.want_grade}，实际 {result.grade}"
    if case.want_deductions is not None:
        yield from _deduction_failures(case.want_deductions, result.deductions())


def _score_failure(result: Result, indicator: str, want: Decimal) -> Iterator[str]:
    try:
        node = result.node(indicator)
    except KeyError:
        yield f"指标 {indicator}：指标体系中没有这个指标"
        return
    if node.score != want:
        involved = "；".join(f"{d.rule_id} 扣 {decimals.fmt(d.points)}（{d.computation}）"
                            for n in node.walk() for d in n.deductions) or "无扣分"
        yield (f"指标 {indicator}（{node.name}）：期望 {decimals.fmt(want)}，实际 {decimals.fmt(node.score)}；"
               f"相关扣分：{involved}")


def _deduction_failures(want: tuple[WantDeduction, ...], got: tuple[Deduction, ...]) -> Iterator[str]:
    wanted = sorted((w.rule, w.points, w.item or "") for w in want)
    actual = sorted((d.rule_id, d.points, d.item or "") for d in got)
    if [(r, p.normalize(), i) for r, p, i in wanted] != [(r, p.normalize(), i) for r, p, i in actual]:
        def show(rows: list[tuple[str, Decimal, str]]) -> str:
            return "、".join(f"{r}{'/' + i if i else ''} {decimals.fmt(p)}" for r, p, i in rows) or "无"
        yield f"扣分：期望 {show(wanted)}；实际 {show(actual)}"
