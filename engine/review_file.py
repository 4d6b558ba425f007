"""The reviewer's file: deliberate deviations from the rules, with reasons (stage: validate; pure).

A reviewer (复核人) may depart from what a rule gives, on purpose: a discretionary deduction (酌情扣分)
or a corrected coefficient (更正系数: the score becomes 分值 × 系数). These judgements are kept in a
file of their own, passed as ``jixiao review … --adjustments FILE``, never in the unit's fact file,
so the self-evaluation stays exactly as the unit submitted it (its digest does not change) and the
reviewer's judgements can be read, signed and versioned apart from it::

    reviewer: 王复核                  # default for every entry
    department: 广州市科学技术局       # optional; must match the fact file's department
    adjustments:
      - indicator: A6.1               # an indicator id or name
        deduct: 1                     # 酌情扣分 (points, > 0) …
        reason: 佐证材料不全
      - indicator: 政府采购执行率
        coefficient: 72.74            # … or 更正系数 (%, 0–100), for a scored indicator
        reason: 系数应按实际执行率
        reviewer: 李复核

:func:`parse_adjustments` validates the shape and resolves the indicators; how much each one
changes a score is decided against the result in ``engine.views.review``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.claims import indicator_lookup
from engine.compile import CompiledPolicy
from engine.errors import ERROR_LIMIT, ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.schema_errors import model_field_names, pydantic_problems
from engine.source import SourceDoc, field_path

__all__ = ["AdjustmentEntry", "AdjustmentsDocument", "ReviewAdjustment", "parse_adjustments"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdjustmentEntry(_Model):
    """One judgement: an indicator, a deduction or a corrected coefficient, the reason and who decided."""

    indicator: str = Field(min_length=1)
    deduct: Decimal | None = Field(default=None, gt=0)
    coefficient: Decimal | None = Field(default=None, ge=0, le=100)
    reason: str = Field(min_length=1)
    reviewer: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_change(self) -> AdjustmentEntry:
        if (self.deduct is None) == (self.coefficient is None):
            raise ValueError("每条复核调整写 deduct（酌情扣分）或 coefficient（更正系数，%）之一")
        return self


class AdjustmentsDocument(_Model):
    """A reviewer's file for one fact file."""

    reviewer: str | None = Field(default=None, min_length=1)
    department: str | None = None
    note: str | None = None
    adjustments: tuple[AdjustmentEntry, ...] = Field(min_length=1)


FIELDS = model_field_names([AdjustmentsDocument])


@dataclass(frozen=True, slots=True)
class ReviewAdjustment:
    """A reviewer's judgement on one indicator, resolved to its id, with its place in the reviewer's file."""

    indicator_id: str
    kind: Literal["deduct", "coefficient"]
    value: Decimal
    reason: str
    reviewer: str
    location: SourceLocation


def parse_adjustments(doc: SourceDoc, policy: CompiledPolicy, renames: Mapping[str, str],
                      department: str) -> tuple[ReviewAdjustment, ...]:
    """Validate a reviewer's file against the policy and the fact file it is meant for.

    Raises:
        PolicyErrors: ``review.schema`` for the shape, ``review.adjustment`` for an unknown or repeated
            indicator, a missing reviewer, or a file written for another department.
    """
    if not isinstance(doc.value, dict):
        raise JixiaoError(ErrorCode.REVIEW_SCHEMA, "复核调整文件的顶层应为映射（键: 值）", doc.locate(()))
    try:
        parsed = AdjustmentsDocument.model_validate(doc.value)
    except pydantic.ValidationError as err:
        raise PolicyErrors(pydantic_problems(err, doc, ErrorCode.REVIEW_SCHEMA, FIELDS)) from None
    problems: list[Problem] = []
    if parsed.department is not None and parsed.department != department:
        problems.append(_problem(doc, ("department",), f"复核调整文件写的是「{parsed.department}」，"
                                                       f"事实文件的单位是「{department}」"))
    lookup = indicator_lookup(policy, renames)
    keys = tuple(sorted(lookup))
    found: dict[str, ReviewAdjustment] = {}
    for i, entry in enumerate(parsed.adjustments):
        hint = keys if len(problems) < ERROR_LIMIT else ()  # later suggestions could never be shown
        adjustment = _resolve(doc, i, entry, parsed.reviewer, lookup, hint, problems)
        if adjustment is None:
            continue
        if adjustment.indicator_id in found:
            first = found[adjustment.indicator_id].location
            problems.append(_problem(doc, ("adjustments", i, "indicator"),
                                     f"指标「{adjustment.indicator_id}」已有一条复核调整（第 {first.line} 行）："
                                     "同一指标只写一条，把扣分和理由合在一起"))
            continue
        found[adjustment.indicator_id] = adjustment
    if problems:
        raise PolicyErrors(problems)
    order = {node.id: i for i, node in enumerate(policy.nodes())}
    return tuple(sorted(found.values(), key=lambda a: order[a.indicator_id]))


def _resolve(doc: SourceDoc, i: int, entry: AdjustmentEntry, reviewer: str | None,
             lookup: Mapping[str, tuple[str, ...]], keys: tuple[str, ...],
             problems: list[Problem]) -> ReviewAdjustment | None:
    ids = lookup.get(entry.indicator, ())
    path = ("adjustments", i, "indicator")
    if len(ids) != 1:
        message = (f"名称「{entry.indicator}」对应多个指标（{'、'.join(ids)}），请改用指标 id" if ids else
                   f"复核调整中的未知指标「{entry.indicator}」{did_you_mean(entry.indicator, keys) if keys else ''}")
        problems.append(_problem(doc, path, message))
        return None
    who = entry.reviewer or reviewer
    if who is None:
        problems.append(_problem(doc, ("adjustments", i),
                                 "复核调整须写明复核人：在本条写 reviewer，或在文件顶层写 reviewer"))
        return None
    kind: Literal["deduct", "coefficient"] = "deduct" if entry.deduct is not None else "coefficient"
    value = entry.deduct if entry.deduct is not None else entry.coefficient
    assert value is not None  # the model requires one of the two
    return ReviewAdjustment(ids[0], kind, value, entry.reason, who, doc.locate(("adjustments", i)))


def _problem(doc: SourceDoc, path: tuple[str | int, ...], message: str) -> Problem:
    return Problem(ErrorCode.REVIEW_ADJUSTMENT, message, doc.locate(path), field_path(path))
