"""Exact decimal helpers (stage: all); nothing in the engine uses ``float``.

Rounding modes are named as policies declare them (``half_up`` = 四舍五入,
``down`` = truncate toward zero, as the seed prints its rates).
"""

from __future__ import annotations

import decimal
import functools
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Literal

from engine import input_limits
from engine.errors import ErrorCode

__all__ = ["NUMBER", "ROUNDING_MODES", "NumberLimit", "RoundingMode", "fmt", "formatter", "half_width", "in_range",
           "limit_problem", "normalise", "places_of", "quantize", "read_number", "shift", "significant_places",
           "to_decimal"]

NUMBER = re.compile(r"[-+]?([0-9][0-9_]*(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
"""A number as a YAML plain scalar or an expression literal may write it: ASCII digits only."""
# look-alikes of number characters, mapped to ASCII on purpose (RUF001 flags each)
_WIDE = str.maketrans({"．": ".", "。": ".", "٫": ".", "−": "-", "－": "-", "＋": "+", "ｅ": "e", "Ｅ": "E",  # noqa: RUF001
                       "＿": "_", "٬": "_"})  # noqa: RUF001
# what a number in other digits can be made of (``\d`` is any decimal digit): anything else is text at once
_NUMBERISH = re.compile("[\\d_.eE+\\-" + re.escape("".join(map(chr, _WIDE))) + "]+")

_SHORT = input_limits.NUMBER_EXPONENT + 1  # a number this short without exponent cannot break a limit
assert _SHORT <= input_limits.NUMBER_DIGITS

RoundingMode = Literal["half_up", "half_even", "half_down", "down", "up", "floor", "ceiling"]

ROUNDING_MODES: dict[str, str] = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
    "floor": decimal.ROUND_FLOOR,
    "ceiling": decimal.ROUND_CEILING,
}

ROUNDING_NAMES: dict[str, str] = {
    "half_up": "四舍五入",
    "half_even": "银行家舍入",
    "half_down": "五舍六入",
    "down": "截断",
    "up": "进位",
    "floor": "向下取整",
    "ceiling": "向上取整",
}


def to_decimal(value: object) -> Decimal:
    """Make a ``Decimal`` from an int, a string or a ``Decimal``; floats are refused.

    >>> to_decimal("13.932")
    Decimal('13.932')
    >>> to_decimal(0.1)
    Traceback (most recent call last):
    ...
    TypeError: float 0.1 is not exact; pass a string or a Decimal
    """
    if isinstance(value, bool):
        raise TypeError(f"bool {value!r} is not a number")
    if isinstance(value, float):
        raise TypeError(f"float {value!r} is not exact; pass a string or a Decimal")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        return Decimal(value)
    raise TypeError(f"{type(value).__name__} is not a number")


class NumberLimit(ValueError):
    """A number outside the declared limits (``engine.input_limits``); callers add the location."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        """Keep the stable code and the Chinese message."""
        super().__init__(message)
        self.code, self.message = code, message


def read_number(text: str) -> Decimal:
    """The exact ``Decimal`` of an ASCII number (as :data:`NUMBER` matches), within the declared limits.

    The digits are counted and the exponent bounded before ``Decimal`` sees the text, so no length of
    input makes this slow, and no value it returns can overflow the arithmetic that follows.

    >>> read_number("84.48"), read_number("1_000"), read_number("1e3")
    (Decimal('84.48'), Decimal('1000'), Decimal('1E+3'))
    >>> read_number("1e999999999")
    Traceback (most recent call last):
    ...
    engine.decimals.NumberLimit: 数值 1e999999999 的数量级超出允许范围（绝对值应在 1e-24 到 1e25 之间，0 除外）
    >>> read_number("1" * 101)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.decimals.NumberLimit: 数字有 101 位，超过上限 100 位：1111111111…
    """
    if len(text) <= _SHORT and "e" not in text and "E" not in text:
        # at most 25 characters and no exponent: within every limit (≤ 25 digits, magnitude 1e-23 to 1e24)
        return Decimal(text.replace("_", "") if "_" in text else text)
    plain = text.replace("_", "")
    mantissa, _, exponent = plain.lower().partition("e")
    digits = sum(1 for c in mantissa if c.isdigit())
    if digits > input_limits.NUMBER_DIGITS:
        raise NumberLimit(ErrorCode.LIMIT_NUMBER_DIGITS,
                          f"数字有 {digits} 位，超过上限 {input_limits.NUMBER_DIGITS} 位：{_short(text)}")
    if len(exponent.lstrip("+-").lstrip("0")) > 6:  # beyond any exponent the range allows
        raise _range_error(text)
    value = Decimal(plain)
    if not in_range(value):
        raise _range_error(text)
    return value


def in_range(value: Decimal) -> bool:
    """Whether a value's order of magnitude is within the declared range (``1e-24`` ≤ |x| < ``1e25``).

    Zero is in range unless written with more than 24 places (``0e-30``).

    >>> in_range(Decimal("9.9e24")), in_range(Decimal("1e25")), in_range(Decimal("1e-24")), in_range(Decimal(0))
    (True, False, True, True)
    """
    if not value.is_finite():
        return False
    limit = input_limits.NUMBER_EXPONENT
    return -limit <= value.adjusted() <= limit


def limit_problem(value: Decimal) -> NumberLimit | None:
    """Why an already built value breaks the number limits (too many digits, out of range), or ``None``.

    For numbers that reached a model as text (``"1e30"`` in quotes) rather than through :func:`read_number`.

    >>> limit_problem(Decimal("84.48")) is None, limit_problem(Decimal("1e30")).code
    (True, <ErrorCode.LIMIT_NUMBER_RANGE: 'limit.number_range'>)
    """
    if len(value.as_tuple().digits) > input_limits.NUMBER_DIGITS:
        return NumberLimit(ErrorCode.LIMIT_NUMBER_DIGITS,
                           f"数字有 {len(value.as_tuple().digits)} 位，超过上限 {input_limits.NUMBER_DIGITS} 位")
    return None if in_range(value) else _range_error(str(value))


def _range_error(text: str) -> NumberLimit:
    limit = input_limits.NUMBER_EXPONENT
    return NumberLimit(ErrorCode.LIMIT_NUMBER_RANGE, f"数值 {_short(text)} 的数量级超出允许范围"
                                                     f"（绝对值应在 1e-{limit} 到 1e{limit + 1} 之间，0 除外）")


def _short(text: str, size: int = 10) -> str:
    return text if len(text) <= size + 2 else text[:size] + "…"


def half_width(text: str) -> str | None:
    """The ASCII reading of a number written with full-width or other-script digits, else ``None``.

    Only decimal digits of other scripts count (``unicodedata.decimal``), so names such as ``①``
    (a checklist item) or ``²`` stay text.

    >>> half_width("８４.４８"), half_width("٨٤٫٤٨"), half_width("84.48"), half_width("八十"), half_width("①")
    ('84.48', '84.48', None, None, None)
    """  # noqa: RUF002 - the doctest shows full-width and Arabic-Indic digits
    stripped = text.strip()
    if stripped.isascii() or not stripped or not _NUMBERISH.fullmatch(stripped):
        return None
    out = []
    for char in stripped.translate(_WIDE):
        digit = unicodedata.decimal(char, None)
        out.append(str(digit) if digit is not None else char)
    candidate = "".join(out)
    return candidate if candidate.isascii() and NUMBER.fullmatch(candidate) else None


def quantize(value: Decimal, places: int, mode: str) -> Decimal:
    """Round ``value`` to ``places`` decimals with a declared mode, exactly, whatever its size.

    ``Decimal.quantize`` raises ``InvalidOperation`` when the result has more digits than the context
    precision; here the precision is raised for that one operation instead.

    >>> quantize(Decimal("1.6896"), 3, "half_up")
    Decimal('1.690')
    >>> quantize(Decimal("84.2961"), 2, "down")
    Decimal('84.29')
    >>> quantize(Decimal("13.9325"), 3, "half_up"), quantize(Decimal("13.9325"), 3, "half_even")
    (Decimal('13.933'), Decimal('13.932'))
    >>> quantize(Decimal("1e40") / 3, 2, "half_up") == Decimal("3.333333333333333333333333333E+39")
    True
    """
    return normalise(_quantize(value, places, ROUNDING_MODES[mode]))


def _quantize(value: Decimal, places: int, rounding: str) -> Decimal:
    digits = value.adjusted() + places + 2
    if digits <= decimal.getcontext().prec:
        return value.quantize(_quantum(places), rounding=rounding)
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        return value.quantize(_quantum(places), rounding=rounding)


@functools.lru_cache(maxsize=64)
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def normalise(value: Decimal) -> Decimal:
    """Turn a negative zero into zero and keep every other value as it is.

    >>> normalise(Decimal("-0.000"))
    Decimal('0.000')
    >>> normalise(Decimal("-1.5"))
    Decimal('-1.5')
    """
    return value.copy_abs() if value.is_zero() else value


def places_of(value: Decimal) -> int:
    """Count the decimal places written in ``value`` (0 for integers).

    >>> places_of(Decimal("97.30")), places_of(Decimal("5")), places_of(Decimal("1E+3"))
    (2, 0, 0)
    """
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def significant_places(value: Decimal) -> int:
    """Count the decimal places of ``value`` once trailing zeros are dropped, exactly at any length.

    (``Decimal.normalize()`` rounds to the context precision, so 28 or more digits slipped through.)

    >>> [significant_places(Decimal(x)) for x in ("84.4800", "0.000", "1E+3")]
    [2, 0, 0]
    >>> significant_places(Decimal("84.48" + "0" * 30 + "1"))
    33
    """
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    if digits[-1]:  # the usual case: no trailing zero
        return -exponent
    if not any(digits):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def shift(value: Decimal, places: int) -> Decimal:
    """``value × 10**places``, exactly (no context rounding).

    >>> shift(Decimal("0.8448"), 2), shift(Decimal("-1.5"), -1)
    (Decimal('84.48'), Decimal('-0.15'))
    """
    sign, digits, exponent = value.as_tuple()
    return Decimal((sign, digits, exponent + places)) if isinstance(exponent, int) else value


def fmt(value: Decimal, min_places: int = 0, max_places: int | None = None) -> str:
    """Print a decimal with at least ``min_places`` and at most ``max_places`` decimals.

    Trailing zeros beyond ``min_places`` are dropped; the value itself is never rounded here
    (it was rounded by the policy's declared rule before), so more places raise.

    >>> fmt(Decimal("1.690"), 2, 3), fmt(Decimal("4.000"), 2, 3), fmt(Decimal("13.932"), 2, 3)
    ('1.69', '4.00', '13.932')
    >>> fmt(Decimal("-0.0"), 2), fmt(Decimal("84.48")), fmt(Decimal("1E+3"))
    ('0.00', '84.48', '1000')
    """
    return _fmt(value, min_places, max_places)


def formatter(min_places: int = 0, max_places: int | None = None) -> Callable[[Decimal], str]:
    """:func:`fmt` with its places bound, for a renderer that prints many scores of one policy.

    >>> formatter(2, 3)(Decimal("13.932")), formatter(2, 3)(Decimal("4"))
    ('13.932', '4.00')
    """
    def show(value: Decimal) -> str:
        return _fmt(value, min_places, max_places)

    return show


@functools.lru_cache(maxsize=8192)
def _fmt(value: Decimal, min_places: int, max_places: int | None) -> str:
    """:func:`fmt`, cached: equal decimals always print the same, so a report's constants print once."""
    value = normalise(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    places = len(text.partition(".")[2])
    if max_places is not None and places > max_places:
        raise ValueError(f"{value} has more than {max_places} decimal places")
    if places < min_places:
        text = format(value, f".{min_places}f")
    return text


@functools.lru_cache(maxsize=8192)  # computations show the same few values again and again
def show(value: Decimal, places: int = 6) -> str:
    """Show an exact intermediate value, cut to ``places`` decimals with an ellipsis when longer.

    Negative values get the minus sign − (U+2212), as printed reports do.

    >>> show(Decimal("1.6896")), show(Decimal(50) / Decimal(21)), show(Decimal("-0")), show(Decimal("-0.44"))
    ('1.6896', '2.380952…', '0', '−0.44')
    """
    value = normalise(value)
    short = _quantize(value, places, decimal.ROUND_DOWN)
    return fmt(short).replace("-", "−") + ("…" if short != value else "")


__test__ = {"show": show.__doc__}  # doctest does not look inside the cache's wrapper
