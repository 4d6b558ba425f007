"""Batch scoring, the pure parts: one record per fact file and the summary (stage: render; pure).

A record is what ``jixiao score … --out results.jsonl`` writes on one line: the JSON result of a
scored file (:func:`engine.render.json.result_dict`), or ``{"file", "error": problem}`` for a file
that could not be scored, ``problem`` being the error shape the HTTP API uses too
(:func:`engine.errors.problem_dict`). :func:`summarise` reads records back, so a
summary can be computed from any results file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pydantic_core import to_json

from engine.errors import Problem, problem_dict
from engine.json_values import JsonObject, JsonValue
from engine.render.json import result_dict
from engine.trace import Result

__all__ = ["LostPoints", "Summary", "error_line", "error_record", "record_line", "result_record", "summarise"]


def result_record(result: Result) -> JsonObject:
    """The record of a scored fact file: its JSON result."""
    return result_dict(result)


def error_record(file: str, problem: Problem) -> JsonObject:
    r"""The record of a fact file that could not be scored: the file and the error, located.

    >>> from engine.errors import ErrorCode, SourceLocation
    >>> record = error_record("f.yaml", Problem(ErrorCode.FACTS_UNIT, "单位不对", SourceLocation("f.yaml", 3, 5)))
    >>> print(record_line(record), end="")
    {"file":"f.yaml","error":{"code":"facts.unit","message":"单位不对","location":{"file":"f.yaml","line":3,"col":5},"field":""}}
    >>> record_line(record).endswith("\n")
    True
    >>> str(record["error"]["location"])  # what the command line prints before the message
    'f.yaml:3:5'
    """
    return {"file": file, "error": problem_dict(problem)}


def error_line(record: Mapping[str, JsonValue]) -> str | None:
    """The line the command line prints for a record of a file that failed, else None.

    >>> from engine.errors import ErrorCode, SourceLocation
    >>> error_line(error_record("f.yaml", Problem(ErrorCode.FACTS_UNIT, "单位不对", SourceLocation("f.yaml", 3, 5))))
    'f.yaml:3:5: facts.unit: 单位不对'
    >>> error_line({"file": "g.yaml", "total": "90"}) is None
    True
    """
    error = record.get("error")
    if not isinstance(error, dict):
        return None
    return f"{error['location'] or record['file']}: {error['code']}: {error['message']}"


def record_line(record: Mapping[str, JsonValue]) -> str:
    """One JSON line (UTF-8 unescaped, key order kept).

    pydantic-core's encoder writes the bytes ``json.dumps(record, ensure_ascii=False,
    separators=(",", ":"))`` writes, with the same escapes, several times faster
    (tests/unit/test_batch_line.py holds the two to each other).
    """
    return to_json(record).decode() + "\n"


@dataclass(frozen=True, slots=True)
class LostPoints:
    """Points one indicator lost over all scored files."""

    indicator: str
    name: str
    points: Decimal
    files: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Count, failures, total statistics and the indicators that lost most points."""

    count: int
    ok: int
    failed: int
    mean: Decimal | None
    min: Decimal | None
    max: Decimal | None
    most_lost: tuple[LostPoints, ...]


def summarise(records: Iterable[Mapping[str, JsonValue]], top: int = 5) -> Summary:
    """Summarise batch records; the mean is rounded to 3 places (half up).

    >>> leaf = {"id": "A1", "name": "资金", "lost": "1.5", "children": []}
    >>> s = summarise([{"total": "90", "indicators": [leaf]}, {"total": "95.5", "indicators": [leaf]},
    ...                {"file": "x", "error": {}}])
    >>> (s.count, s.ok, s.failed, s.mean, s.min, s.max), s.most_lost[0]
    ((3, 2, 1, Decimal('92.750'), Decimal('90'), Decimal('95.5')), LostPoints(indicator='A1', name='资金', \
points=Decimal('3.0'), files=2))
    """
    totals: list[Decimal] = []
    lost: dict[str, tuple[str, Decimal, int]] = {}  # indicator id → name, points, files
    count = 0
    for record in records:
        count += 1
        if "error" in record:
            continue
        totals.append(Decimal(_text(record, "total")))
        for node in _leaves(record["indicators"]):
            points = Decimal(_text(node, "lost"))
            if points > 0:
                name, sum_so_far, files = lost.get(_text(node, "id"), (_text(node, "name"), Decimal(0), 0))
                lost[_text(node, "id")] = (name, sum_so_far + points, files + 1)
    ranked = sorted(lost.items(), key=lambda item: (-item[1][1], item[0]))[:top]
    mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP) \
        if totals else None
    return Summary(count, len(totals), count - len(totals), mean, min(totals, default=None),
                   max(totals, default=None), tuple(LostPoints(i, e[0], e[1], e[2]) for i, e in ranked))


def _leaves(nodes: JsonValue) -> Iterator[Mapping[str, JsonValue]]:
    for node in nodes if isinstance(nodes, list) else ():
        if not isinstance(node, dict):
            raise TypeError(f"an indicator of a result record is not an object: {node!r}")
        if node["children"]:
            yield from _leaves(node["children"])
        else:
            yield node


def _text(node: Mapping[str, JsonValue], key: str) -> str:
    """A text field of a record (scores are text in a result's JSON)."""
    value = node[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} of a result record is not text: {value!r}")
    return value
