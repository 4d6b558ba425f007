"""The plain values documents and JSON outputs are made of (types only; used by every stage).

A policy or fact document, once parsed (:func:`engine.source.parse_document`), is a tree of
:data:`DocValue`: mappings with text keys, lists, text, booleans, ``None`` and numbers, every number
an exact :class:`~decimal.Decimal` built from its text (``int`` only where code builds a value, as a
case file's override may). What jixiao writes as JSON is a :data:`JsonValue`: numbers are already
text (``"13.932"``), except counts and line numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

__all__ = ["DocMapping", "DocValue", "JsonObject", "JsonValue", "Path"]

DocValue: TypeAlias = "dict[str, DocValue] | list[DocValue] | str | bool | int | Decimal | None"
"""A value of a parsed document."""

Path: TypeAlias = tuple[str | int, ...]
"""Where a value is in a parsed document: its keys and list indices from the top (``("facts", "x", "value")``)."""

DocMapping: TypeAlias = "dict[str, DocValue]"
"""A mapping of a parsed document (the top of every policy and fact file)."""

JsonValue: TypeAlias = "dict[str, JsonValue] | list[JsonValue] | str | bool | int | None"
"""A value jixiao writes as JSON."""

JsonObject: TypeAlias = "dict[str, JsonValue]"
"""A JSON object jixiao writes."""
