"""Golden case files: pinned facts and the scores, deductions or error they must give (stage: test).

A case file names a policy and lists cases; each case gives facts (a fact file path or inline),
optionally ``override`` (fact name → new value; ``null`` removes a stated fact) and ``set_derived``
(a derived fact's value set directly, for boundary tests), and what it wants: ``want_total``,
``want_scores`` (indicator id → score, or ``未见`` for an unseen node), ``want_deductions`` (rule,
points, item; all of them, or with ``match: subset`` at least these), ``want_grade``, or
``want_error_code`` with ``want_error_line``/``want_error``.
Unknown keys are errors. Paths are relative to the case file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine import decimals
from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.evaluate import evaluate
from engine.facts import Facts, FactValue, validate_against
from engine.firing.backends import Backend
from engine.json_values import DocValue
from engine.loader import load_policy, read_bytes
from engine.schema_errors import model_field_names, pydantic_problems
from engine.source import SourceDoc, decode, parse_document
from engine.trace import Deduction, Result, Status

__all__ = ["CaseFile", "CaseOutcome", "LoadedCases", "case_schema", "load_case_file", "run_case"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WantDeduction(_Model):
    """A deduction a case expects: rule id, points (negative for a bonus), optional item."""

    rule: str = Field(description="规则 id，如 A1.2.r1")
    points: Decimal = Field(description="扣分（加分写负数）")
    item: str | None = Field(default=None, description="清单项或目标名（一条规则扣多项时区分各项）")


UNSEEN = "未见"


class Case(_Model):
    """One case: facts and what they must give."""

    name: str = Field(description="用例名称（报告失败时显示）")
    note: str | None = Field(default=None, description="说明")
    facts: str | dict[str, Any] = Field(description="事实文件路径（相对用例文件）或内联的事实文件内容")
    override: dict[str, Any] = Field(default={}, description="改写事实的值：事实名 → 新值；null 删除该事实")
    set_derived: dict[str, Decimal] = Field(
        default={}, description="直接给派生事实取值（边界测试用）：事实名 → 值；不再按公式计算，"
                                "依赖它的其他派生事实也不重算")
    want_total: Decimal | None = Field(default=None, description="期望总分（已知部分）")
    want_scores: dict[str, Decimal | Literal["未见"]] = Field(
        default={}, description="期望得分：指标 id → 得分；写“未见”表示该指标声明为 unseen、得分未知")
    want_deductions: tuple[WantDeduction, ...] | None = Field(
        default=None, description="期望的扣分；match: exact（默认）时必须恰好是这些，subset 时只要求包含这些")
    match: Literal["exact", "subset"] = Field(
        default="exact", description="want_deductions 的比较方式：exact 恰好相同，subset 实际扣分包含所列各项即可")
    want_grade: str | None = Field(default=None, description="期望等级")
    want_error_code: str | None = Field(default=None, description="期望的错误代码，如 facts.unit")
    want_error_line: int | None = Field(default=None, description="期望错误所在的行")
    want_error: str | None = Field(default=None, description="期望错误信息中包含的文字")

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

    policy: str = Field(description="被测指标体系的路径（相对用例文件）")
    note: str | None = Field(default=None, description="说明")
    cases: tuple[Case, ...] = Field(min_length=1, description="用例列表")


CASE_FIELDS = model_field_names([CaseFile])


def case_schema() -> str:
    """The JSON Schema of a golden case file (``jixiao schema case``), for editors.

    >>> '"title": "jixiao 金标准用例文件"' in case_schema()
    True
    """
    import json

    schema = CaseFile.model_json_schema()
    schema["title"] = "jixiao 金标准用例文件"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


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
    facts = validate_against(policy, doc)
    return _with_derived(facts, case.set_derived, policy, loaded.doc.locate(("cases", index, "set_derived")))


def _with_derived(facts: Facts, values: dict[str, Decimal], policy: CompiledPolicy,
                  where: SourceLocation | None) -> Facts:
    """The facts with some derived facts set directly (a boundary test needs the exact value)."""
    if not values:
        return facts
    decls = {d.name: d for d in policy.facts}
    problems = [Problem(ErrorCode.FACTS_UNKNOWN, f"set_derived：「{name}」不是派生事实"
                        f"{did_you_mean(name, [n for n, d in decls.items() if d.derive is not None])}", where,
                        f"set_derived.{name}")
                for name in values if name not in decls or decls[name].derive is None]
    if problems:
        raise PolicyErrors(problems)
    changed = dict(facts.values)
    for name, value in values.items():
        changed[name] = FactValue(name, value, decls[name].spec.unit, where, None, "用例直接取值（set_derived）")
    return replace(facts, values=changed)


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
        yield from _deduction_failures(case.want_deductions, result.deductions(), subset=case.match == "subset")


def _score_failure(result: Result, indicator: str, want: Decimal | str) -> Iterator[str]:
    try:
        node = result.node(indicator)
    except KeyError:
        yield f"指标 {indicator}：指标体系中没有这个指标"
        return
    if (node.status is Status.UNSEEN) != (want == UNSEEN):
        shown = UNSEEN if node.status is Status.UNSEEN else decimals.fmt(node.score)
        wanted = want if isinstance(want, str) else decimals.fmt(want)
        yield f"指标 {indicator}（{node.name}）：期望 {wanted}，实际 {shown}"
        return
    if isinstance(want, str):
        return
    if node.score != want:
        involved = "；".join(f"{d.rule_id} 扣 {decimals.fmt(d.points)}（{d.computation}）"
                            for n in node.walk() for d in n.deductions) or "无扣分"
        yield (f"指标 {indicator}（{node.name}）：期望 {decimals.fmt(want)}，实际 {decimals.fmt(node.score)}；"
               f"相关扣分：{involved}")


def _deduction_failures(want: tuple[WantDeduction, ...], got: tuple[Deduction, ...], *,
                        subset: bool = False) -> Iterator[str]:
    wanted = sorted((w.rule, w.points, w.item or "") for w in want)
    actual = sorted((d.rule_id, d.points, d.item or "") for d in got)
    norm_wanted = [(r, p.normalize(), i) for r, p, i in wanted]
    norm_actual = [(r, p.normalize(), i) for r, p, i in actual]
    if subset:
        left = list(norm_actual)
        missing = [w for w in norm_wanted if w not in left or left.remove(w)]  # type: ignore[func-returns-value]
        if missing:
            def show_missing(rows: list[tuple[str, Decimal, str]]) -> str:
                return "、".join(f"{r}{'/' + i if i else ''} {decimals.fmt(p)}" for r, p, i in rows)
            yield f"扣分（match: subset）：缺少 {show_missing(missing)}；实际 {show_missing(actual) or '无'}"
        return
    if norm_wanted != norm_actual:
        def show(rows: list[tuple[str, Decimal, str]]) -> str:
            return "、".join(f"{r}{'/' + i if i else ''} {decimals.fmt(p)}" for r, p, i in rows) or "无"
        yield f"扣分：期望 {show(wanted)}；实际 {show(actual)}"
