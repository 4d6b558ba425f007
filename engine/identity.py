"""Identity checks: is this fact file meant for this policy and year? (stage: validate; pure).

A fact file may say which policy it was filled in for: ``policy`` (the policy id), ``policy_version``
and ``fiscal_year``. Scoring or reviewing it against a policy whose id, version or fiscal year differs
is an error (``facts.identity``), unless the caller forces it; a forced mismatch is kept and shown in
every output, so nobody reads a forced result as an ordinary one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, PolicyErrors, Problem, SourceLocation
from engine.json_values import JsonValue
from engine.source import SourceDoc

__all__ = ["IdentityMismatch", "check_identity", "forced_records", "forced_text", "identity_mismatches"]

FIELDS = (("policy", "指标体系"), ("policy_version", "指标体系版本"), ("fiscal_year", "年度"))


@dataclass(frozen=True, slots=True)
class IdentityMismatch:
    """One identity field the fact file states differently from the policy."""

    field: str
    label: str
    stated: str
    expected: str
    location: SourceLocation

    def text(self) -> str:
        """``年度：事实文件写 2020（f.yaml:6），指标体系为 2021``."""
        return (f"{self.label}：事实文件写 {self.stated}（{self.location.file}:{self.location.line}），"
                f"指标体系为 {self.expected}")


def identity_mismatches(doc: SourceDoc, policy: CompiledPolicy) -> tuple[IdentityMismatch, ...]:
    """The identity fields the fact file states and that differ from the policy's."""
    value = doc.value if isinstance(doc.value, dict) else {}
    meta = policy.meta
    expected = {"policy": meta.id, "policy_version": meta.version, "fiscal_year": str(meta.fiscal_year)}
    found = []
    for key, label in FIELDS:
        stated = _text(value.get(key))
        if stated is None or stated == expected[key]:
            continue
        found.append(IdentityMismatch(key, label, stated, expected[key], doc.locate((key,))))
    return tuple(found)


def _text(value: object) -> str | None:
    """A stated identity value as text; a whole number is written without decimals.

    >>> _text(Decimal("2021.0")), _text("gz-dept-2021"), _text(None)
    ('2021', 'gz-dept-2021', None)
    """
    if value is None:
        return None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def check_identity(doc: SourceDoc, policy: CompiledPolicy, *, force: bool = False) -> tuple[IdentityMismatch, ...]:
    """Refuse a fact file meant for another policy, version or year; with ``force``, return the mismatches.

    Raises:
        PolicyErrors: ``facts.identity``, one problem per mismatching field (unless ``force``).
    """
    found = identity_mismatches(doc, policy)
    if found and not force:
        raise PolicyErrors(Problem(
            ErrorCode.FACTS_IDENTITY,
            f"事实文件写明的{m.label}为 {m.stated}，所用指标体系（{policy.meta.id} 版本 {policy.meta.version}，"
            f"{policy.meta.fiscal_year} 年度）为 {m.expected}：请换用对应的指标体系；确需按此指标体系评分时"
            "加 --force（结果中会注明）", m.location, m.field) for m in found)
    return found


def forced_records(found: tuple[IdentityMismatch, ...]) -> list[JsonValue]:
    """The mismatches as JSON-ready records."""
    return [{"field": m.field, "stated": m.stated, "expected": m.expected, "source": str(m.location)} for m in found]


def forced_text(found: tuple[IdentityMismatch, ...]) -> str:
    """One line naming the mismatches that ``--force`` let through."""
    return "已用 --force 忽略事实文件身份不符：" + "；".join(m.text() for m in found)
