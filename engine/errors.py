"""Errors as data: a location, a stable dotted code, a Chinese message (stage: all).

Every error a user can cause is a :class:`JixiaoError` carrying a :class:`SourceLocation`
(file, 1-based line and column), the field path inside the document and a stable
:class:`ErrorCode`. Suggestions for misspelt names come from :func:`did_you_mean`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ErrorCode",
    "JixiaoError",
    "PolicyErrors",
    "Problem",
    "SourceLocation",
    "did_you_mean",
    "sort_and_cap",
]

ERROR_LIMIT = 20


class ErrorCode(StrEnum):
    """Stable dotted codes; the stage comes first."""

    SOURCE_SYNTAX = "source.syntax"
    SOURCE_ENCODING = "source.encoding"
    SOURCE_EMPTY = "source.empty"
    SOURCE_DUPLICATE_KEY = "source.duplicate_key"
    SOURCE_NOT_FOUND = "source.not_found"
    POLICY_SCHEMA = "policy.schema"
    POLICY_WEIGHTS_SUM = "policy.weights_sum"
    POLICY_DUPLICATE_ID = "policy.duplicate_id"
    POLICY_UNKNOWN_FACT = "policy.unknown_fact"
    POLICY_FACT_TYPE = "policy.fact_type"
    POLICY_INTERVAL = "policy.interval"
    POLICY_BANDS = "policy.bands"
    POLICY_CYCLE = "policy.cycle"
    POLICY_UNREACHABLE = "policy.unreachable"
    POLICY_POINTS = "policy.points"
    POLICY_NO_FLOOR = "policy.no_floor"
    POLICY_ROUNDING = "policy.rounding"
    POLICY_UNIT = "policy.unit"
    POLICY_EXTENDS = "policy.extends"
    FACTS_SCHEMA = "facts.schema"
    FACTS_UNKNOWN = "facts.unknown"
    FACTS_MISSING = "facts.missing"
    FACTS_TYPE = "facts.type"
    FACTS_UNIT = "facts.unit"
    FACTS_RANGE = "facts.range"
    FACTS_DERIVED_MISMATCH = "facts.derived_mismatch"
    FACTS_PRECISION = "facts.precision"
    FACTS_CONSTRAINT = "facts.constraint"
    FACTS_IDENTITY = "facts.identity"
    REVIEW_SCHEMA = "review.schema"
    REVIEW_ADJUSTMENT = "review.adjustment"
    EXPR_SYNTAX = "expr.syntax"
    EXPR_NOT_ALLOWED = "expr.not_allowed"
    EXPR_UNKNOWN_NAME = "expr.unknown_name"
    EVAL_DIVISION_BY_ZERO = "eval.division_by_zero"
    EVAL_NO_MATCH = "eval.no_match"
    EVAL_AMBIGUOUS = "eval.ambiguous"
    EVAL_JUDGEMENT_RANGE = "eval.judgement_range"
    FIRING_LIMIT = "firing.limit"
    FIRING_PRECISION = "firing.precision"
    FIRING_NOT_HANDLED = "firing.not_handled"
    FIRING_OBSERVED = "firing.observed"
    FIRING_ACTION_FAILED = "firing.action_failed"
    FIRING_ENGINE = "firing.engine"
    FIRING_TIMEOUT = "firing.timeout"


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A 1-based position in a named file.

    >>> str(SourceLocation("p.yaml", 3, 7))
    'p.yaml:3:7'
    """

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem; a :class:`JixiaoError` or :class:`PolicyErrors` carries them."""

    code: ErrorCode
    message: str
    location: SourceLocation | None = None
    field: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{self.code}: {self.message}{field}"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, line, column, then message (OPA's ``Errors.Sort``)."""
        loc = self.location
        return (loc.file, loc.line, loc.col, self.message) if loc else ("", 0, 0, self.message)


class JixiaoError(Exception):
    """The one base class of every error a user can cause."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        location: SourceLocation | None = None,
        field: str = "",
    ) -> None:
        """Build an error; ``message`` is Chinese and already holds any suggestion."""
        self.problem = Problem(code, message, location, field)
        super().__init__(str(self.problem))

    @property
    def code(self) -> ErrorCode:
        """The stable dotted code."""
        return self.problem.code

    @property
    def location(self) -> SourceLocation | None:
        """Where the error is, if it has a place in a file."""
        return self.problem.location

    @property
    def field(self) -> str:
        """The dotted key path inside the document."""
        return self.problem.field

    @property
    def problems(self) -> tuple[Problem, ...]:
        """All problems carried (one here, several for :class:`PolicyErrors`)."""
        return (self.problem,)


class PolicyErrors(JixiaoError):
    """Several problems found in one go, sorted by location and capped."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Keep every problem (sorted, capped); the first one names the error."""
        ordered = sort_and_cap(problems)
        first = ordered[0]
        super().__init__(first.code, first.message, first.location, first.field)
        self._problems = ordered

    @property
    def problems(self) -> tuple[Problem, ...]:
        """All problems carried, sorted by location and capped."""
        return self._problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)


def sort_and_cap(problems: Iterable[Problem], limit: int = ERROR_LIMIT) -> tuple[Problem, ...]:
    """Sort problems by location then message and keep at most ``limit`` of them.

    >>> a = Problem(ErrorCode.FACTS_UNKNOWN, "b", SourceLocation("f", 2, 1))
    >>> b = Problem(ErrorCode.FACTS_UNKNOWN, "a", SourceLocation("f", 1, 1))
    >>> [p.message for p in sort_and_cap([a, b])]
    ['a', 'b']
    """
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=Problem.sort_key)[:limit])


def _closest(name: str, pool: list[str]) -> list[str]:
    """difflib's close matches, keeping only those nearly as close as the best one."""
    scored = sorted(((difflib.SequenceMatcher(None, name, c).ratio(), c) for c in pool), reverse=True)
    best = scored[0][0] if scored else 0.0
    return [c for ratio, c in scored[:3] if ratio >= 0.5 and ratio >= best - 0.1]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Suggest the nearest names, worded as click does, or return an empty string.

    >>> did_you_mean("预决算差异", ["财政拨款收入预决算差异率", "预算完成率"])
    '，是否为「财政拨款收入预决算差异率」？'
    >>> did_you_mean("zzz", ["预算完成率"])
    ''

    A name contained in a candidate (a Chinese abbreviation) is preferred to a merely similar one:

    >>> did_you_mean("预决算差异", ["财政拨款收入预决算差异率", "预决算信息公开"])
    '，是否为「财政拨款收入预决算差异率」？'
    """
    pool = list(candidates)
    contained = [c for c in pool if name and (name in c or c in name)]
    matches = contained[:3] if contained else _closest(name, pool)
    if not matches:
        return ""
    if len(matches) == 1:
        return f"，是否为「{matches[0]}」？"
    return "，是否为以下之一：" + "、".join(f"「{m}」" for m in matches) + "？"
