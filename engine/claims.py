"""Claimed scores: the scores a self-evaluation form prints for itself (stage: validate; pure).

A fact file may carry an optional top-level ``claimed`` block, the 自评表 as the unit filled it in::

    claimed:
      total: 94.622        # 总分
      A1: 13.932           # by indicator id …
      采购管理: 1.69        # … or by its Chinese name (also a name the file gives in ``indicator_names``)

:func:`parse_claims` turns the block into a :class:`ClaimSet`: indicator id → :class:`ClaimedScore`
(the exact decimal as written, with its file:line), plus the claimed total. The review
(``engine.views.review``) only ever sees a ``ClaimSet``, so a form whose claims sit elsewhere (the
project form of issue 13 carries each row's claimed score on the row) only has to build one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from engine import decimals
from engine.compile import CompiledPolicy
from engine.errors import ERROR_LIMIT, ErrorCode, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.json_values import DocValue
from engine.source import SourceDoc, field_path

__all__ = ["CLAIMED", "TOTAL", "ClaimSet", "ClaimedScore", "indicator_lookup", "parse_claims", "row_claims"]

CLAIMED = "claimed"
TOTAL = "total"


@dataclass(frozen=True, slots=True)
class ClaimedScore:
    """One score as the form prints it: the exact decimal, where it is written, and the key used."""

    value: Decimal
    location: SourceLocation
    key: str


@dataclass(frozen=True, slots=True)
class ClaimSet:
    """Every claimed score of one fact file: by indicator id, and the total."""

    indicators: Mapping[str, ClaimedScore] = field(default_factory=dict)
    total: ClaimedScore | None = None

    def __bool__(self) -> bool:
        return bool(self.indicators) or self.total is not None

    def get(self, indicator_id: str) -> ClaimedScore | None:
        """The claim for an indicator, if the form states one."""
        return self.indicators.get(indicator_id)

    @property
    def places(self) -> int:
        """The form's printed precision: the most decimals any of its claims has (2.00 and 13.932: 3)."""
        claims = [*self.indicators.values(), *([self.total] if self.total else [])]
        return max((decimals.places_of(c.value) for c in claims), default=0)


def indicator_lookup(policy: CompiledPolicy, renames: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Every key a form may use for an indicator → the ids it names (more than one: ambiguous).

    Ids name themselves; a name names every indicator that has it in the policy or, through the fact
    file's ``indicator_names``, in the file. An id always wins over a name that happens to equal it.
    """
    found: dict[str, list[str]] = {}
    for node in policy.nodes():
        for name in dict.fromkeys((node.name, renames.get(node.id, node.name))):
            found.setdefault(name, []).append(node.id)
    table = {name: tuple(dict.fromkeys(ids)) for name, ids in found.items()}
    table.update({node.id: (node.id,) for node in policy.nodes()})
    return table


def parse_claims(doc: SourceDoc, policy: CompiledPolicy, renames: Mapping[str, str]) -> ClaimSet:
    """Read the ``claimed`` block of a fact document (already validated by the fact-file schema).

    Args:
        doc: the parsed fact file (values and positions).
        policy: the compiled policy the claims refer to.
        renames: the fact file's ``indicator_names`` (id → name as the form prints it).

    Raises:
        PolicyErrors: every unknown, ambiguous or repeated key and every value that is not a number.
    """
    rows = row_claims(doc, policy)
    raw = doc.value.get(CLAIMED) if isinstance(doc.value, dict) else None
    if not isinstance(raw, dict):
        return _ordered(policy, rows, None)
    lookup = indicator_lookup(policy, renames)
    keys = (*sorted(lookup), TOTAL)
    problems: list[Problem] = []
    total: ClaimedScore | None = None
    claims: dict[str, ClaimedScore] = {}
    for key, value in raw.items():
        claim = _claim(doc, key, value, problems)
        if claim is None:
            continue
        if key == TOTAL:
            total = claim
            continue
        # only the first ERROR_LIMIT problems are shown: a suggestion for a later key could never be
        hint = keys if len(problems) < ERROR_LIMIT else ()
        ident = _resolve(doc, key, lookup, hint, problems)
        if ident is None:
            continue
        if ident in claims:
            first = claims[ident]
            problems.append(Problem(ErrorCode.FACTS_SCHEMA,
                                    f"指标「{ident}」的填报得分写了两次（「{first.key}」第 {first.location.line} 行、"
                                    f"「{key}」）", doc.locate((CLAIMED, key), key=True), field_path((CLAIMED, key))))
            continue
        claims[ident] = claim
    if problems:
        raise PolicyErrors(problems)
    return _ordered(policy, {**rows, **claims}, total)  # the claimed block states the form's score outright


def row_claims(doc: SourceDoc, policy: CompiledPolicy) -> dict[str, ClaimedScore]:
    """The score each indicator row of a project form prints (``rows[i].score``), by the row's indicator id.

    ``policy`` is the project's own policy (``engine.project_form``), whose row indicators are located at
    their rows; a row without a number (``/``, or no score) claims nothing.
    """
    rows = doc.value.get("rows") if isinstance(doc.value, dict) else None
    if not isinstance(rows, list):
        return {}
    at_row = {(n.location.line, n.location.col): n.id for n in policy.nodes()
              if n.leaf is not None and n.location.file == doc.file}
    claims: dict[str, ClaimedScore] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        value, where = row.get("score"), doc.locate(("rows", i))
        ident = at_row.get((where.line, where.col))
        if ident is not None and isinstance(value, Decimal) and value.is_finite():
            claims[ident] = ClaimedScore(value, doc.locate(("rows", i, "score")), str(row.get("name", ident)))
    return claims


def _ordered(policy: CompiledPolicy, claims: Mapping[str, ClaimedScore], total: ClaimedScore | None) -> ClaimSet:
    order = {node.id: i for i, node in enumerate(policy.nodes())}
    return ClaimSet(dict(sorted(claims.items(), key=lambda item: order[item[0]])), total)


def _claim(doc: SourceDoc, key: str, value: DocValue, problems: list[Problem]) -> ClaimedScore | None:
    path = (CLAIMED, key)
    if isinstance(value, Decimal) and value.is_finite():
        return ClaimedScore(value, doc.locate(path), key)
    given = f"「{value}」（带引号的文字）" if isinstance(value, str) else "空值" if value is None else str(value)
    problems.append(Problem(ErrorCode.FACTS_TYPE, f"填报得分「{key}」应为数值，得到 {given}",
                            doc.locate(path), field_path(path)))
    return None


def _resolve(doc: SourceDoc, key: str, lookup: Mapping[str, tuple[str, ...]], keys: tuple[str, ...],
             problems: list[Problem]) -> str | None:
    ids = lookup.get(key, ())
    if len(ids) == 1:
        return ids[0]
    where, path = doc.locate((CLAIMED, key), key=True), field_path((CLAIMED, key))
    if ids:
        problems.append(Problem(ErrorCode.FACTS_UNKNOWN,
                                f"填报得分的名称「{key}」对应多个指标（{'、'.join(ids)}），请改用指标 id", where, path))
    else:
        problems.append(Problem(ErrorCode.FACTS_UNKNOWN,
                                f"填报得分中的未知指标「{key}」{did_you_mean(key, keys) if keys else ''}"
                                f"（可写指标 id、指标名称或 {TOTAL}）", where, path))
    return None

