"""Cheap construction of frozen records: a *draft* class to fill, then the record's class (no stage: a helper).

A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__`` (so that its own
``__setattr__`` can refuse changes); for values made by the dozen per fact file or evaluation that is
most of their cost. A draft is a plain class with the record's bases and slots: filled with ordinary
attribute stores, its instance becomes a record by ``__class__`` assignment, which CPython allows
between classes of the same slots. The result is indistinguishable from one the ``__init__`` made
(``tests/unit/test_records.py``), and its fields cannot be changed afterwards.
"""

from __future__ import annotations

from typing import Any

__all__ = ["draft_of"]


def draft_of(record: type) -> Any:
    """A plain class with ``record``'s bases and slots, whose instances can become ``record`` instances.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, slots=True)
    ... class Point:
    ...     x: int
    ...     y: int
    >>> made = draft_of(Point)()
    >>> made.x, made.y = 1, 2
    >>> made.__class__ = Point
    >>> made == Point(1, 2)
    True
    """
    return type(f"{record.__name__}Draft", record.__bases__, {"__slots__": record.__dict__["__slots__"]})
