"""pydantic validation errors → located :class:`Problem`s (stage: validate; pure).

Each pydantic ``loc`` is mapped onto the parsed document's key path (the discriminated union's tag
is dropped), then to the nearest position that exists (Dagster's ``lookup_closest_and_path``).
Unknown keys get a did-you-mean suggestion from the field names the models know.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pydantic
from pydantic_core import ErrorDetails

from engine.errors import ErrorCode, Problem, did_you_mean
from engine.json_values import DocValue
from engine.source import Path, SourceDoc, field_path

__all__ = ["field_message", "model_field_names", "pydantic_problems"]


def model_field_names(models: Iterable[type[pydantic.BaseModel]]) -> frozenset[str]:
    """Every field name of the given models and of the models nested in them."""
    seen: set[type[pydantic.BaseModel]] = set()
    names: set[str] = set()
    pending = list(models)
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            pending.extend(_nested_models(info.annotation))
    return frozenset(names)


def _nested_models(annotation: object) -> list[type[pydantic.BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _nested_models(arg)]


def pydantic_problems(err: pydantic.ValidationError, doc: SourceDoc, code: ErrorCode,
                      vocabulary: frozenset[str], prefix: Path = ()) -> list[Problem]:
    """Map every pydantic error to a located problem with a Chinese message."""
    problems = []
    items = err.errors()
    for item in items:
        if item["type"] == "too_short" and _has_error_below(item["loc"], items):
            continue  # a failing element makes its tuple look empty: report the element only
        path = _document_path(doc.value, (*prefix, *item["loc"]))
        kind = item["type"]
        if kind == "union_tag_invalid":
            path = (*path, "kind")
        where = doc.locate(path, key=kind == "extra_forbidden")
        problems.append(Problem(code, _message(item, path, vocabulary), where, field_path(path)))
    return problems


def _has_error_below(loc: tuple[int | str, ...], items: list[ErrorDetails]) -> bool:
    return any(len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == tuple(loc) for other in items)


def _document_path(value: DocValue, loc: tuple[int | str, ...]) -> Path:
    """Follow ``loc`` through the document, skipping elements that are not keys (union tags)."""
    path: list[str | int] = []
    current = value
    for i, part in enumerate(loc):
        is_tag = isinstance(current, Mapping) and current.get("kind") == part and (
            part not in current or (i > 0 and loc[i - 1] == "rule"))  # a bands rule has a "bands" key too
        if is_tag:
            continue  # the discriminated union's tag, not a key of the document
        if isinstance(current, Mapping) and isinstance(part, str) and part not in current:
            path.append(part)
            current = None
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        else:
            path.append(part)
            current = current.get(part) if isinstance(current, Mapping) and isinstance(part, str) else None
    return tuple(path)


def _message(item: ErrorDetails, path: Path, vocabulary: frozenset[str]) -> str:
    name = path[-1] if path else ""
    kind = item["type"]
    given = item.get("input")
    if kind == "extra_forbidden":
        return f"未知字段「{name}」{did_you_mean(str(name), vocabulary)}"
    if kind == "missing":
        return f"缺少必填字段「{name}」"
    if kind == "value_error":
        return str(item["ctx"]["error"])
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(item["ctx"]["expected_tags"]).split(",")]
        tag = str(item["ctx"]["tag"])
        return f"未知的规则类型「{tag}」{did_you_mean(tag, tags) or '，可选：' + '、'.join(tags)}"
    if kind == "union_tag_not_found":
        return "规则缺少 kind 字段（规则类型）"
    if kind in ("decimal_parsing", "decimal_type", "int_parsing", "int_type", "int_from_float"):
        return f"字段「{name}」应为数值，得到 {_shown(given)}"
    if kind in ("string_type", "bool_type", "bool_parsing", "dict_type", "list_type", "tuple_type", "model_type"):
        expected = {"string_type": "文本", "bool_type": "true/false", "bool_parsing": "true/false",
                    "dict_type": "映射（键: 值）", "model_type": "映射（键: 值）"}.get(kind, "列表")
        return f"字段「{name}」应为{expected}，得到 {_shown(given)}"
    if kind == "literal_error":
        return f"字段「{name}」的值 {_shown(given)} 无效，可选：{item['ctx']['expected']}"
    bound = _BOUNDS.get(kind)
    if bound is not None:
        sign, key = bound
        return f"字段「{name}」应 {sign} {item.get('ctx', {}).get(key)}，得到 {_shown(given)}"
    return f"字段「{name}」无效：{item['msg']}（得到 {_shown(given)}）"


_BOUNDS = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("≤", "le"),
           "less_than": ("<", "lt")}


def field_message(item: ErrorDetails) -> str:
    """One pydantic error in Chinese, naming the field it is about (a request's query parameter, body field…).

    >>> field_message({"type": "int_parsing", "loc": ("query", "offset"), "msg": "…", "input": "x"})
    "字段「offset」应为数值，得到 'x'"
    """
    loc = tuple(item.get("loc", ()))
    return _message(item, loc, frozenset())


def _shown(value: object) -> str:
    if isinstance(value, Mapping | list):
        return "映射" if isinstance(value, Mapping) else "列表"
    return repr(value) if isinstance(value, str) else str(value)
