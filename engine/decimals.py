"""Exact decimal helpers (stage: all); nothing in the engine uses ``float``.

Rounding modes are named as policies declare them (``half_up`` = 四舍五入,
``down`` = truncate toward zero, as the seed prints its rates).
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal
from typing import Literal

__all__ = ["ROUNDING_MODES", "RoundingMode", "fmt", "normalise", "places_of", "quantize", "to_decimal"]

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


def quantize(value: Decimal, places: int, mode: str) -> Decimal:
    """Round ``value`` to ``places`` decimals with a declared mode.

    >>> quantize(Decimal("1.6896"), 3, "half_up")
    Decimal('1.690')
    >>> quantize(Decimal("84.2961"), 2, "down")
    Decimal('84.29')
    >>> quantize(Decimal("13.9325"), 3, "half_up"), quantize(Decimal("13.9325"), 3, "half_even")
    (Decimal('13.933'), Decimal('13.932'))
    """
    return normalise(value.quantize(_quantum(places), rounding=ROUNDING_MODES[mode]))


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


def show(value: Decimal, places: int = 6) -> str:
    """Show an exact intermediate value, cut to ``places`` decimals with an ellipsis when longer.

    Negative values get the minus sign − (U+2212), as printed reports do.

    >>> show(Decimal("1.6896")), show(Decimal(50) / Decimal(21)), show(Decimal("-0")), show(Decimal("-0.44"))
    ('1.6896', '2.380952…', '0', '−0.44')
    """
    return _show(value, places)


@functools.lru_cache(maxsize=8192)
def _show(value: Decimal, places: int) -> str:
    value = normalise(value)
    short = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_DOWN)
    return fmt(short).replace("-", "−") + ("…" if short != value else "")
