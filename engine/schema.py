"""pydantic models of the policy and fact documents (stage: validate).

Only the document boundary uses pydantic; later stages work on frozen dataclasses.
Numbers reach these models as ``Decimal`` already (``engine.source``), never as floats.
Each rule kind's model lives in its module (``engine.rules``); :data:`Rule` is their union.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from engine.decimals import RoundingMode
from engine.errors import did_you_mean
from engine.project_form import FormRow, ProjectForm
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


class Labels(Model):
    """Words the form uses where forms differ: 评定系数 (Guangzhou, Sichuan) or 得分系数 (Chongqing)."""

    coefficient: str = Field(default="评定系数", description="评定规则中系数的叫法（如 得分系数）")
    tier: str = Field(default="评定等次", description="评定规则中等次的叫法（如 评价等级）")


class Meta(Model):
    """Identity of a policy (指标体系)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str
    issuer: str
    fiscal_year: int = Field(ge=1990, le=2100)
    version: str
    sources: tuple[SourceRef, ...] = ()
    note: str | None = None
    report_title: str = Field(default="部门整体支出绩效自评", description="报告标题（如 项目支出绩效自评）")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    labels: Labels = Field(default_factory=Labels, exclude_if=lambda v: v == Labels(),
                           description="报告和扣分记录中随表而异的用语（评定系数 / 得分系数 …）")


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

    max: Decimal = Field(description="总分满分；一级指标分值（加减分项除外）之和必须等于它，"
                                     "否则写 weights_note 说明原因")
    cap: Decimal | None = Field(default=None, description="加分后总分的上限")
    weights_note: str | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="一级指标分值之和不等于 max 的原因（如原表只公开了一部分指标）；写了才不报 policy.total")


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
    # at the default the key stays out of the canonical policy, so existing digests do not change
    inferred: dict[str, str] = Field(
        default_factory=dict, exclude_if=lambda v: not v,
        description="个别声明是推断时，按键名写推断依据，如 {rounding: 报告把 84.296…% 印成 84.29%，推断为截断}；"
                    "派生公式写 derive。报告在用到该事实的扣分项旁列出")

    @field_validator("inferred")
    @classmethod
    def _inferred_names_keys(cls, value: dict[str, str]) -> dict[str, str]:
        keys = sorted(set(cls.model_fields) - {"description", "inferred"})
        for name, note in value.items():
            if name not in keys:
                raise ValueError(f"inferred 的键「{name}」不是事实声明的键{did_you_mean(name, keys)}"
                                 f"（可写：{'、'.join(keys)}）")
            if not note.strip():
                raise ValueError(f"inferred 中「{name}」的推断依据不能为空")
        return value


Severity = Literal["error", "warning"]


class Constraint(Model):
    """A condition every fact file must meet (e.g. 已实现目标数 ≤ 申报目标数).

    ``severity: warning`` makes a broken constraint a finding: reported beside the score instead
    of refusing the file (``--strict`` turns findings back into errors).
    """

    when: str = Field(description="必须成立的比较，如 `已实现绩效目标数 <= 申报绩效目标数`")
    message: str = Field(description="不成立时给出的中文说明")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    severity: Severity = Field(
        default="error", exclude_if=lambda v: v == "error",
        description="error（默认）：不成立则拒绝事实文件；warning：作为发现（finding）与得分一并报告，不阻止评分")


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
    weights_note: str | None = Field(
        default=None,
        description="下级指标分值之和不等于本指标分值的原因；写了才不报 policy.weights_sum，差额在各输出中列明")
    note: str | None = None
    unseen: bool = Field(
        default=False, exclude_if=lambda v: not v,
        description="原表在此被截断、看不到这一指标：它的分值计入满分，得分未知（输出中写“未见”）；"
                    "不写 rule 和 children")

    @model_validator(mode="after")
    def _leaf_or_inner(self) -> Indicator:
        if self.unseen:
            if self.rule is not None or self.children or self.max is None:
                raise ValueError("未见（unseen）指标只写 id、name、max，不写 rule 和 children")
            return self
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
    project_form: ProjectForm | None = None


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
    # pydantic copies a default for every instance (RUF012 cannot see that Model is pydantic)
    indicator_names: dict[str, str] = {}  # noqa: RUF012
    facts: dict[str, FactEntry] = {}  # noqa: RUF012
    rows: tuple[FormRow, ...] = ()
    claimed: dict[str, Decimal] | None = None  # the form's own scores; read by engine.claims

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        facts = data.get("facts") if isinstance(data, dict) else None
        if isinstance(facts, dict):
            data = {**data, "facts": {k: v if isinstance(v, dict) else {"value": v} for k, v in facts.items()}}
        return data


def json_schema(kind: Literal["policy", "facts", "extends"]) -> str:
    """The JSON Schema of a policy, a fact file or a policy that ``extends`` a parent (for editors).

    >>> '"title": "jixiao 指标体系"' in json_schema("policy")
    True
    """
    import json

    if kind == "extends":
        schema = _extends_schema()
        schema["title"] = "jixiao 继承的指标体系（extends）"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    model = Policy if kind == "policy" else FactsDocument
    schema = model.model_json_schema()
    schema["title"] = "jixiao 指标体系" if kind == "policy" else "jixiao 事实文件"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _extends_schema() -> dict[str, Any]:
    """The policy schema made partial, in the shape ``engine.extend`` merges.

    Every key optional (a child states only what changes), indicators and facts as mappings by id /
    name (``null`` removes), ``parent``/``after`` on an indicator, constraints appended. Rules match
    any kind (``kind`` may be left out when it does not change), so an editor reports no false errors.
    """
    schema = Policy.model_json_schema()
    defs: dict[str, Any] = schema["$defs"]
    for definition in defs.values():
        definition.pop("required", None)
    indicator = defs["Indicator"]
    indicator["properties"]["rule"] = {"anyOf": [*({"$ref": f"#/$defs/{kind.model.__name__}"} for kind in KINDS),
                                                 {"type": "null"}]}
    change = {**indicator, "properties": {
        **indicator["properties"],
        "parent": {"anyOf": [{"type": "string"}, {"type": "null"}],
                   "description": "新指标或移动：上级指标 id（顶层写 null）"},
        "after": {"type": "string", "description": "新指标或移动：排在这个同级指标之后（默认最后）"}}}
    change["title"] = "IndicatorChange"
    defs["IndicatorChange"] = change
    def nullable(name: str) -> dict[str, Any]:
        return {"anyOf": [{"$ref": f"#/$defs/{name}"}, {"type": "null"}]}

    return {
        "$defs": defs,
        "type": "object",
        "additionalProperties": False,
        "required": ["extends"],
        "properties": {
            "extends": {"type": "string", "description": "父指标体系的文件名（相对本文件所在目录）"},
            "policy": {"$ref": "#/$defs/Meta", "description": "逐键覆盖父文件的 policy"},
            "rounding": {"$ref": "#/$defs/ScoreRounding", "description": "逐键覆盖"},
            "total": {"$ref": "#/$defs/Total", "description": "逐键覆盖"},
            "grading": {"$ref": "#/$defs/Grading", "description": "逐键覆盖"},
            "facts": {"type": "object", "additionalProperties": nullable("FactSpec"),
                      "description": "按事实名：新名字新增，已有的逐键覆盖，null 删除"},
            "constraints": {"type": "array", "items": {"$ref": "#/$defs/Constraint"},
                            "description": "追加在父文件的约束之后"},
            "indicators": {"type": "object", "additionalProperties": nullable("IndicatorChange"),
                           "description": "按指标 id：已有 id 逐键覆盖，新 id 写 parent，null 删除（连同下级）"},
        },
    }
