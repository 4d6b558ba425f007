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
from engine.project_form import FormRow, ProjectForm
from engine.rules import KINDS, kind_of
from engine.rules.base import Model, RuleBase, checked_inferred

__all__ = [
    "Constraint",
    "FactEntry",
    "FactGroup",
    "FactSpec",
    "FactsDocument",
    "Grading",
    "Indicator",
    "Policy",
    "Rule",
    "TargetItem",
]

FactType = Literal["decimal", "integer", "boolean", "enum", "targets", "table"]


class SourceRef(Model):
    """A document the policy follows."""

    title: str = Field(description="文件标题")
    url: str | None = Field(default=None, description="网址")
    note: str | None = Field(default=None, description="说明（如 依据了哪些条款）")


class Labels(Model):
    """Words the form uses where forms differ: 评定系数 (Guangzhou, Sichuan) or 得分系数 (Chongqing)."""

    coefficient: str = Field(default="评定系数", description="评定规则中系数的叫法（如 得分系数）")
    tier: str = Field(default="评定等次", description="评定规则中等次的叫法（如 评价等级）")


class Meta(Model):
    """Identity of a policy (指标体系)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="指标体系的稳定 id（字母、数字、. _ -）")
    name: str = Field(description="指标体系名称")
    issuer: str = Field(description="发布机关")
    fiscal_year: int = Field(ge=1990, le=2100, description="适用年度")
    version: str = Field(description="版本（写在每份结果中）")
    sources: tuple[SourceRef, ...] = Field(default=(), description="依据的文件")
    note: str | None = Field(default=None, description="说明")
    report_title: str = Field(default="部门整体支出绩效自评", description="报告标题（如 项目支出绩效自评）")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    labels: Labels = Field(default_factory=Labels, exclude_if=lambda v: v == Labels(),
                           description="报告和扣分记录中随表而异的用语（评定系数 / 得分系数 …）")


class Rounding(Model):
    """Precision and mode (``half_up`` = 四舍五入, ``down`` = 截断)."""

    places: int = Field(ge=0, le=10, description="保留的小数位数")
    mode: RoundingMode = Field(
        description="舍入方式：half_up 四舍五入、down 截断、half_even、half_down、up、floor、ceiling")


class Display(Model):
    """How scores are printed: at least ``min_places``, at most ``max_places`` decimals."""

    min_places: int = Field(default=2, ge=0, le=10, description="显示得分时至少保留的小数位数")
    max_places: int = Field(default=3, ge=0, le=10, description="显示得分时至多保留的小数位数")


class ScoreRounding(Model):
    """Scores are rounded per scored indicator before they are summed."""

    score: Rounding = Field(description="每个计分指标的得分先按此舍入，再逐级相加")
    display: Display = Field(default=Display(), description="得分的显示位数")


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

    grade: str = Field(description="等级名称（如 优）")
    when: str = Field(description="总分区间（如 [90, 100]）")


class Grading(Model):
    """Optional grade mapping (优/良/中/差); off for 只评分，不评等级."""

    enabled: bool = Field(description="是否评等级（false：只评分，不评等级）")
    use_rounded_total: bool = Field(default=True, description="按舍入后的总分评等级（默认 true）")
    grades: tuple[Grade, ...] = Field(default=(), description="各等级及其总分区间，须覆盖 0 至满分")
    note: str | None = Field(default=None, description="说明（如 等级的依据）")


class FactSpec(Model):
    """A fact the policy reads: type, unit, allowed range, optional derivation.

    A ``table`` (表格事实) declares ``rows`` and ``columns``; every cell is a number with the table's
    unit, range and places, read in expressions and rules as ``表[行][列]``; a cell may be blank (空, "—").
    """

    type: FactType = Field(description="decimal 数值、integer 整数、boolean 布尔、enum 枚举、targets 目标清单、"
                                       "table 表格（写 rows 和 columns）")
    unit: str | None = Field(default=None, description="单位（%、万元、个 …）：事实文件必须写同样的单位")
    range: tuple[Decimal | None, Decimal | None] | None = Field(
        default=None,
        description="允许的取值范围 [下限, 上限]（闭区间，null 表示不设界）")
    values: tuple[str, ...] = Field(default=(), description="枚举事实的可选值")
    description: str = Field(default="", description="事实的中文说明（口径、出处）")
    required: bool = Field(default=True, description="事实文件是否必须填报（false：可不填，读到它的规则须不适用）")
    places: int | None = Field(default=None, ge=0, le=10, description="允许的小数位数上限")
    derive: str | None = Field(
        default=None,
        description="派生公式（白名单表达式，如 实际在用固定资产总额 / 所有固定资产总额 * 100）")
    rounding: Rounding | None = Field(default=None, description="派生值的舍入")
    on_division_by_zero: Decimal | None = Field(default=None, description="派生公式除数为 0 时取的值（不写则报错）")
    # at their defaults these keys stay out of the canonical policy, so existing digests do not change
    rows: tuple[str, ...] = Field(default=(), exclude_if=lambda v: not v,
                                  description="表格事实的行名（如 年度资金总额、本年财政拨款）")
    columns: tuple[str, ...] = Field(default=(), exclude_if=lambda v: not v,
                                     description="表格事实的列名（如 年初预算数、全年预算数、全年执行数）")

    inferred: dict[str, str] = Field(
        default_factory=dict, exclude_if=lambda v: not v,
        description="个别声明是推断时，按键名写推断依据，如 {rounding: 报告把 84.296…% 印成 84.29%，推断为截断}；"
                    "派生公式写 derive。报告在用到该事实的扣分项旁列出")

    @field_validator("inferred")
    @classmethod
    def _inferred_names_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_inferred(value, sorted(set(cls.model_fields) - {"description", "inferred"}), "事实声明的键")

    @model_validator(mode="after")
    def _table_shape(self) -> FactSpec:
        if self.type != "table":
            if self.rows or self.columns:
                raise ValueError("只有表格事实（type: table）才写 rows 和 columns")
            return self
        if not self.rows or not self.columns:
            raise ValueError("表格事实（type: table）必须写 rows 和 columns")
        if self.derive or self.values or self.rounding or self.on_division_by_zero is not None:
            raise ValueError("表格事实不能写 derive、values、rounding 或 on_division_by_zero")
        for what, names in (("行", self.rows), ("列", self.columns)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"表格事实的{what}名重复：{'、'.join(repeated)}")
        return self


class FactGroup(Model):
    """Facts declared alike, in one block: ``names`` share the rest (type, unit, range, places …)."""

    names: tuple[str, ...] = Field(min_length=1,
                                   description="这一组事实的名称；每个名称成为一项事实，其余键为它们共有的声明")
    type: Literal["decimal", "integer", "boolean", "enum"] = Field(
        default="decimal", description="这一组事实共同的类型：decimal、integer、boolean、enum")
    unit: str | None = Field(default=None, description="共同的单位（%、万元、个 …）")
    range: tuple[Decimal | None, Decimal | None] | None = Field(
        default=None, description="共同的取值范围 [下限, 上限]（闭区间，null 表示不设界）")
    values: tuple[str, ...] = Field(default=(), description="枚举事实共同的可选值")
    description: str = Field(default="", description="这一组事实共同的中文说明")
    required: bool = Field(default=True, description="事实文件是否必须填报这一组的每一项")
    places: int | None = Field(default=None, ge=0, le=10, description="允许的小数位数上限")

    def spec(self) -> FactSpec:
        """The declaration each name of the group gets."""
        return FactSpec(type=self.type, unit=self.unit, range=self.range, values=self.values,
                        description=self.description, required=self.required, places=self.places)


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

    id: str = Field(description="指标的稳定 id（如 A1.2）")
    name: str = Field(description="指标名称")
    max: Decimal | None = Field(default=None, ge=0, description="分值（满分）；加减分项可不写")
    rule: Rule | None = Field(default=None, description="叶子指标的评分规则")
    children: tuple[Indicator, ...] = Field(default=(), description="下级指标")
    weights_note: str | None = Field(
        default=None,
        description="下级指标分值之和不等于本指标分值的原因；写了才不报 policy.weights_sum，差额在各输出中列明")
    note: str | None = Field(default=None, description="说明")
    unseen: bool = Field(
        default=False, exclude_if=lambda v: not v,
        description="原表在此被截断、看不到这一指标：它的分值计入满分，得分未知（输出中写“未见”）；"
                    "不写 rule 和 children")
    core: bool = Field(
        default=False, exclude_if=lambda v: not v,
        description="核心指标（如重庆部门整体绩效自评表的“是否核心指标”）：得分表、JSON 和报告中标明")

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

    policy: Meta = Field(description="身份：id、名称、发布机关、年度、版本")
    rounding: ScoreRounding = Field(description="得分的舍入与显示")
    total: Total = Field(description="总分的满分与上限")
    grading: Grading = Field(default=Grading(enabled=False), description="等级（优/良/中/差），或只评分不评等级")
    facts: dict[str, FactSpec] = Field(description="读取的事实：名称 → 类型、单位、范围、派生公式")
    fact_groups: tuple[FactGroup, ...] = Field(
        default=(), exclude_if=lambda v: not v,
        description="成组声明的事实：names 中的每个名称得到同一份声明（type、unit、range、places…），"
                    "排在 facts 之前；名称不得与 facts 中的重复")
    constraints: tuple[Constraint, ...] = Field(default=(), description="每个事实文件必须满足的约束（或只报告的核对）")
    indicators: tuple[Indicator, ...] = Field(min_length=1, description="指标树")
    project_form: ProjectForm | None = Field(
        default=None,
        description="项目支出绩效自评表模板：一级/二级结构、分值和每类指标的计分规则，指标行由事实文件给出")


class TargetItem(Model):
    """One performance target (绩效目标) of a department."""

    name: str = Field(description="目标名称")
    target: Decimal = Field(description="指标值")
    actual: Decimal = Field(description="完成值")
    direction: Literal["higher", "lower"] = Field(description="higher 越高越好；lower 越低越好")
    unit: str | None = Field(default=None, description="单位")
    quote: str | None = Field(default=None, description="原文摘录")


class FactEntry(Model):
    """One fact in a fact file: value (exact), unit and where it comes from."""

    value: Any = Field(description="值（数字、是/否、枚举值或目标清单）")
    unit: str | None = Field(default=None, description="单位（与指标体系声明的一致）")
    quote: str | None = Field(default=None, description="原文摘录（报告中列出）")
    source: str | None = Field(default=None, description="出处（报告中哪一页、哪张表）")
    note: str | None = Field(default=None, description="备注")


class FactsDocument(Model):
    """A fact file: one department, one fiscal year."""

    department: str = Field(description="单位名称")
    fiscal_year: int | None = Field(default=None, description="年度（写了就与指标体系核对）")
    policy: str | None = Field(default=None, description="所用指标体系的 id（写了就核对）")
    policy_version: str | None = Field(
        default=None,
        description="所用指标体系的版本（写了就核对）")  # checked against the policy by engine.identity
    note: str | None = Field(default=None, description="说明")
    # pydantic copies a default for every instance (RUF012 cannot see that Model is pydantic)
    indicator_names: dict[str, str] = Field(default_factory=dict, description="本单位表中的指标名称：指标 id → 名称")
    facts: dict[str, FactEntry] = Field(
        default_factory=dict,
        description="各事实：名称 → 值（或 {value, unit, quote, source, note}）")
    rows: tuple[FormRow, ...] = Field(default=(), description="项目支出绩效自评表的指标行（模板指标体系用）")
    # the form's own scores; read by engine.claims
    claimed: dict[str, Decimal] | None = Field(
        default=None,
        description="表中自评的得分：指标 id 或名称 → 得分，total 为总分（jixiao review 复核）")

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
                                                 {"type": "null"}],
                                       "description": "叶子指标的评分规则（只写要改的键；kind 不变时可不写）"}
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
