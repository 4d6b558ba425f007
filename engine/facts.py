"""Fact validation: a parsed fact file + declared facts → :class:`Facts` (stage: validate).

Every problem in the file is collected (unknown and missing facts with suggestions, wrong types,
units and ranges) and raised together; derived facts are computed here with their own declared
rounding and checked against a value the file states for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pydantic

from engine import decimals, expr
from engine.errors import ErrorCode, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.schema import FactEntry, FactsDocument, FactSpec, TargetItem
from engine.source import Path, SourceDoc, field_path
from engine.trace import RuleKind

__all__ = ["FactDecl", "FactValue", "Facts", "Target", "pydantic_problems", "validate_facts"]

FactScalar = Decimal | bool | str
_RULE_KINDS = frozenset(kind.value for kind in RuleKind)


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


@dataclass(frozen=True, slots=True)
class FactDecl:
    """A declared fact as compiled: its spec, its place in the policy, a parsed derivation."""

    name: str
    spec: FactSpec
    location: SourceLocation
    derive: expr.Expr | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """All facts of one department, by name, with the fact file's identity."""

    file: str
    department: str
    values: Mapping[str, FactValue]
    indicator_names: Mapping[str, str]
    digest: str

    def __getitem__(self, name: str) -> FactValue:
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values


def pydantic_problems(err: pydantic.ValidationError, doc: SourceDoc, code: ErrorCode,
                      prefix: Path = ()) -> list[Problem]:
    """Map pydantic errors to located problems (nearest ancestor with a position)."""
    problems = []
    for item in err.errors():
        path = (*prefix, *_document_path(item["loc"]))
        extra = item["type"] == "extra_forbidden"
        msg = _pydantic_message(item, path)
        problems.append(Problem(code, msg, doc.locate(path, key=extra), field_path(path)))
    return problems


def _document_path(loc: tuple[str | int, ...]) -> Path:
    """A pydantic ``loc`` without the union tags it adds (``rule.per_point.points`` → ``rule.points``).

    >>> _document_path(("indicators", 0, "rule", "bands", "bands", 1, "when"))
    ('indicators', 0, 'rule', 'bands', 1, 'when')
    """
    out: list[str | int] = []
    for i, part in enumerate(loc):
        tagged = i > 0 and loc[i - 1] == "rule" and part in _RULE_KINDS
        if not (tagged or (isinstance(part, str) and part.endswith("Rule"))):
            out.append(part)
    return tuple(out)


def _pydantic_message(item: Mapping[str, Any], path: Path) -> str:
    name = path[-1] if path else ""
    kind = item["type"]
    if kind == "extra_forbidden":
        return f"未知字段「{name}」"
    if kind == "missing":
        return f"缺少必填字段「{name}」"
    if kind == "union_tag_invalid":
        return f"未知的规则类型：{item.get('input')!r}（{item['ctx']['expected_tags']}）"
    return f"字段「{name}」无效：{item['msg']}（得到 {item.get('input')!r}）"


def validate_facts(doc: SourceDoc, decls: tuple[FactDecl, ...], indicator_ids: frozenset[str],
                   digest: str) -> Facts:
    """Validate a fact file against the declared facts and compute derived ones.

    Raises:
        PolicyErrors: every problem in the file, sorted and capped.
    """
    try:
        parsed = FactsDocument.model_validate(doc.value)
    except pydantic.ValidationError as err:
        raise PolicyErrors(pydantic_problems(err, doc, ErrorCode.FACTS_SCHEMA)) from None
    checker = _Checker(doc, {d.name: d for d in decls})
    values = dict(checker.check_all(parsed))
    if not checker.problems:
        values = _derive_all(values, decls, checker)
    names = dict(parsed.indicator_names)
    for iid in names:
        if iid not in indicator_ids:
            checker.add(ErrorCode.FACTS_UNKNOWN, ("indicator_names", iid),
                        f"未知指标「{iid}」{did_you_mean(iid, indicator_ids)}", key=True)
    if checker.problems:
        raise PolicyErrors(checker.problems)
    return Facts(doc.file, parsed.department, values, names, digest)


class _Checker:
    def __init__(self, doc: SourceDoc, decls: Mapping[str, FactDecl]) -> None:
        self.doc, self.decls = doc, decls
        self.problems: list[Problem] = []

    def add(self, code: ErrorCode, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append(Problem(code, message, self.doc.locate(path, key=key), field_path(path)))

    def check_all(self, parsed: FactsDocument) -> Iterator[tuple[str, FactValue]]:
        for name, entry in parsed.facts.items():
            if name not in self.decls:
                self.add(ErrorCode.FACTS_UNKNOWN, ("facts", name),
                         f"未知事实「{name}」{did_you_mean(name, self.decls)}", key=True)
                continue
            value = self.check_one(name, entry, self.decls[name].spec)
            if value is not None:
                yield name, value
        for name, decl in self.decls.items():
            if name not in parsed.facts and decl.derive is None and decl.spec.required:
                self.add(ErrorCode.FACTS_MISSING, ("facts",),
                         f"缺少必填事实「{name}」（{decl.spec.description or decl.spec.type}）", key=True)

    def check_one(self, name: str, entry: FactEntry, spec: FactSpec) -> FactValue | None:
        path: Path = ("facts", name, "value")
        if not self.check_unit(name, entry, spec):
            return None
        value = self.check_type(name, entry.value, spec, path)
        if value is None:
            return None
        if isinstance(value, Decimal) and not self.check_range(name, value, spec, path):
            return None
        return FactValue(name, value, spec.unit, self.doc.locate(path), entry.quote)

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

    def check_type(self, name: str, raw: Any, spec: FactSpec, path: Path) -> Any:
        expected = {"decimal": "数值", "integer": "整数", "boolean": "布尔值 true/false",
                    "enum": "枚举值", "targets": "目标清单"}[spec.type]
        value = _coerce(raw, spec)
        if value is None:
            hint = ""
            if isinstance(raw, str) and raw.strip().endswith("%"):
                hint = "；百分数请写数值并用 unit: \"%\"，如 84.48"
            elif spec.type == "enum":
                hint = f"；可选值：{'、'.join(spec.values)}{did_you_mean(str(raw), spec.values)}"
            self.add(ErrorCode.FACTS_TYPE, path, f"事实「{name}」应为{expected}，得到 {raw!r}{hint}")
            return None
        if spec.type == "targets":
            return self.check_targets(name, raw, path)
        return value

    def check_targets(self, name: str, raw: list[Any], path: Path) -> tuple[Target, ...] | None:
        targets = []
        for i, item in enumerate(raw):
            try:
                parsed = TargetItem.model_validate(item)
            except pydantic.ValidationError as err:
                self.problems.extend(pydantic_problems(err, self.doc, ErrorCode.FACTS_TYPE, (*path, i)))
                continue
            targets.append(Target(parsed.name, parsed.target, parsed.actual, parsed.direction,
                                  parsed.unit, self.doc.locate((*path, i))))
        if not raw:
            self.add(ErrorCode.FACTS_RANGE, path, f"事实「{name}」的目标清单为空")
        return tuple(targets) if len(targets) == len(raw) and raw else None

    def check_range(self, name: str, value: Decimal, spec: FactSpec, path: Path) -> bool:
        if spec.range is None:
            return True
        lo, hi = spec.range
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            unit = spec.unit or ""
            bounds = f"[{'-∞' if lo is None else decimals.fmt(lo)}, {'+∞' if hi is None else decimals.fmt(hi)}]"
            hint = "；看起来是比率，百分数请乘以 100" if unit == "%" and 0 < value < 1 else ""
            self.add(ErrorCode.FACTS_RANGE, path,
                     f"事实「{name}」的值 {decimals.fmt(value)}{unit} 超出允许范围 {bounds}{unit}{hint}")
            return False
        return True


def _coerce(raw: Any, spec: FactSpec) -> Any:
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
                checker: _Checker) -> dict[str, FactValue]:
    """Compute derived facts in declaration (dependency) order."""
    for decl in decls:
        if decl.derive is None:
            continue
        inputs = expr.free_names(decl.derive)
        if any(name not in values for name in inputs):
            continue
        derived = _derive_one(decl, {n: values[n] for n in inputs}, checker)
        if derived is None:
            continue
        stated = values.get(decl.name)
        if stated is not None and stated.value != derived.value:
            checker.add(ErrorCode.FACTS_DERIVED_MISMATCH, ("facts", decl.name, "value"),
                        f"事实「{decl.name}」填报为 {decimals.fmt(stated.value)}，"  # type: ignore[arg-type]
                        f"按公式计算为 {decimals.fmt(derived.value)}：{derived.derivation}")  # type: ignore[arg-type]
            continue
        values[decl.name] = FactValue(decl.name, derived.value, decl.spec.unit,
                                      stated.location if stated else None,
                                      stated.quote if stated else None, derived.derivation, inputs)
    return values


def _derive_one(decl: FactDecl, inputs: Mapping[str, FactValue], checker: _Checker) -> FactValue | None:
    assert decl.derive is not None
    env = {n: v.value for n, v in inputs.items()}
    shown = expr.render(decl.derive, env)  # type: ignore[arg-type]
    try:
        exact = expr.evaluate(decl.derive, env)  # type: ignore[arg-type]
    except expr.ExprDivisionByZero as err:
        if decl.spec.on_division_by_zero is None:
            zero = expr.render(err.node.right)
            where = "、".join(f"「{n}」={decimals.fmt(v.value)}（{v.location}）"  # type: ignore[arg-type]
                             for n, v in inputs.items())
            checker.problems.append(Problem(
                ErrorCode.EVAL_DIVISION_BY_ZERO,
                f"派生事实「{decl.name}」= {expr.render(decl.derive)} 除数「{zero}」为 0：{where}",
                decl.location, f"facts.{decl.name}.derive"))
            return None
        value = decl.spec.on_division_by_zero
        return FactValue(decl.name, value, decl.spec.unit, None, None,
                         f"{shown}：除数为 0，按规定取 {decimals.fmt(value)}")
    assert isinstance(exact, Decimal)
    if decl.spec.rounding is None:
        return FactValue(decl.name, exact, decl.spec.unit, None, None, f"{shown} = {decimals.show(exact)}")
    rounded = decimals.quantize(exact, decl.spec.rounding.places, decl.spec.rounding.mode)
    mode = decimals.ROUNDING_NAMES[decl.spec.rounding.mode]
    text = f"{shown} = {decimals.show(exact)} → {decimals.fmt(rounded)}（{mode}至 {decl.spec.rounding.places} 位）"
    return FactValue(decl.name, rounded, decl.spec.unit, None, None, text)
