"""Changed facts, at the document level: parsed fact file + ``NAME=VALUE`` overrides → Facts → Result.

A scenario changes the parsed fact file (``SourceDoc.value``) and runs ``validate_against`` on it again,
so a changed value passes exactly the checks a fact file does (type, unit, range, derived facts,
constraints) and a bad one gets the same located error, pointing at the ``--set`` argument instead of
a file line. When an input of a derived fact changes, a value the file states for the derived fact no
longer holds; it is dropped, recomputed from the formula, and reported in :attr:`Scenario.recomputed`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.evaluate import evaluate
from engine.facts import FactDecl, Facts, FactScalar, Target, validate_against
from engine.firing.backends import Backend
from engine.json_values import DocMapping, DocValue
from engine.schema import FactSpec
from engine.source import Path, SourceDoc, parse_document
from engine.trace import Result

__all__ = ["ARGUMENT_DIGITS", "SET_FILE", "Override", "OverrideSyntax", "Scenario", "apply", "check_distinct",
           "check_magnitude", "parse_override", "run", "with_fact"]

SET_FILE = "--set"
ARGUMENT_DIGITS = 30  # a number typed as an argument: at most this many digits before and after the point
_NUMERIC = ("decimal", "integer")


class OverrideSyntax(ValueError):
    """An override that is not ``NAME=VALUE`` (a usage error)."""


@dataclass(frozen=True, slots=True)
class Override:
    """One changed fact: a value parsed as a fact file would parse it, and where it was written."""

    name: str
    value: DocValue
    text: str
    location: SourceLocation
    key_location: SourceLocation
    path: Path = ()
    positions: dict[Path, SourceLocation] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, name: str, value: DocValue, path: Path = (), source: str = SET_FILE) -> Override:
        """An override made by the engine itself (recover), located at ``source``."""
        where = SourceLocation(source, 1, 1)
        return cls(name, value, f"{name}={value}", where, where, path)


@dataclass(frozen=True, slots=True)
class Scenario:
    """The facts after the overrides, and the result of evaluating them."""

    overrides: tuple[Override, ...]
    recomputed: tuple[str, ...]
    facts: Facts
    result: Result


def parse_override(text: str, index: int = 1, source: str = SET_FILE) -> Override:
    """Parse ``NAME=VALUE``; VALUE is read like a value in a fact file (``5`` is a number, ``true`` a boolean).

    ``index`` numbers the argument (its "line"); columns count within ``"{source} {text}"``.

    >>> o = parse_override("财政拨款收入预决算差异率=5")
    >>> o.name, o.value, str(o.location)
    ('财政拨款收入预决算差异率', Decimal('5'), '--set:1:20')

    Raises:
        OverrideSyntax: no ``=``, no name or no value.
        JixiaoError: VALUE is not valid YAML (located in the argument).
    """
    head, sep, raw = text.partition("=")
    name = head.strip()
    if not sep or not name or not raw.strip():
        raise OverrideSyntax(f"应写成 事实名=值，例如 财政拨款收入预决算差异率=5：得到 {text!r}")
    start = len(source) + 2
    key = SourceLocation(source, index, start + len(head) - len(head.lstrip()))
    col = start + len(head) + 1
    try:
        doc = parse_document(raw, source)
    except JixiaoError as err:
        loc = err.location or SourceLocation(source, 1, 1)
        if "\n" not in raw:  # one argument is one line: an error "at the end" stays on it
            loc = SourceLocation(loc.file, 1, min(loc.col, len(raw) + 1) if loc.line == 1 else len(raw) + 1)
        raise JixiaoError(err.code, err.problem.message, _shift(loc, index, col), f"{SET_FILE} {name}") from None
    positions = {p: _shift(loc, index, col) for p, loc in doc.positions.items()}
    for path, number in _numbers(doc.value, ()):
        problem = check_magnitude(number, raw.strip() if not path else _number_text(number))
        if problem:
            raise JixiaoError(ErrorCode.FACTS_RANGE, problem, positions.get(path, positions[()]), f"{SET_FILE} {name}")
    return Override(name, doc.value, text, positions[()], key, (), positions)


def check_magnitude(number: Decimal, text: str) -> str | None:
    """Why a number typed as an argument is out of reach, or None when it is fine.

    A fact file's numbers are bounded by the policy's ranges; an argument may be anything, and one of
    a million digits would be carried through every check and message. At most
    :data:`ARGUMENT_DIGITS` digits before and after the point keeps arithmetic exact and messages short.

    >>> check_magnitude(Decimal("84.48"), "84.48") is None
    True
    >>> check_magnitude(Decimal("1e999999"), "1e999999")
    '数值「1e999999」超出可处理的范围：整数部分和小数部分各最多 30 位'
    """
    if not number.is_finite():
        return f"数值「{_short(text)}」不是有限数"
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if number.adjusted() >= ARGUMENT_DIGITS or exponent < -ARGUMENT_DIGITS:
        return f"数值「{_short(text)}」超出可处理的范围：整数部分和小数部分各最多 {ARGUMENT_DIGITS} 位"
    return None


def _number_text(number: Decimal) -> str:
    """A short scientific text of a number for messages (never its millions of digits).

    >>> _number_text(Decimal("1e999999"))
    '1E+999999'
    """
    return f"{number:.6E}" if len(number.as_tuple().digits) > 7 else str(number)


def _short(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}…{text[-10:]}（共 {len(text)} 个字符）"


def _numbers(value: DocValue, path: Path) -> Iterator[tuple[Path, Decimal]]:
    if isinstance(value, Decimal):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _numbers(item, (*path, i))


def check_distinct(overrides: Sequence[Override]) -> None:
    """Each fact (or item of a fact) is changed at most once.

    Raises:
        JixiaoError: ``source.duplicate_key`` at the second change of the same fact.
    """
    seen: dict[str, list[Override]] = {}
    for override in overrides:
        for earlier in seen.get(override.name, []):
            shorter = min(len(earlier.path), len(override.path))
            if earlier.path[:shorter] == override.path[:shorter]:
                message = (f"事实「{override.name}」被改动了两次（{earlier.key_location} 已改动它）："
                           "每项事实只能改动一次")
                raise JixiaoError(ErrorCode.SOURCE_DUPLICATE_KEY, message, override.key_location,
                                  f"{override.key_location.file} {override.name}")
        seen.setdefault(override.name, []).append(override)


def _shift(loc: SourceLocation, index: int, col: int) -> SourceLocation:
    return SourceLocation(loc.file, index + loc.line - 1, col + loc.col - 1)


def apply(doc: SourceDoc, decls: tuple[FactDecl, ...], overrides: Sequence[Override]
          ) -> tuple[SourceDoc, tuple[str, ...]]:
    """The fact file's document with the overrides written in, and the derived facts to recompute."""
    given = doc.value.get("facts", {}) if isinstance(doc.value, dict) else None
    if not isinstance(doc.value, dict) or not isinstance(given, dict):
        return doc, ()
    facts = dict(given)
    out = SourceDoc(doc.file, {**doc.value, "facts": facts}, dict(doc.positions), dict(doc.key_positions),
                    dict(doc.styles))
    specs = {d.name: d.spec for d in decls}
    for override in overrides:
        _write(out, facts, override, specs)
    recomputed = tuple(_dependents(decls, {o.name for o in overrides}))
    for name in recomputed:
        facts.pop(name, None)
    return out, recomputed


def _write(doc: SourceDoc, facts: DocMapping, override: Override, specs: dict[str, FactSpec]) -> None:
    name, base = override.name, ("facts", override.name, "value")
    entry = facts.get(name)
    if isinstance(entry, dict):  # the file's quote and source describe the old value: keep only the unit
        kept = {k: entry[k] for k in ("unit",) if k in entry}
        facts[name] = {"value": _set_in(entry.get("value"), override.path, override.value), **kept}
    else:
        written: DocMapping = {"value": override.value}
        facts[name] = written
        spec = specs.get(name)
        if entry is None and spec is not None and spec.type in _NUMERIC and spec.unit:
            written["unit"] = spec.unit
        if entry is None:
            doc.positions[("facts", name)] = override.location
            doc.key_positions[("facts", name)] = override.key_location
    target = (*base, *override.path)
    for table in (doc.positions, doc.key_positions, doc.styles):
        for path in [p for p in table if p[:len(target)] == target]:
            del table[path]
    doc.positions[target] = override.location
    for rel, loc in override.positions.items():
        doc.positions[(*target, *rel)] = loc


def _set_in(value: DocValue, path: Path, new: DocValue) -> DocValue:
    """``value`` with the item at ``path`` replaced (copies along the path, never in place).

    >>> _set_in([{"actual": 1}, {"actual": 2}], (1, "actual"), 5)
    [{'actual': 1}, {'actual': 5}]
    """
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return [_set_in(v, rest, new) if i == head else v for i, v in enumerate(value)]
    if isinstance(value, dict) and isinstance(head, str):
        return {**value, head: _set_in(value.get(head), rest, new)}
    return value


def _dependents(decls: tuple[FactDecl, ...], changed: set[str]) -> Iterator[str]:
    """Derived facts whose inputs (transitively) changed, in dependency order, minus those set directly."""
    affected = set(changed)
    for decl in decls:
        if affected & set(decl.inputs):
            affected.add(decl.name)
            if decl.name not in changed:
                yield decl.name


def run(policy: CompiledPolicy, doc: SourceDoc, base_digest: str, overrides: Sequence[Override],
        backend: Backend | None = None) -> Scenario:
    """Validate the overridden fact file as a fact file and evaluate it.

    Raises:
        PolicyErrors: the changed facts fail validation (same codes and messages as a fact file).
        JixiaoError: a fact is changed twice (``source.duplicate_key``), or evaluation fails (e.g. a value no
            band covers).
    """
    check_distinct(overrides)
    changed, recomputed = apply(doc, policy.facts, overrides)
    digest = hashlib.sha256("\n".join([base_digest, *(o.text for o in overrides)]).encode()).hexdigest()
    facts = validate_against(policy, changed, digest)
    return Scenario(tuple(overrides), recomputed, facts, evaluate(policy, facts, backend=backend))


def with_fact(facts: Facts, name: str, value: FactScalar | tuple[Target, ...]) -> Facts:
    """The validated facts with one value replaced as is (no validation, no derivation).

    Recover uses it to check an inverted rule on a derived fact directly; a changed input of that fact
    goes through :func:`run` instead.
    """
    values = dict(facts.values)
    values[name] = replace(values[name], value=value)
    return replace(facts, values=values)
