"""pydantic models of the policy and fact documents (stage: validate).

Only the document boundary uses pydantic; later stages work on frozen dataclasses.
Numbers reach these models as ``Decimal`` already (``engine.source``), never as floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.decimals import RoundingMode

__all__ = [
    "AdjustmentRule",
    "Band",
    "BandsRule",
    "ChecklistItem",
    "ChecklistRule",
    "ComparisonCase",
    "ComparisonRule",
    "Constraint",
    "FactEntry",
    "FactSpec",
    "FactsDocument",
    "Grading",
    "Indicator",
    "JudgementRule",
    "PerCountRule",
    "PerPointRule",
    "Policy",
    "ProportionalRule",
    "Rule",
    "StepRule",
    "TargetItem",
    "TargetsRule",
]

Provenance = Literal["official", "inferred"]
FactType = Literal["decimal", "integer", "boolean", "enum", "targets"]


class Model(BaseModel):
    """Frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


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


class RuleBase(Model):
    """What every rule has: id, official wording (规则原文), provenance, applicability."""

    id: str
    wording: str
    provenance: Provenance
    note: str | None = None
    source: str | None = None
    applicable_if: str | None = None
    not_applicable: Literal["full_marks", "exclude"] = "full_marks"
    monotonic: Literal["increasing", "decreasing"] | None = None

    @model_validator(mode="after")
    def _inferred_needs_note(self) -> RuleBase:
        if self.provenance == "inferred" and not self.note:
            raise ValueError("provenance 为 inferred 的规则必须写 note，说明推断依据")
        return self


class ProportionalRule(RuleBase):
    """得分 = 分值 × 事实 ÷ full_at, capped at full marks."""

    kind: Literal["proportional"]
    fact: str
    full_at: Decimal = Field(default=Decimal(100), gt=0)
    unit: str | None = None


class PerPointRule(RuleBase):
    """每超过/低于 ``per`` 个单位扣 ``points`` 分 from ``threshold``, floor (扣完为止)."""

    kind: Literal["per_point"]
    fact: str
    threshold: Decimal
    direction: Literal["above", "below"]
    points: Decimal = Field(gt=0)
    per: Decimal = Field(default=Decimal(1), gt=0)
    counting: Literal["fractional", "whole", "partial"] = "fractional"
    floor: Decimal | None = Decimal(0)
    unit: str | None = None


class StepRule(PerPointRule):
    """每低于5%扣2分: a per-point rule whose step is declared with its counting."""

    kind: Literal["step"]  # type: ignore[assignment]
    per: Decimal = Field(gt=0)
    counting: Literal["whole", "partial"]  # type: ignore[assignment]


class PerCountRule(RuleBase):
    """每出现一例扣 ``points`` 分，扣完为止."""

    kind: Literal["per_count"]
    fact: str
    points: Decimal = Field(gt=0)
    floor: Decimal | None = Decimal(0)
    unit: str | None = None


class Band(Model):
    """One band (档次): an interval and the points it earns."""

    when: str
    points: Decimal
    label: str | None = None


class BandsRule(RuleBase):
    """Bands over one fact; exactly one band must contain the value."""

    kind: Literal["bands"]
    fact: str
    bands: tuple[Band, ...] = Field(min_length=1)
    unit: str | None = None


class ChecklistItem(Model):
    """One checklist item earned when its boolean fact is true."""

    id: str
    fact: str
    points: Decimal = Field(ge=0)
    wording: str


class ChecklistRule(RuleBase):
    """Additive checklist: ①…1分；②…1分."""

    kind: Literal["checklist"]
    items: tuple[ChecklistItem, ...] = Field(min_length=1)


class ComparisonCase(Model):
    """A case: a comparison of facts (and literals) and the points it earns."""

    when: str
    points: Decimal
    label: str | None = None


class ComparisonRule(RuleBase):
    """Cases over two (or more) facts; the first case that holds wins."""

    kind: Literal["comparison"]
    cases: tuple[ComparisonCase, ...] = Field(min_length=1)
    otherwise: Decimal | None = None


class Tier(Model):
    """A judgement tier and the coefficient range (%) an evaluator may choose in it."""

    name: str
    range: str


class JudgementRule(RuleBase):
    """得分 = 分值 × 评定系数; the coefficient is stated, checked against its tier, not recomputed."""

    kind: Literal["judgement"]
    coefficient: str
    tier: str | None = None
    tiers: tuple[Tier, ...] = ()


class AdjustmentRule(RuleBase):
    """加减分 outside the weighted tree, capped both ways."""

    kind: Literal["adjustment"]
    fact: str
    max_bonus: Decimal = Field(ge=0)
    max_penalty: Decimal = Field(ge=0)


class TargetsRule(RuleBase):
    """Per-department targets: 完成指标值得满分，未完成按完成值与指标值的比例计分."""

    kind: Literal["targets"]
    fact: str


Rule = Annotated[
    ProportionalRule | PerPointRule | StepRule | PerCountRule | BandsRule | ChecklistRule
    | ComparisonRule | JudgementRule | AdjustmentRule | TargetsRule,
    Field(discriminator="kind"),
]


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
        if self.max is None and not isinstance(self.rule, AdjustmentRule):
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
    indicator_names: dict[str, str] = {}
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
