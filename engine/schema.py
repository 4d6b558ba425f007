"""pydantic models of the policy and fact documents (stage: validate).

Only the document boundary uses pydantic; later stages work on frozen dataclasses.
Numbers reach these models as ``Decimal`` already (``engine.source``), never as floats.
Each rule kind's model lives in its module (``engine.rules``); :data:`Rule` is their union.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Field, model_validator

from engine.decimals import RoundingMode
from engine.rules import KINDS, kind_of
from engine.rules.base import Model, RuleBase

__all__ = [
    "Constraint",
    "FactEntry",
    "FactSpec",
    "FactsDocument",
    "Grading",
    "Indicator",
    "Policy",
    "Rule",
    "TargetItem",
]

FactType = Literal["decimal", "integer", "boolean", "enum", "targets"]


class SourceRef(Model):
    """A document the policy follows."""

    title: str
    url: str | None = None
    note: str | None = None


class Meta(Model):
    """Identity of a policy (指标体系)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str
    issuer: str
    fiscal_year: int = Field(ge=1990, le=2100)
    version: str
    sources: tuple[SourceRef, ...] = ()
    note: str | None = None


class Rounding(Model):
    """Precision and mode (``half_up`` = 四舍五入, ``down`` = 截断)."""

    places: int = Field(ge=0, le=10)
    mode: RoundingMode


class Display(Model):
    """How scores are printed: at least ``min_places``, at most ``max_places`` decimals."""

    min_places: int = Field(default=2, ge=0, le=10)
    max_places: int = Field(default=3, ge=0, le=10)


class ScoreRounding(Model):
    """Scores are rounded per scored indicator before they are summed."""

    score: Rounding
    display: Display = Display()


class Total(Model):
    """The total: its declared maximum and whether bonus points may lift it above a cap."""

    max: Decimal
    cap: Decimal | None = None


class Grade(Model):
    """One grade band over the total."""

    grade: str
    when: str


class Grading(Model):
    """Optional grade mapping (优/良/中/差); off for 只评分，不评等级."""

    enabled: bool
    use_rounded_total: bool = True
    grades: tuple[Grade, ...] = ()
    note: str | None = None


class FactSpec(Model):
    """A fact the policy reads: type, unit, allowed range, optional derivation."""

    type: FactType
    unit: str | None = None
    range: tuple[Decimal | None, Decimal | None] | None = None
    values: tuple[str, ...] = ()
    description: str = ""
    required: bool = True
    places: int | None = Field(default=None, ge=0, le=10)
    derive: str | None = None
    rounding: Rounding | None = None
    on_division_by_zero: Decimal | None = None


class Constraint(Model):
    """A condition every fact file must meet (e.g. 已实现目标数 ≤ 申报目标数)."""

    when: str
    message: str


if TYPE_CHECKING:
    Rule = RuleBase
else:  # the discriminated union of every registered kind's model, in registry order
    Rule = Annotated[Union[tuple(kind.model for kind in KINDS)], Field(discriminator="kind")]  # noqa: UP007


class Indicator(Model):
    """A node of the indicator tree; a leaf carries a rule, an inner node children."""

    id: str
    name: str
    max: Decimal | None = Field(default=None, ge=0)
    rule: Rule | None = None
    children: tuple[Indicator, ...] = ()
    weights_note: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _leaf_or_inner(self) -> Indicator:
        if (self.rule is None) == (not self.children):
            raise ValueError("指标必须二选一：叶子指标写 rule，上级指标写 children")
        if self.max is None and not (self.rule is not None and kind_of(self.rule).adjusts_total):
            raise ValueError("除加减分项外，每个指标都必须声明分值 max")
        return self


class Policy(Model):
    """A policy document (指标体系) for one issuer and fiscal year."""

    policy: Meta
    rounding: ScoreRounding
    total: Total
    grading: Grading = Grading(enabled=False)
    facts: dict[str, FactSpec]
    constraints: tuple[Constraint, ...] = ()
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class TargetItem(Model):
    """One performance target (绩效目标) of a department."""

    name: str
    target: Decimal
    actual: Decimal
    direction: Literal["higher", "lower"]
    unit: str | None = None
    quote: str | None = None


class FactEntry(Model):
    """One fact in a fact file: value (exact), unit and where it comes from."""

    value: Any
    unit: str | None = None
    quote: str | None = None
    source: str | None = None
    note: str | None = None


class FactsDocument(Model):
    """A fact file: one department, one fiscal year."""

    department: str
    fiscal_year: int | None = None
    policy: str | None = None
    policy_version: str | None = None  # checked against the policy by engine.identity
    note: str | None = None
    indicator_names: dict[str, str] = {}  # noqa: RUF012 - pydantic copies a default for every instance
    facts: dict[str, FactEntry]
    claimed: dict[str, Decimal] | None = None  # the form's own scores; read by engine.claims

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        facts = data.get("facts") if isinstance(data, dict) else None
        if isinstance(facts, dict):
            data = {**data, "facts": {k: v if isinstance(v, dict) else {"value": v} for k, v in facts.items()}}
        return data


def json_schema(kind: Literal["policy", "facts"]) -> str:
    """The JSON Schema of a policy or fact file, generated from these models (for editors).

    >>> '"title": "jixiao 指标体系"' in json_schema("policy")
    True
    """
    import json

    model = Policy if kind == "policy" else FactsDocument
    schema = model.model_json_schema()
    schema["title"] = "jixiao 指标体系" if kind == "policy" else "jixiao 事实文件"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
