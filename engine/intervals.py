"""Interval notation for bands, tiers and grades (stage: compile; pure).

Accepted forms: ``[80, 90)``, ``(0, 10]``, ``[90, +∞)``, ``(, 60)``, ``= 0``, ``≥ 90``, ``> 30``,
``≤ 5``, ``< 80``. A square bracket (or ≥ ≤ =) is the （含） side.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals, input_limits

__all__ = ["Interval", "IntervalSyntaxError", "gaps", "overlaps", "parse_interval"]

_NUM = r"[-+]?[0-9]+(?:\.[0-9]+)?"  # ASCII digits only: Python's \d and Decimal() also take ８ or ٨  # noqa: RUF003
_PAIR = re.compile(rf"^([\[(])\s*({_NUM}|[-−]∞|-inf)?\s*[,，]\s*({_NUM}|\+?∞|\+?inf)?\s*([\])])$")
_WIDE = str.maketrans({"，": ",", "．": ".", "［": "[", "］": "]", "（": "(", "）": ")", "－": "-", "＋": "+"})  # noqa: RUF001 - mapped to ASCII
_SIDE = re.compile(rf"^(=|==|≥|>=|>|≤|<=|<)\s*({_NUM})$")


class IntervalSyntaxError(ValueError):
    """The text is not in interval notation; ``hint`` says why when more is known than "not the notation"."""

    def __init__(self, text: str, hint: str = "") -> None:
        """Keep the text and the reason."""
        super().__init__(text)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Interval:
    """A (possibly unbounded) interval of decimals; ``None`` is an open infinite side."""

    lo: Decimal | None
    lo_closed: bool
    hi: Decimal | None
    hi_closed: bool

    def contains(self, value: Decimal) -> bool:
        """Whether ``value`` lies in the interval.

        >>> parse_interval("[80, 90)").contains(Decimal(90)), parse_interval("(0, 10]").contains(Decimal(10))
        (False, True)
        """
        if self.lo is not None and (value < self.lo or (value == self.lo and not self.lo_closed)):
            return False
        return not (self.hi is not None and (value > self.hi or (value == self.hi and not self.hi_closed)))

    def is_empty(self) -> bool:
        """Whether no value lies in the interval."""
        if self.lo is None or self.hi is None:
            return False
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_closed and self.hi_closed))

    def intersect(self, other: Interval) -> Interval:
        """The common part of two intervals (possibly empty)."""
        lo, lo_closed = _max_lo((self.lo, self.lo_closed), (other.lo, other.lo_closed))
        hi, hi_closed = _min_hi((self.hi, self.hi_closed), (other.hi, other.hi_closed))
        return Interval(lo, lo_closed, hi, hi_closed)

    def scaled(self, factor: Decimal) -> Interval:
        """The interval with both bounds multiplied by a positive ``factor``.

        >>> str(parse_interval("[60, 80]").scaled(Decimal("0.1")))
        '[6, 8]'
        """
        lo = None if self.lo is None else self.lo * factor
        hi = None if self.hi is None else self.hi * factor
        return Interval(lo, self.lo_closed, hi, self.hi_closed)

    def witness(self) -> Decimal:
        """A value inside the (non-empty) interval, for messages and tests.

        >>> parse_interval("(80, 90)").witness(), parse_interval("= 0").witness()
        (Decimal('85'), Decimal('0'))
        """
        if self.lo is not None and self.hi is not None:
            return self.lo if self.lo_closed else (self.hi if self.hi_closed else (self.lo + self.hi) / 2)
        if self.lo is not None:
            return self.lo if self.lo_closed else self.lo + 1
        if self.hi is not None:
            return self.hi if self.hi_closed else self.hi - 1
        return Decimal(0)

    def __str__(self) -> str:
        if self.lo is not None and self.lo == self.hi:
            return f"= {decimals.fmt(self.lo)}"
        lo = "-∞" if self.lo is None else decimals.fmt(self.lo)
        hi = "+∞" if self.hi is None else decimals.fmt(self.hi)
        return f"{'[' if self.lo_closed else '('}{lo}, {hi}{']' if self.hi_closed else ')'}"

    def describe(self) -> str:
        """Chinese reading with the （含） side.

        >>> parse_interval("[80, 90)").describe(), parse_interval("≥ 90").describe()
        ('80（含）至 90', '≥ 90')
        """
        if self.lo is not None and self.lo == self.hi:
            return f"= {decimals.fmt(self.lo)}"
        if self.hi is None and self.lo is not None:
            return f"{'≥' if self.lo_closed else '>'} {decimals.fmt(self.lo)}"
        if self.lo is None and self.hi is not None:
            return f"{'≤' if self.hi_closed else '<'} {decimals.fmt(self.hi)}"
        if self.lo is None or self.hi is None:
            return "任意值"
        lo = decimals.fmt(self.lo) + ("（含）" if self.lo_closed else "")
        hi = decimals.fmt(self.hi) + ("（含）" if self.hi_closed else "")
        return f"{lo}至 {hi}" if self.lo_closed else f"{lo} 至 {hi}"


def _max_lo(a: tuple[Decimal | None, bool], b: tuple[Decimal | None, bool]) -> tuple[Decimal | None, bool]:
    if a[0] is None:
        return b
    if b[0] is None or a[0] > b[0]:
        return a
    if b[0] > a[0]:
        return b
    return a[0], a[1] and b[1]


def _min_hi(a: tuple[Decimal | None, bool], b: tuple[Decimal | None, bool]) -> tuple[Decimal | None, bool]:
    if a[0] is None:
        return b
    if b[0] is None or a[0] < b[0]:
        return a
    if b[0] < a[0]:
        return b
    return a[0], a[1] and b[1]


def parse_interval(text: str) -> Interval:
    """Parse interval notation.

    >>> parse_interval("[80, 90)")
    Interval(lo=Decimal('80'), lo_closed=True, hi=Decimal('90'), hi_closed=False)
    >>> parse_interval("= 0")
    Interval(lo=Decimal('0'), lo_closed=True, hi=Decimal('0'), hi_closed=True)
    >>> parse_interval("< 80")
    Interval(lo=None, lo_closed=False, hi=Decimal('80'), hi_closed=False)
    """
    text = str(text).strip()
    if len(text) > 2 * input_limits.NUMBER_DIGITS + 20:
        raise IntervalSyntaxError(text[:20], f"区间写法过长（超过 {2 * input_limits.NUMBER_DIGITS + 20} 个字符）")
    if any(not c.isascii() and unicodedata.decimal(c, None) is not None for c in text):
        ascii_form = "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c
                             for c in text.translate(_WIDE))
        raise IntervalSyntaxError(text, f"数字请用半角书写，是否为 {ascii_form}？")
    side = _SIDE.match(text)
    if side:
        op, value = side.group(1), _number(side.group(2))
        return {
            "=": Interval(value, True, value, True), "==": Interval(value, True, value, True),
            "≥": Interval(value, True, None, False), ">=": Interval(value, True, None, False),
            ">": Interval(value, False, None, False), "≤": Interval(None, False, value, True),
            "<=": Interval(None, False, value, True), "<": Interval(None, False, value, False),
        }[op]
    pair = _PAIR.match(text)
    if not pair:
        raise IntervalSyntaxError(text)
    lo = _bound(pair.group(2))
    hi = _bound(pair.group(3))
    found = Interval(lo, pair.group(1) == "[" and lo is not None, hi, pair.group(4) == "]" and hi is not None)
    if found.is_empty():
        raise IntervalSyntaxError(text)
    return found


def _bound(text: str | None) -> Decimal | None:
    if text is None or "∞" in text or "inf" in text:
        return None
    return _number(text)


def _number(text: str) -> Decimal:
    try:
        return decimals.read_number(text)
    except decimals.NumberLimit as err:
        raise IntervalSyntaxError(text, err.message) from None


def gaps(intervals: Iterable[Interval], within: Interval | None = None) -> list[Interval]:
    """The parts of ``within`` (default: all decimals) that no interval covers.

    >>> [str(g) for g in gaps([parse_interval("[0, 10]"), parse_interval("(20, 30]")])]
    ['(-∞, 0)', '(10, 20]', '(30, +∞)']
    >>> gaps([parse_interval("< 80"), parse_interval("[80, 90)"), parse_interval("≥ 90")])
    []
    """
    remaining = [within or Interval(None, False, None, False)]
    for cut in intervals:
        remaining = [piece for part in remaining for piece in _subtract(part, cut)]
    return [part for part in remaining if not part.is_empty()]


def _subtract(part: Interval, cut: Interval) -> list[Interval]:
    common = part.intersect(cut)
    if common.is_empty():
        return [part]
    left = Interval(part.lo, part.lo_closed, common.lo, not common.lo_closed) if common.lo is not None else None
    right = Interval(common.hi, not common.hi_closed, part.hi, part.hi_closed) if common.hi is not None else None
    return [p for p in (left, right) if p is not None and not p.is_empty()]


def overlaps(intervals: list[Interval]) -> list[tuple[int, int, Interval]]:
    """Pairs of intervals that share values, with the shared part.

    >>> [(i, j, str(c)) for i, j, c in overlaps([parse_interval("[0, 10]"), parse_interval("[10, 20)")])]
    [(0, 1, '= 10')]
    """
    found = []
    for i, a in enumerate(intervals):
        for j in range(i + 1, len(intervals)):
            common = a.intersect(intervals[j])
            if not common.is_empty():
                found.append((i, j, common))
    return found
