"""Errors as data: a location, a stable dotted code, a Chinese message (stage: all).

Every error a user can cause is a :class:`JixiaoError` carrying a :class:`SourceLocation`
(file, 1-based line and column), the field path inside the document and a stable
:class:`ErrorCode`. Suggestions for misspelt names come from :func:`did_you_mean`.
"""

from __future__ import annotations

import difflib
import functools
import heapq
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from engine.drafts import draft_of
from engine.json_values import JsonObject, JsonValue

__all__ = [
    "ErrorCode",
    "JixiaoError",
    "LocationJson",
    "PolicyErrors",
    "Problem",
    "SourceLocation",
    "did_you_mean",
    "location",
    "problem_dict",
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
    SOURCE_UNREADABLE = "source.unreadable"
    SOURCE_CHARACTER = "source.character"
    SOURCE_TAG = "source.tag"
    SOURCE_ALIAS = "source.alias"
    SOURCE_MERGE_KEY = "source.merge_key"
    SOURCE_NUMBER = "source.number"
    SOURCE_WORKBOOK = "source.workbook"
    POLICY_SCHEMA = "policy.schema"
    POLICY_WEIGHTS_SUM = "policy.weights_sum"
    POLICY_TOTAL = "policy.total"
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
    POLICY_NEEDS_REVIEW = "policy.needs_review"
    POLICY_EXTENDS = "policy.extends"
    POLICY_DUPLICATE_NAME = "policy.duplicate_name"
    FACTS_SCHEMA = "facts.schema"
    FACTS_UNKNOWN = "facts.unknown"
    FACTS_MISSING = "facts.missing"
    FACTS_TYPE = "facts.type"
    FACTS_UNIT = "facts.unit"
    FACTS_RANGE = "facts.range"
    FACTS_DERIVED_MISMATCH = "facts.derived_mismatch"
    FACTS_PRECISION = "facts.precision"
    FACTS_CONSTRAINT = "facts.constraint"
    FACTS_DUPLICATE = "facts.duplicate"
    FACTS_TARGET = "facts.target"
    FACTS_ROW_UNIT = "facts.row_unit"
    FACTS_ROW_WEIGHTS = "facts.row_weights"
    FACTS_ROW_CATEGORY = "facts.row_category"
    FACTS_IDENTITY = "facts.identity"
    FACTS_BLANK = "facts.blank"
    REVIEW_SCHEMA = "review.schema"
    REVIEW_ADJUSTMENT = "review.adjustment"
    EXPR_SYNTAX = "expr.syntax"
    EXPR_NOT_ALLOWED = "expr.not_allowed"
    EXPR_UNKNOWN_NAME = "expr.unknown_name"
    EXPR_ARITY = "expr.arity"
    EXPR_ARGUMENT = "expr.argument"
    EXPR_NUMBER = "expr.number"
    EXPR_TYPE = "expr.type"
    EVAL_DIVISION_BY_ZERO = "eval.division_by_zero"
    EVAL_NO_MATCH = "eval.no_match"
    EVAL_AMBIGUOUS = "eval.ambiguous"
    EVAL_JUDGEMENT_RANGE = "eval.judgement_range"
    EVAL_OVERFLOW = "eval.overflow"
    FIRING_LIMIT = "firing.limit"
    FIRING_PRECISION = "firing.precision"
    FIRING_NOT_HANDLED = "firing.not_handled"
    FIRING_OBSERVED = "firing.observed"
    FIRING_ACTION_FAILED = "firing.action_failed"
    FIRING_ENGINE = "firing.engine"
    FIRING_TIMEOUT = "firing.timeout"
    # input limits (values in engine/input_limits.py, listed in docs/limits.md)
    LIMIT_FILE_SIZE = "limit.file_size"
    LIMIT_DOCUMENTS = "limit.documents"
    LIMIT_NODES = "limit.nodes"
    LIMIT_DEPTH = "limit.depth"
    LIMIT_ALIASES = "limit.aliases"
    LIMIT_SCALAR_LENGTH = "limit.scalar_length"
    LIMIT_KEY_LENGTH = "limit.key_length"
    LIMIT_NUMBER_DIGITS = "limit.number_digits"
    LIMIT_NUMBER_RANGE = "limit.number_range"
    LIMIT_EXPR_LENGTH = "limit.expr_length"
    LIMIT_EXPR_DEPTH = "limit.expr_depth"
    LIMIT_INDICATORS = "limit.indicators"
    LIMIT_FACTS = "limit.facts"
    LIMIT_TARGETS = "limit.targets"
    LIMIT_LIST_ITEMS = "limit.list_items"
    # output and the service database (the CLI's edges)
    OUTPUT_UNWRITABLE = "output.unwritable"
    OUTPUT_NOT_REGULAR = "output.not_regular"
    SERVICE_DATABASE = "service.database"
    RAY_ADDRESS = "ray.address"  # `--engine ray --address`: no Ray cluster answers there


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


_LOCATION_DRAFT = draft_of(SourceLocation)  # engine.drafts


def location(file: str, line: int, col: int) -> SourceLocation:
    """``SourceLocation(file, line, col)`` for the readers' per-node loops, about twice as cheap.

    The frozen ``__init__`` sets each field through ``object.__setattr__``; a draft with the same
    slots is filled with plain stores and made a ``SourceLocation`` by ``__class__`` assignment
    (as ``engine.records`` does for trace records).

    >>> location("p.yaml", 3, 7) == SourceLocation("p.yaml", 3, 7)
    True
    """
    made = _LOCATION_DRAFT()
    made.file = file
    made.line = line
    made.col = col
    made.__class__ = SourceLocation
    return made  # type: ignore[no-any-return]


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


class LocationJson(dict[str, JsonValue]):
    """A location as JSON, ``{"file", "line", "col"}``; printed, ``file:line:col`` as :class:`SourceLocation` is.

    >>> loc = LocationJson(file="f.yaml", line=3, col=5)
    >>> loc, str(loc)
    ({'file': 'f.yaml', 'line': 3, 'col': 5}, 'f.yaml:3:5')
    """

    def __str__(self) -> str:
        return f"{self['file']}:{self['line']}:{self['col']}"


def problem_dict(problem: Problem) -> JsonObject:
    """The one JSON shape of an error, for the HTTP API and for batch records alike.

    ``{"code", "message", "location": {"file", "line", "col"} or null, "field"}``; ``field`` is the
    dotted key path inside the document ("" when the problem is about the whole document).

    >>> problem_dict(Problem(ErrorCode.FACTS_UNIT, "单位不对", SourceLocation("f.yaml", 3, 5), "facts.x"))
    {'code': 'facts.unit', 'message': '单位不对', 'location': {'file': 'f.yaml', 'line': 3, 'col': 5}, \
'field': 'facts.x'}
    """
    loc = problem.location
    location = LocationJson(file=loc.file, line=loc.line, col=loc.col) if loc else None
    return {"code": str(problem.code), "message": problem.message, "location": location, "field": problem.field}


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


SUGGEST_CHARS = 200  # no suggestion for a longer name: difflib's cost grows with the product of the lengths


SHORTLIST = 5  # candidates that get difflib's full ratio, chosen by shared characters


@dataclass(frozen=True, slots=True)
class _Pool:
    """Candidate names prepared once per list: NFKC forms, character sets as bit masks, a joined text."""

    names: tuple[str, ...]
    by_folded: dict[str, tuple[str, ...]]
    masks: tuple[int, ...]
    sizes: tuple[int, ...]
    alphabet: dict[str, int]
    known: frozenset[str]
    joined: str


@functools.lru_cache(maxsize=16)
def _pool(candidates: tuple[str, ...]) -> _Pool:
    names = tuple(c for c in candidates if len(c) <= SUGGEST_CHARS and "\0" not in c)
    alphabet: dict[str, int] = {}
    masks = []
    by_folded: dict[str, list[str]] = {}
    for name in names:
        mask = 0
        for char in name:
            mask |= 1 << alphabet.setdefault(char, len(alphabet))
        masks.append(mask)
        by_folded.setdefault(unicodedata.normalize("NFKC", name), []).append(name)
    return _Pool(names, {k: tuple(v) for k, v in by_folded.items()}, tuple(masks),
                 tuple(m.bit_count() for m in masks), alphabet, frozenset(names), "\0" + "\0".join(names) + "\0")


def _containing(name: str, pool: _Pool) -> list[str]:
    """Candidates that contain ``name`` or are contained in it, in pool order, found with ``str.find``."""
    found: set[str] = set()
    at = pool.joined.find(name)
    while at >= 0 and name:
        start = pool.joined.rfind("\0", 0, at + 1) + 1
        found.add(pool.joined[start:pool.joined.index("\0", at)])
        at = pool.joined.find(name, pool.joined.index("\0", at))
    found |= {name[i:j] for i in range(len(name)) for j in range(i + 1, len(name) + 1)} & pool.known
    return [c for c in pool.names if c in found] if found else []


def _closest(name: str, pool: _Pool) -> list[str]:
    """The close matches ``difflib`` finds, keeping only those nearly as close as the best one.

    difflib's ratio costs tens of microseconds a pair, and a file with a thousand unknown names
    against a thousand declared ones would ask for a million pairs; so the candidates are first
    ranked by the share of characters they have in common with ``name`` (bit masks, a fraction of
    a microsecond a pair) and only a short list gets the full ratio.
    """
    query = 0
    for char in name:
        query |= 1 << pool.alphabet.get(char, len(pool.alphabet))
    size = query.bit_count()
    shares = [(query & m).bit_count() / (size + n or 1) for m, n in zip(pool.masks, pool.sizes, strict=True)]
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(name)
    scored = []
    for i in heapq.nlargest(SHORTLIST, range(len(shares)), key=shares.__getitem__):
        matcher.set_seq1(pool.names[i])
        scored.append((matcher.ratio(), pool.names[i]))
    scored.sort(reverse=True)
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

    Names that differ only in full-width / half-width forms are the first suggestion:

    >>> did_you_mean("ｂ", ["a", "b"])
    '，是否为「b」？'
    """  # noqa: RUF002 - the doctest's name is a full-width letter
    if len(name) > SUGGEST_CHARS:
        return ""
    pool = _pool(tuple(candidates))
    same = [c for c in pool.by_folded.get(unicodedata.normalize("NFKC", name), ()) if c != name]
    contained = _containing(name, pool)
    matches = same[:3] or (contained[:3] if contained else _closest(name, pool))
    if not matches:
        return ""
    if len(matches) == 1:
        return f"，是否为「{matches[0]}」？"
    return "，是否为以下之一：" + "、".join(f"「{m}」" for m in matches) + "？"
