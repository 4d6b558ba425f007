"""Fact validation: a parsed fact file + declared facts → :class:`Facts` (stage: validate).

Every problem in the file is collected (unknown and missing facts with suggestions, wrong types,
units and ranges) and raised together; derived facts are computed here with their own declared
rounding and checked against a value the file states for them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import pydantic

from engine import decimals, expr, input_limits
from engine.drafts import draft_of
from engine.errors import ERROR_LIMIT, ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.json_values import DocValue
from engine.schema import FactEntry, FactsDocument, FactSpec, TargetItem
from engine.schema_errors import model_field_names, pydantic_problems
from engine.source import Path, SourceDoc, field_path
from engine.tables import TableDecl, flatten
from engine.trace import Finding

if TYPE_CHECKING:
    from engine.compile import CompiledPolicy  # compile imports this module

__all__ = ["ConstraintDecl", "FactDecl", "FactFile", "FactRules", "FactValue", "Facts", "Target", "canonical_json",
           "facts_digest", "refuse_findings", "stated_fact", "text_digest", "validate_against", "validate_facts"]

FactScalar = Decimal | bool | str
_EXPECTED = {"decimal": "数值", "integer": "整数", "boolean": "布尔值 true/false", "enum": "枚举值",
             "targets": "目标清单"}  # what a fact of each type should be, in a type error
FACT_FIELDS = model_field_names([FactsDocument, TargetItem])


@dataclass(frozen=True, slots=True)
class Target:
    """One performance target, as stated in the fact file."""

    name: str
    target: Decimal
    actual: Decimal
    direction: str
    unit: str | None
    location: SourceLocation


@dataclass(frozen=True, slots=True)
class FactValue:
    """A validated fact: value, unit, where it was read, how it was derived."""

    name: str
    value: FactScalar | tuple[Target, ...]
    unit: str | None
    location: SourceLocation | None
    quote: str | None = None
    derivation: str | None = None
    inputs: tuple[str, ...] = ()
    source: str | None = None  # the fact file's ``source``: where in the report the value is stated
    note: str | None = None
    exact: Decimal | None = None  # a derived fact's value before its declared rounding (``compare: exact``)


_FactValueDraft = draft_of(FactValue)


def stated_fact(name: str, value: FactScalar | tuple[Target, ...], unit: str | None, location: SourceLocation,
                quote: str | None, source: str | None, note: str | None) -> FactValue:
    """``FactValue(...)`` of a fact the file states, built as ``engine.records`` builds trace records.

    Every fact of every file is one, and a frozen dataclass's ``__init__`` (a keyword call, ten
    ``object.__setattr__``) costs about five times what filling a draft of the same slots and
    assigning its class does; the value is the same.

    >>> here = SourceLocation("f.yaml", 3, 5)
    >>> stated_fact("预算完成率", Decimal("99.66"), "%", here, "引文", None, None) == FactValue(
    ...     "预算完成率", Decimal("99.66"), "%", here, "引文")
    True
    """
    made = _FactValueDraft()
    made.name = name
    made.value = value
    made.unit = unit
    made.location = location
    made.quote = quote
    made.derivation = None
    made.inputs = ()
    made.source = source
    made.note = note
    made.exact = None
    made.__class__ = FactValue
    return made  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class FactDecl:
    """A declared fact as compiled: its spec, its place in the policy, a parsed derivation."""

    name: str
    spec: FactSpec
    location: SourceLocation
    derive: expr.Expr | None = None
    inputs: tuple[str, ...] = dataclasses.field(init=False)  # the facts ``derive`` reads, in first-use order

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", expr.free_names(self.derive) if self.derive is not None else ())


@dataclass(frozen=True, slots=True)
class ConstraintDecl:
    """A policy constraint on fact files, parsed: a comparison that must hold."""

    expr: expr.Expr
    message: str
    location: SourceLocation
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class Facts:
    """All facts of one department, by name, with the fact file's identity."""

    file: str
    department: str
    values: Mapping[str, FactValue]
    indicator_names: Mapping[str, str]
    digest: str
    findings: tuple[Finding, ...] = ()
    policy: CompiledPolicy | None = None  # for a project-form template: the project's own compiled policy
    document: SourceDoc | None = None  # ... and the fact document with one fact per row, which that policy validates
    # blank table cells (空, "—") and where they are (engine.tables)
    blanks: Mapping[str, SourceLocation] = dataclasses.field(default_factory=dict)

    def __getitem__(self, name: str) -> FactValue:
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values


def validate_facts(doc: SourceDoc, decls: tuple[FactDecl, ...], indicator_ids: frozenset[str],
                   digest: str, constraints: tuple[ConstraintDecl, ...] = (),
                   table_decls: tuple[TableDecl, ...] = ()) -> Facts:
    """Validate a fact file against the declared facts and compute derived ones.

    Checks, in one pass, every fact's name, type, unit, range and decimal places (a table's cells
    each as a fact, ``engine.tables``); then computes derived facts (checking any value the file
    states for them) and the policy's constraints.

    Raises:
        PolicyErrors: every problem in the file, sorted and capped.
    """
    _check_size(doc)
    flat = flatten(doc, table_decls)
    doc = flat.doc
    try:
        parsed = FactsDocument.model_validate(doc.value)
    except pydantic.ValidationError as err:
        raise PolicyErrors(pydantic_problems(err, doc, ErrorCode.FACTS_SCHEMA, FACT_FIELDS)) from None
    checker = _Checker(doc, {d.name: d for d in decls})
    checker.problems.extend(flat.problems)
    values = dict(checker.check_all(parsed))
    if not checker.problems:
        values = _derive_all(values, decls, checker, flat.blanks)
        findings = _check_constraints(values, constraints, checker)
    names = dict(parsed.indicator_names)
    unknown = [iid for iid in names if iid not in indicator_ids]
    for count, iid in enumerate(unknown, start=1):  # as for unknown facts: suggest only where it can be shown
        hint = did_you_mean(iid, sorted(indicator_ids)) if count <= ERROR_LIMIT else ""
        checker.add(ErrorCode.FACTS_UNKNOWN, ("indicator_names", iid), f"未知指标「{iid}」{hint}", key=True)
    if checker.problems:
        raise PolicyErrors(checker.problems)
    return Facts(doc.file, parsed.department, values, names, digest, findings, blanks=flat.blanks)


def _check_size(doc: SourceDoc) -> None:
    """Refuse a fact file with more facts, or a targets list with more targets, than the limits allow."""
    facts = doc.value.get("facts") if isinstance(doc.value, dict) else None
    if not isinstance(facts, dict):
        return
    if len(facts) > input_limits.FACTS:
        raise JixiaoError(ErrorCode.LIMIT_FACTS, f"事实文件填报了 {len(facts)} 项事实，超过上限 {input_limits.FACTS}",
                          doc.locate(("facts",), key=True), "facts")
    for name, entry in facts.items():
        value = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(value, list) and len(value) > input_limits.TARGETS:
            path: Path = ("facts", name, "value") if isinstance(entry, dict) else ("facts", name)
            raise JixiaoError(ErrorCode.LIMIT_TARGETS,
                              f"事实「{name}」列了 {len(value)} 项目标，超过上限 {input_limits.TARGETS}",
                              doc.locate((*path, input_limits.TARGETS)), field_path(path))


class _Checker:
    def __init__(self, doc: SourceDoc, decls: Mapping[str, FactDecl]) -> None:
        self.doc, self.decls = doc, decls
        self.problems: list[Problem] = []

    def add(self, code: ErrorCode, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(Problem(code, message, self.doc.locate(path, key=key), field_path(path)))

    def check_all(self, parsed: FactsDocument) -> Iterator[tuple[str, FactValue]]:
        unknown_so_far = 0
        for name, entry in parsed.facts.items():
            if name not in self.decls:
                # only the first ERROR_LIMIT problems by position are shown, and unknown facts come in file
                # order: a suggestion for a later one could never be shown, and each costs a scan of the names
                unknown_so_far += 1
                hint = did_you_mean(name, self.decls) if unknown_so_far <= ERROR_LIMIT else ""
                self.add(ErrorCode.FACTS_UNKNOWN, ("facts", name), f"未知事实「{name}」{hint}", key=True)
                continue
            value = self.check_one(name, entry, self.decls[name].spec)
            if value is not None:
                yield name, value
        unknown = [n for n in parsed.facts if n not in self.decls]
        for name, decl in self.decls.items():
            if name not in parsed.facts and decl.derive is None and decl.spec.required:
                near = "" if len(unknown) > ERROR_LIMIT else \
                    did_you_mean(name, unknown).replace("，是否为", "；文件中的").replace("？", "是否就是它？")
                self.add(ErrorCode.FACTS_MISSING, ("facts",),
                         f"缺少必填事实「{name}」（{decl.spec.description or decl.spec.type}）{near}", key=True)

    def check_one(self, name: str, entry: FactEntry, spec: FactSpec) -> FactValue | None:
        path: Path = ("facts", name, "value")
        if not self.check_unit(name, entry, spec):
            return None
        value = self.check_type(name, entry.value, spec, path)
        if value is None:
            return None
        if isinstance(value, Decimal) and not self.check_range(name, value, spec, path):
            return None
        return stated_fact(name, value, spec.unit, self.doc.locate(path), entry.quote, entry.source, entry.note)

    def check_unit(self, name: str, entry: FactEntry, spec: FactSpec) -> bool:
        if spec.unit is None or spec.type in ("boolean", "enum", "targets"):
            if entry.unit is not None and entry.unit != spec.unit:
                self.add(ErrorCode.FACTS_UNIT, ("facts", name, "unit"),
                         f"事实「{name}」不带单位，文件却写了「{entry.unit}」")
                return False
            return True
        if entry.unit is None:
            self.add(ErrorCode.FACTS_UNIT, ("facts", name),
                     f"事实「{name}」缺少单位：应写 unit: \"{spec.unit}\"")
            return False
        if entry.unit != spec.unit:
            self.add(ErrorCode.FACTS_UNIT, ("facts", name, "unit"),
                     f"事实「{name}」的单位应为「{spec.unit}」，文件写的是「{entry.unit}」")
            return False
        return True

    def check_type(self, name: str, raw: object, spec: FactSpec, path: Path) -> FactScalar | tuple[Target, ...] | None:
        value = _coerce(raw, spec)
        if value is None:
            expected = _EXPECTED[spec.type]
            self.add(ErrorCode.FACTS_TYPE, path, f"事实「{name}」应为{expected}，得到 {_given(raw)}{_hint(raw, spec)}")
            return None
        if isinstance(value, list):  # spec.type == "targets"
            return self.check_targets(name, value, path)
        return value

    def check_targets(self, name: str, raw: list[object], path: Path) -> tuple[Target, ...] | None:
        targets: list[Target] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            try:
                parsed = TargetItem.model_validate(item)
            except pydantic.ValidationError as err:
                self.problems.extend(pydantic_problems(err, self.doc, ErrorCode.FACTS_TYPE, FACT_FIELDS, (*path, i)))
                continue
            if parsed.name in seen:
                first = self.doc.locate((*path, seen[parsed.name]))
                self.add(ErrorCode.FACTS_DUPLICATE, (*path, i, "name"),
                         f"事实「{name}」中的目标「{_shown(parsed.name)}」重复（第一次出现在第 {first.line} 行）："
                         "每个目标只能列一次")
                continue
            seen[parsed.name] = i
            if not self.targets_in_range(parsed, (*path, i)):
                continue
            targets.append(Target(parsed.name, parsed.target, parsed.actual, parsed.direction,
                                  parsed.unit, self.doc.locate((*path, i))))
        if not raw:
            self.add(ErrorCode.FACTS_RANGE, path, f"事实「{name}」的目标清单为空")
        return tuple(targets) if len(targets) == len(raw) and raw else None

    def targets_in_range(self, item: TargetItem, path: Path) -> bool:
        """A target's numbers, which the model may have read from text, obey the number limits too."""
        for key in ("target", "actual"):
            problem = decimals.limit_problem(getattr(item, key))
            if problem is not None:
                self.add(problem.code, (*path, key), f"目标「{_shown(item.name)}」的 {key}：{problem.message}")
                return False
        return True

    def looks_like_ratio(self, name: str, value: Decimal, spec: FactSpec, path: Path) -> bool:
        """Too many decimal places for the policy's declared precision (0.8448 for 84.48 %)."""
        places = decimals.significant_places(value)  # exact at any length (normalize() rounds to 28 digits)
        if spec.places is None or places <= spec.places:
            return False
        as_percent = decimals.shift(value, 2)
        if spec.unit == "%" and 0 < value < 1 and decimals.significant_places(as_percent) <= spec.places:
            self.add(ErrorCode.FACTS_UNIT, path,
                     f"事实「{name}」的值 {decimals.fmt(value)} 看起来是比率而不是百分数：单位为 % 时应写 "
                     f"{decimals.fmt(as_percent)}")
        else:
            self.add(ErrorCode.FACTS_PRECISION, path,
                     f"事实「{name}」最多 {spec.places} 位小数，填报的 {decimals.fmt(value)} 有 {places} 位")
        return True

    def check_range(self, name: str, value: Decimal, spec: FactSpec, path: Path) -> bool:
        lo, hi = spec.range or (None, None)
        if self.looks_like_ratio(name, value, spec, path):
            return False
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            unit = spec.unit or ""
            bounds = f"[{'-∞' if lo is None else decimals.fmt(lo)}, {'+∞' if hi is None else decimals.fmt(hi)}]"
            hint = "；看起来是比率，百分数请乘以 100" if unit == "%" and 0 < value < 1 else ""
            self.add(ErrorCode.FACTS_RANGE, path,
                     f"事实「{name}」的值 {decimals.fmt(value)}{unit} 超出允许范围 {bounds}{unit}{hint}")
            return False
        return True


def _given(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, Decimal):
        return decimals.fmt(raw)
    if isinstance(raw, dict | list):
        return "映射" if isinstance(raw, dict) else "列表"
    return f"「{_shown(raw)}」" if isinstance(raw, str) else _shown(str(raw))


def _stated(value: FactScalar | tuple[Target, ...]) -> str:
    """A value the file states for a derived fact, as a message shows it (a number, if the spec is numeric)."""
    return decimals.fmt(value) if isinstance(value, Decimal) else str(value)


def _shown(text: str, size: int = 40) -> str:
    """Text from a file as a message quotes it: at most ``size`` characters, so messages stay small."""
    return text if len(text) <= size else text[:size] + "…"


def _hint(raw: object, spec: FactSpec) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if text.endswith("%"):
        return "；百分数请写数值并写 unit: \"%\"，如 84.48"
    if spec.type == "boolean" and text in ("yes", "no", "on", "off", "是", "否", "y", "n", "Yes", "No"):
        return "；布尔值请写 true 或 false（YAML 1.1 的 yes/no 不会被当作布尔值）"
    if spec.type == "enum":
        return f"；可选值：{'、'.join(spec.values)}{did_you_mean(_shown(str(raw)), spec.values)}"
    if spec.type in ("decimal", "integer") and _DATE.fullmatch(text):
        return "；这是日期，不是数值"
    if spec.type in ("decimal", "integer") and "," in text:
        return "；数值中不要写千位分隔符"
    if spec.type == "integer" and isinstance(raw, Decimal):
        return "；应为整数"
    return ""


_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def _check_constraints(values: Mapping[str, FactValue], constraints: tuple[ConstraintDecl, ...],
                       checker: _Checker) -> tuple[Finding, ...]:
    """Check every constraint: a broken ``error`` one is a problem, a broken ``warning`` one a finding."""
    findings: list[Finding] = []
    for constraint in constraints:
        names = expr.free_names(constraint.expr)
        if any(n not in values for n in names):
            continue
        # the ignores below: FactValue holds any scalar, but compile refuses a non-numeric fact in an
        # expression where it stands (expr.type), so every value an expression reads is a number
        env = {n: values[n].value for n in names}
        try:
            if expr.evaluate(constraint.expr, env):  # type: ignore[arg-type]
                continue
        except ArithmeticError:  # e.g. a division by a zero fact inside the condition: it cannot hold
            pass
        first = values[names[0]]
        where = first.location or checker.doc.locate(("facts",))
        shown = expr.render(constraint.expr, env)  # type: ignore[arg-type]
        message = (f"{constraint.message}：{expr.render(constraint.expr)}，即 {shown}，"
                   f"不成立（约束见 {constraint.location}）")
        if constraint.severity == "warning":
            findings.append(Finding(str(ErrorCode.FACTS_CONSTRAINT), message, where, f"facts.{names[0]}",
                                    constraint.location))
            continue
        checker.problems.append(Problem(ErrorCode.FACTS_CONSTRAINT, message, where, f"facts.{names[0]}"))
    return tuple(findings)


def _coerce(raw: object, spec: FactSpec) -> FactScalar | list[object] | None:
    if spec.type == "boolean":
        return raw if isinstance(raw, bool) else None
    if spec.type == "enum":
        return raw if isinstance(raw, str) and raw in spec.values else None
    if spec.type == "targets":
        return raw if isinstance(raw, list) else None
    if isinstance(raw, bool) or not isinstance(raw, Decimal) or not raw.is_finite():
        return None
    if spec.type == "integer" and raw != raw.to_integral_value():
        return None
    return raw


def _derive_all(values: dict[str, FactValue], decls: tuple[FactDecl, ...],
                checker: _Checker, blanks: Mapping[str, SourceLocation]) -> dict[str, FactValue]:
    """Compute derived facts in declaration (dependency) order; one that reads a blank cell is an error."""
    for decl in decls:
        if decl.derive is None:
            continue
        inputs = decl.inputs
        for name in (n for n in inputs if n in blanks):
            checker.problems.append(Problem(
                ErrorCode.FACTS_BLANK, f"派生事实「{decl.name}」= {expr.render(decl.derive)}（{decl.location}）"
                f"读取的单元格「{name}」为空（—）：请填写数值（没有发生写 0）", blanks[name], f"facts.{name}"))
        if any(name not in values for name in inputs):
            continue
        derived = _derive_one(decl, {n: values[n] for n in inputs}, checker)
        if derived is None:
            continue
        stated = values.get(decl.name)
        path: Path = ("facts", decl.name, "value") if stated else ("facts",)
        number = derived.value
        assert isinstance(number, Decimal)  # _derive_one makes numbers only
        if not checker.check_range(decl.name, number, decl.spec, path):
            continue
        if stated is not None and stated.value != number:
            checker.add(ErrorCode.FACTS_DERIVED_MISMATCH, ("facts", decl.name, "value"),
                        f"事实「{decl.name}」填报为 {_stated(stated.value)}，"
                        f"按公式计算为 {decimals.fmt(number)}：{derived.derivation}")
            continue
        values[decl.name] = FactValue(decl.name, derived.value, decl.spec.unit,
                                      stated.location if stated else None,
                                      stated.quote if stated else None, derived.derivation, inputs,
                                      stated.source if stated else None, stated.note if stated else None,
                                      derived.exact)
    return values


def _overflow(decl: FactDecl, derive: expr.Expr, inputs: Mapping[str, FactValue], checker: _Checker) -> None:
    """A derived value beyond the number range: located at its largest input, which is what to look at."""
    numbers = [(n, v, v.value) for n, v in inputs.items() if isinstance(v.value, Decimal)]
    largest = max(numbers, key=lambda item: abs(item[2]), default=None)
    location = largest[1].location if largest and largest[1].location else decl.location
    shown = "、".join(f"「{n}」= {number}" for n, _, number in numbers)
    limit = input_limits.NUMBER_EXPONENT
    checker.problems.append(Problem(
        ErrorCode.EVAL_OVERFLOW,
        f"派生事实「{decl.name}」= {expr.render(derive)}（{decl.location}）的计算结果超出允许范围"
        f"（绝对值应小于 1e{limit + 1}）：{shown}",
        location, f"facts.{largest[0]}" if largest else f"facts.{decl.name}.derive"))


def _derive_one(decl: FactDecl, inputs: Mapping[str, FactValue], checker: _Checker) -> FactValue | None:
    assert decl.derive is not None
    env = {n: v.value for n, v in inputs.items()}  # numbers: compile refuses any other fact in a formula
    shown = expr.render(decl.derive, env)  # type: ignore[arg-type]
    try:
        exact = expr.evaluate(decl.derive, env)  # type: ignore[arg-type]
    except expr.ExprDivisionByZero as err:
        if decl.spec.on_division_by_zero is None:
            zero = expr.render(err.node.right)
            where = "、".join(f"「{n}」= {decimals.fmt(v.value)}（{v.location}）"  # type: ignore[arg-type]
                             for n, v in inputs.items())
            divisor = inputs.get(zero)
            location = divisor.location if divisor and divisor.location else decl.location
            checker.problems.append(Problem(
                ErrorCode.EVAL_DIVISION_BY_ZERO,
                f"派生事实「{decl.name}」= {expr.render(decl.derive)}（{decl.location}）的除数「{zero}」为 0："
                f"{where}；如需按规定处理，请在指标体系中声明 on_division_by_zero",
                location, f"facts.{zero}" if divisor else f"facts.{decl.name}.derive"))
            return None
        value = decl.spec.on_division_by_zero
        return FactValue(decl.name, value, decl.spec.unit, None, None,
                         f"{shown}：除数为 0，按规定取 {decimals.fmt(value)}")
    except ArithmeticError:  # the limits keep every value far from the context's bounds; defence in depth
        exact = None
    if not isinstance(exact, Decimal) or not decimals.in_range(exact):
        _overflow(decl, decl.derive, inputs, checker)
        return None
    if decl.spec.rounding is None:
        return FactValue(decl.name, exact, decl.spec.unit, None, None, f"{shown} = {decimals.show(exact)}")
    rounded = decimals.quantize(exact, decl.spec.rounding.places, decl.spec.rounding.mode)
    mode = decimals.ROUNDING_NAMES[decl.spec.rounding.mode]
    text = f"{shown} = {decimals.show(exact)} → {decimals.fmt(rounded)}（{mode}至 {decl.spec.rounding.places} 位）"
    return FactValue(decl.name, rounded, decl.spec.unit, None, None, text, exact=exact)


# -- the one validation path ---------------------------------------------------------------------
class FactRules(Protocol):
    """What validating a fact document needs from a policy (a compiled policy has all of it)."""

    @property
    def facts(self) -> tuple[FactDecl, ...]:
        """The declared facts, derived ones in dependency order."""
        ...

    @property
    def constraints(self) -> tuple[ConstraintDecl, ...]:
        """The policy's constraints on fact files."""
        ...

    @property
    def tables(self) -> tuple[TableDecl, ...]:
        """The declared table facts (their cells are among ``facts``)."""
        ...

    def indicator_ids(self) -> frozenset[str]:
        """Every indicator id (``indicator_names`` may only name these)."""
        ...

    def rule_reads(self) -> tuple[tuple[str, str | None, tuple[str, ...], SourceLocation], ...]:
        """Each rule: its id, its ``applicable_if`` fact, the facts it reads and its place in the policy."""
        ...


@dataclass(frozen=True, slots=True)
class FactFile:
    """A fact file's parsed document and its validated facts, read once and carried together."""

    doc: SourceDoc
    facts: Facts


def validate_against(policy: FactRules, doc: SourceDoc, digest: str | None = None) -> Facts:
    """Validate a parsed fact document against a policy: the one path every reader of facts takes.

    Fact files, case files, what-if scenarios, fuzzing and the service all call this, so a document
    passes the same checks everywhere: the top-level shape, every fact's type, unit, range and
    decimal places, derived facts and the policy's constraints.

    Args:
        policy: the compiled policy (its declared facts, constraints and indicator ids).
        doc: the parsed document (values and positions).
        digest: the document's identity; default: :func:`facts_digest` of its value.

    Raises:
        PolicyErrors: every problem found, sorted and capped.
    """
    if not isinstance(doc.value, dict):
        raise PolicyErrors([Problem(ErrorCode.FACTS_SCHEMA, "事实文件的顶层应为映射（键: 值）", doc.locate(()))])
    instantiate = getattr(policy, "instantiate", None)
    if instantiate is not None:  # a project-form template: the rows make the project's own policy
        digest = facts_digest(doc.value) if digest is None else digest
        project, doc, rows = instantiate(doc)
        found = validate_facts(doc, project.facts, project.indicator_ids(), digest, project.constraints,
                               project.tables)
        _check_reads(project, doc, found)
        return dataclasses.replace(found, policy=project, document=doc, findings=(*rows, *found.findings))
    facts = validate_facts(doc, policy.facts, policy.indicator_ids(),
                           facts_digest(doc.value) if digest is None else digest, policy.constraints, policy.tables)
    _check_reads(policy, doc, facts)
    return facts


def _check_reads(policy: FactRules, doc: SourceDoc, facts: Facts) -> None:
    """A rule that would score needs every fact it reads.

    An optional fact the file leaves out is found here, located at the file's ``facts`` and the rule,
    not when the rule fires.
    """
    problems = []
    for rule_id, applicable_if, reads, location in policy.rule_reads():
        if applicable_if is not None and facts.values.get(applicable_if, None) is not None \
                and facts.values[applicable_if].value is False:
            continue  # not applicable: the rule reads nothing else
        for name in reads:
            if name in facts.blanks:
                problems.append(Problem(
                    ErrorCode.FACTS_BLANK, f"规则 {rule_id}（{location}）读取的单元格「{name}」为空（—）："
                    "请填写数值（没有发生写 0）", facts.blanks[name], f"facts.{name}"))
            elif name not in facts.values:
                problems.append(Problem(
                    ErrorCode.FACTS_MISSING, f"规则 {rule_id}（{location}）需要事实「{name}」，事实文件未填报"
                    f"（该事实声明为可选，但这条规则要用它）", doc.locate(("facts",), key=True), f"facts.{name}"))
    if problems:
        raise PolicyErrors(problems)


def refuse_findings(facts: Facts) -> Facts:
    """``--strict``: the facts unchanged when they have no findings, else every finding as an error.

    Raises:
        PolicyErrors: one located problem per finding, with the code it carries.
    """
    if facts.findings:
        raise PolicyErrors([Problem(ErrorCode(f.code), f"{f.message}（--strict：发现按错误处理）", f.location, f.field)
                            for f in facts.findings])
    return facts


def facts_digest(value: DocValue) -> str:
    """SHA-256 of the canonical JSON of a fact document (formatting and comments do not count).

    >>> facts_digest({"b": Decimal("1.50"), "a": True}) == facts_digest({"a": True, "b": Decimal("1.50")})
    True
    """
    return text_digest(canonical_json(value))


def canonical_json(value: DocValue) -> str:
    """A fact document's canonical JSON: keys sorted, no spaces, numbers as strings of their exact digits.

    >>> canonical_json({"b": Decimal("1.50"), "a": ["是", None]})
    '{"a":["是",null],"b":"1.50"}'
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_exact)


def text_digest(canonical: str) -> str:
    """SHA-256 (hex) of a canonical JSON text (:func:`canonical_json`): the fact document's identity."""
    return hashlib.sha256(canonical.encode()).hexdigest()


def _exact(obj: object) -> str:
    if isinstance(obj, Decimal):
        return str(obj)
    raise TypeError(type(obj))
