"""Project-form templates (财预〔2020〕10号 项目支出绩效自评表): template + a project's rows → an ordinary policy.

A policy with a ``project_form`` block is a template: it declares the 一级/二级 structure, the weights
and one scoring rule per indicator *type*; each project's fact file brings its ``rows`` (name, 二级
category, weight, 年度指标值, 实际完成值). :func:`expand` turns the template and one fact document into an
ordinary policy document (one indicator per row, under its 一级 and 二级) whose rules are existing kinds
— ``proportional`` for 预算执行率, ``targets`` for quantitative rows, ``judgement`` (the evaluator's
points) for qualitative rows — and the fact document with one fact per row, so the firing engine still
decides every branch. Row problems (a target that is not a number with a direction and unit, a unit
that differs from the actual's, weights that do not add up to their 一级 category) are located at the
row in the fact file. Stage: between load and validate; pure, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pydantic
from pydantic import Field

from engine import decimals
from engine.errors import ErrorCode, PolicyErrors, Problem, SourceLocation, did_you_mean
from engine.json_values import DocValue
from engine.rules.base import Model
from engine.schema_errors import model_field_names, pydantic_problems
from engine.source import Path, SourceDoc, field_path, value_paths
from engine.trace import Finding

__all__ = ["Checks", "FormRow", "ProjectForm", "Target", "expand", "expand_rows", "is_template", "parse_target"]

NOT_APPLICABLE = "/"
# full-width signs and digits as forms write them, read on purpose (RUF001 flags each)
OPERATORS = {"≥": "higher", ">=": "higher", "≧": "higher", "≤": "lower", "<=": "lower", "≦": "lower",
             "=": "equal", "＝": "equal"}  # noqa: RUF001
_NUMBER = re.compile(r"^\s*(?P<op>≥|>=|≧|≤|<=|≦|=|＝)?\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[^\s0-9].*?)?\s*$")  # noqa: RUF001
_LOOKS_NUMERIC = re.compile(r"^\s*[0-9０-９≥≤≧≦=＝<>＞＜]")  # noqa: RUF001


class Provenanced(Model):
    """Official wording (规则原文) and its provenance."""

    wording: str = Field(description="规则原文")
    provenance: Literal["official", "inferred"] = Field(description="official：官方原文；inferred：推断（必须写 note）")
    note: str | None = Field(default=None, description="说明；推断时写推断依据")
    # parameters of the generated rule that are inferred (RuleBase.inferred), checked by the rule's model
    inferred: dict[str, str] = Field(
        default_factory=dict, exclude_if=lambda v: not v,
        description="生成的规则中个别参数为推断时：参数名 → 推断依据")

    def provenance_keys(self) -> dict[str, Any]:
        """The generated rule's wording, provenance and, those given, note and inferred parameters."""
        return {"wording": self.wording, "provenance": self.provenance, **({"note": self.note} if self.note else {}),
                **({"inferred": dict(self.inferred)} if self.inferred else {})}


class Execution(Provenanced):
    """预算执行率: 全年执行数 ÷ the declared budget base × 100 %, × the weight, capped at full marks."""

    id: str = Field(description="预算执行率指标的 id")
    name: str = Field(default="预算执行率", description="指标名称（默认 预算执行率）")
    weight: Decimal = Field(gt=0, description="分值（10号文为 10）")
    budget_base: str = Field(default="全年预算数", description="预算基数事实（默认 全年预算数）")
    executed: str = Field(default="全年执行数", description="执行数事实（默认 全年执行数）")


class Subcategory(Model):
    """A 二级 indicator (数量指标 …): rows name it by ``name`` or ``id``; an optional fixed weight."""

    id: str = Field(description="二级指标 id")
    name: str = Field(description="二级指标名称（指标行按名称或 id 归类）")
    weight: Decimal | None = Field(default=None, gt=0, description="二级指标的固定分值（可不写）")


class Category(Model):
    """A 一级 indicator (产出指标 50 …) and its 二级 indicators."""

    id: str = Field(description="一级指标 id")
    name: str = Field(description="一级指标名称")
    weight: Decimal = Field(gt=0, description="一级指标分值：其下各行分值之和必须等于它")
    subcategories: tuple[Subcategory, ...] = Field(min_length=1, description="二级指标")


class Tier(Model):
    """A qualitative tier and its range in % of the row's weight (the evaluator picks the points inside)."""

    name: str = Field(description="等次名称")
    range: str = Field(description="该等次的得分区间（分值的 %，如 [80, 100]）")


class Qualitative(Provenanced):
    """Qualitative rows: the evaluator's points, within the stated tier's range."""

    tiers: tuple[Tier, ...] = Field(min_length=1, description="定性指标的等次及其得分区间")


Severity = Literal["error", "warning"]


class Checks(Model):
    """How each row check reports: ``error`` (default) refuses the fact file, ``warning`` is a finding.

    A finding is reported beside the score (``--strict`` turns it back into an error); the row is
    scored as the form prints it: weights that do not add up count as the rows carry them, a unit that
    differs is compared as a number, an unparseable target with the evaluator's ``score`` is scored
    by that score.
    """

    row_weights: Severity = Field(default="error", description="指标行分值之和不等于一级（或二级）指标分值时："
                                                               "error 拒绝；warning 报告发现，按各行分值计分")
    row_unit: Severity = Field(default="error", description="实际完成值单位与年度指标值单位不同时：error 拒绝；"
                                                            "warning 报告发现，按数值比较")
    target: Severity = Field(default="error", description="定量年度指标值无法解析时：error 拒绝；warning 报告发现，"
                                                          "该行写了评价人得分 score 时按 score 计分")


class ProjectForm(Model):
    """A project-form template: titles, 预算执行率, the 一级/二级 structure and the rule per row type."""

    title: str = Field(default="项目支出绩效自评", description="报告标题（默认 项目支出绩效自评）")
    execution: Execution = Field(description="预算执行率：执行数 ÷ 预算基数 × 分值，封顶")
    categories: tuple[Category, ...] = Field(min_length=1, description="一级指标（产出、效益、满意度）及其二级指标")
    quantitative: Provenanced = Field(description="定量指标行的计分规则（原文与出处）")
    qualitative: Qualitative = Field(description="定性指标行的计分规则：评价人在等次区间内给分")
    # at the default the key stays out of the canonical policy, so existing digests do not change
    checks: Checks = Field(default_factory=Checks, exclude_if=lambda v: v == Checks(),
                           description="各项指标行核对的严重程度（error 或 warning）")


class FormRow(Model):
    """One indicator row of a project's form, as printed: 二级 category, name, 分值, 年度指标值, 实际完成值."""

    category: str = Field(description="二级指标（名称或 id）")
    name: str = Field(description="三级指标名称")
    weight: Decimal | Literal["/"] = Field(description="分值；“/” 表示不适用")
    target: str | Decimal | None = Field(default=None,
                                        description="年度指标值（≥50个、≤90万元、=8个、100%，或定性文字；未见的行不写）")
    actual: str | Decimal | None = Field(default=None, description="实际完成值（定量行必填）")
    score: Decimal | Literal["/"] | None = Field(
        default=None,
        description="表中所印的得分（定性行必填，为评价人给出的得分；“/” 表示不适用）")
    tier: str | None = Field(default=None, description="定性行的评定等次")
    reason: str | None = Field(default=None, description="偏差原因")
    id: str | None = Field(default=None, description="指标行 id（不写则按顺序生成，如 2.1.1）")
    quote: str | None = Field(default=None, description="原文摘录")
    # the form is cut off here: the row's (or the rest of its category's) weight is known, its score is not
    unseen: bool = Field(default=False, description="原表在此截断：分值计入满分，得分未知")


ROW_FIELDS = model_field_names([FormRow])


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed 年度指标值: direction (``higher``/``lower``/``equal``), value and unit ("" for none)."""

    direction: str
    value: Decimal
    unit: str


def parse_target(text: str | Decimal) -> Target | None:
    """A quantitative 年度指标值 such as ``≥50个``; a bare number is higher-is-better; ``None`` if not one.

    >>> parse_target("≥50个"), parse_target("≤90万元").direction, parse_target("=8个").direction
    (Target(direction='higher', value=Decimal('50'), unit='个'), 'lower', 'equal')
    >>> parse_target("100%").unit, parse_target(Decimal("43.2")).value, parse_target("效果明显")
    ('%', Decimal('43.2'), None)
    """
    if isinstance(text, Decimal):
        return Target("higher", text, "")
    found = _NUMBER.match(text)
    if found is None:
        return None
    direction = OPERATORS[found["op"]] if found["op"] else "higher"
    return Target(direction, Decimal(found["num"]), (found["unit"] or "").strip())


def is_quantitative(text: str | Decimal) -> bool:
    """Whether a 年度指标值 claims to be a number (digits or a comparison sign); qualitative text has neither.

    >>> is_quantitative("≥50个"), is_quantitative("≥五十个"), is_quantitative("效果明显"), is_quantitative("完成率100%")
    (True, True, False, False)
    """
    return isinstance(text, Decimal) or bool(_LOOKS_NUMERIC.search(text))


def is_template(doc: SourceDoc) -> bool:
    """Whether a policy document is a project-form template."""
    return isinstance(doc.value, dict) and isinstance(doc.value.get("project_form"), dict)


def expand(template: SourceDoc, facts: SourceDoc | None) -> tuple[SourceDoc, SourceDoc | None]:
    """The template as an ordinary policy document (and the fact document with one fact per row).

    With ``facts`` ``None`` only the fixed part (预算执行率) is generated, so a template checks alone.
    A template whose ``project_form`` is malformed is returned unchanged: validation reports it.

    Raises:
        PolicyErrors: row problems, located in the fact file.
    """
    policy, project, _ = expand_rows(template, facts)
    return policy, project


def expand_rows(template: SourceDoc, facts: SourceDoc | None
                ) -> tuple[SourceDoc, SourceDoc | None, tuple[Finding, ...]]:
    """:func:`expand`, and the row checks the template declares ``warning`` that failed (findings).

    Raises:
        PolicyErrors: row problems, located in the fact file.
    """
    try:
        form = ProjectForm.model_validate(_mapping(template.value)["project_form"])
    except Exception:
        return template, facts, ()
    builder = _Builder(template, form)
    builder.execution()
    if facts is not None:
        rows = facts.value.get("rows", []) if isinstance(facts.value, dict) else []
        if isinstance(rows, list):
            builder.rows(facts, rows)
        else:
            builder.fail(facts, ErrorCode.FACTS_SCHEMA, ("rows",), "rows 应为指标行的列表（每行一个映射）")
    if builder.problems:
        raise PolicyErrors(builder.problems)
    return builder.policy_doc(), builder.facts_doc(facts) if facts is not None else None, tuple(builder.findings)


class _Builder:
    """Collects the generated indicators, facts and positions, and the row problems."""

    def __init__(self, template: SourceDoc, form: ProjectForm) -> None:
        self.template, self.form = template, form
        self.indicators: list[dict[str, Any]] = []
        self.facts: dict[str, Any] = {}
        self.values: dict[str, Any] = {}
        self.fact_where: dict[Path, SourceLocation] = {}
        self.problems: list[Problem] = []
        self.findings: list[Finding] = []

    # -- 预算执行率 ----------------------------------------------------------------------------
    def execution(self) -> None:
        ex = self.form.execution
        rate = f"{ex.name}"
        self.facts[rate] = {
            "type": "decimal", "unit": "%", "range": [0, None], "places": 2,
            "derive": f"{ex.executed} / {ex.budget_base} * 100",
            "rounding": {"places": 2, "mode": "half_up"},
            "description": f"{ex.executed} ÷ {ex.budget_base} × 100%（预算基数按指标体系声明：{ex.budget_base}）",
        }
        self.indicators.append({"id": ex.id, "name": ex.name, "max": ex.weight, "rule": {
            "id": f"{ex.id}.r1", "kind": "proportional", "fact": rate, **ex.provenance_keys()}})
        self.indicators[-1]["__at"] = self.template.locate(("project_form", "execution"))

    # -- rows --------------------------------------------------------------------------------
    def rows(self, doc: SourceDoc, rows: list[Any]) -> None:
        subs = {s.name: (c, s) for c in self.form.categories for s in c.subcategories}
        subs |= {s.id: (c, s) for c in self.form.categories for s in c.subcategories}
        placed: dict[str, list[tuple[int, FormRow]]] = {}
        parsed = [self.row(doc, i, raw) for i, raw in enumerate(rows)]
        if self.problems:
            return
        for i, row in enumerate(parsed):
            assert row is not None
            found = subs.get(row.category)
            if found is None:
                self.fail(doc, ErrorCode.FACTS_ROW_CATEGORY, ("rows", i, "category"),
                          f"指标行「{row.name}」的二级指标「{row.category}」不在指标体系中"
                          f"{did_you_mean(row.category, sorted(subs))}")
                continue
            placed.setdefault(found[1].id, []).append((i, row))
        for c_index, category in enumerate(self.form.categories):
            self.category(doc, c_index, category, placed)

    def row(self, doc: SourceDoc, i: int, raw: Any) -> FormRow | None:
        try:
            return FormRow.model_validate(raw)
        except pydantic.ValidationError as err:
            self.problems += pydantic_problems(err, doc, ErrorCode.FACTS_SCHEMA, ROW_FIELDS, ("rows", i))
            return None

    def category(self, doc: SourceDoc, c_index: int, category: Category,
                 placed: dict[str, list[tuple[int, FormRow]]]) -> None:
        children, scored, excluded = [], [], []
        for sub in category.subcategories:
            rows = placed.get(sub.id, [])
            built = (self.leaf(doc, sub, i, row, k) for k, (i, row) in enumerate(rows, start=1))
            leaves = [leaf for leaf in built if leaf is not None]
            excluded += [row.name for _, row in rows if row.weight == NOT_APPLICABLE]
            scored += [(i, row) for i, row in rows if row.weight != NOT_APPLICABLE]
            if leaves:
                total = sum((leaf["max"] for leaf in leaves), Decimal(0))
                children.append({"id": sub.id, "name": sub.name, "max": total, "children": leaves,
                                 "__at": leaves[0]["__at"]})
                if sub.weight is not None and total != sub.weight:
                    self.weights(doc, rows, f"二级指标「{sub.name}」", sub.weight, total)
        total = sum((row.weight for _, row in scored if isinstance(row.weight, Decimal)), Decimal(0))
        weight = category.weight
        if total != category.weight:
            self.weights(doc, scored, f"一级指标「{category.name}」", category.weight, total)
            weight = total  # a warning: the category counts what its rows carry, as the form scores them
        if not children:
            return
        node: dict[str, Any] = {"id": category.id, "name": category.name, "max": weight,
                                "children": children}
        if excluded:
            node["weights_note"] = f"{'、'.join(excluded)}不适用（表中为“/”），不计分值，其余指标分值之和仍为 " \
                                   f"{decimals.fmt(category.weight)}"
        node["__at"] = self.template.locate(("project_form", "categories", c_index))
        self.indicators.append(node)

    def weights(self, doc: SourceDoc, rows: list[tuple[int, FormRow]], what: str, want: Decimal,
                got: Decimal) -> None:
        listed = "、".join(f"「{row.name}」{decimals.fmt(row.weight)}" for _, row in rows
                          if isinstance(row.weight, Decimal)) or "没有计分的指标行"
        path: Path = ("rows", rows[0][0], "weight") if rows else ("rows",)
        message = f"{what}的分值为 {decimals.fmt(want)}，其下各指标行分值之和为 {decimals.fmt(got)}：{listed}"
        warned = "；按各行分值计分" if self.form.checks.row_weights == "warning" else ""
        self.report(doc, ErrorCode.FACTS_ROW_WEIGHTS, path, message + warned, self.form.checks.row_weights)

    def leaf(self, doc: SourceDoc, sub: Subcategory, i: int, row: FormRow, k: int) -> dict[str, Any] | None:
        if row.weight == NOT_APPLICABLE:
            if row.unseen:
                self.fail(doc, ErrorCode.FACTS_SCHEMA, ("rows", i, "weight"),
                          f"未见（unseen）的指标行「{row.name}」须写分值：它的分值计入满分，得分未知")
            return None
        node_id = row.id or f"{sub.id}.{k}"
        if row.unseen:  # cut off in the source: its max counts, its score is unknown (Indicator.unseen)
            return {"id": node_id, "name": row.name, "max": row.weight, "unseen": True, "__at": doc.locate(("rows", i))}
        if row.target is None:
            self.fail(doc, ErrorCode.FACTS_MISSING, ("rows", i), f"指标行「{row.name}」缺少年度指标值 target")
            return None
        fact = f"行{node_id}"
        note = f"偏差原因：{row.reason}" if row.reason else None
        if is_quantitative(row.target) and not self.unparsed_by_score(doc, i, row):
            rule = self.quantitative(doc, i, row, node_id, fact)
        else:
            rule = self.qualitative(doc, i, row, node_id, fact)
        if rule is None:
            return None
        return {"id": node_id, "name": row.name, "max": row.weight, "rule": rule, "__at": doc.locate(("rows", i)),
                **({"note": note} if note else {})}

    def unparsed_by_score(self, doc: SourceDoc, i: int, row: FormRow) -> bool:
        """An unparseable target the template accepts (``checks.target: warning``), scored by the row's score."""
        if row.target is None or parse_target(row.target) is not None or self.form.checks.target != "warning" \
                or not isinstance(row.score, Decimal):
            return False
        self.report(doc, ErrorCode.FACTS_TARGET, ("rows", i, "target"),
                    f"{_unparsed(row)}；按评价人给出的得分 {decimals.fmt(row.score)} 计分", "warning")
        return True

    def quantitative(self, doc: SourceDoc, i: int, row: FormRow, node_id: str, fact: str) -> dict[str, Any] | None:
        assert row.target is not None  # checked by leaf
        target = parse_target(row.target)
        if target is None:
            self.fail(doc, ErrorCode.FACTS_TARGET, ("rows", i, "target"), _unparsed(row))
            return None
        if row.actual is None:
            self.fail(doc, ErrorCode.FACTS_MISSING, ("rows", i), f"定量指标行「{row.name}」缺少实际完成值 actual")
            return None
        actual = parse_target(row.actual)
        if actual is None or actual.direction != "higher" or (isinstance(row.actual, str) and
                                                                row.actual.strip()[:1] in OPERATORS):
            self.fail(doc, ErrorCode.FACTS_TARGET, ("rows", i, "actual"),
                      f"指标行「{row.name}」的实际完成值「{row.actual}」应为数字（可带单位，如“45个”“100%”）")
            return None
        if actual.unit and target.unit and actual.unit != target.unit:
            message = f"指标行「{row.name}」的实际完成值单位「{actual.unit}」与年度指标值单位「{target.unit}」不同"
            if self.form.checks.row_unit == "error":
                self.fail(doc, ErrorCode.FACTS_ROW_UNIT, ("rows", i, "actual"), message)
                return None
            self.report(doc, ErrorCode.FACTS_ROW_UNIT, ("rows", i, "actual"), f"{message}；按数值比较", "warning")
        direction = target.direction
        if direction == "equal":  # below the value: higher is better; above it: lower is better
            direction = "higher" if actual.value <= target.value else "lower"
        unit = target.unit or actual.unit
        self.values[fact] = {"value": [{"name": row.name, "target": target.value, "actual": actual.value,
                                        "direction": direction, **({"unit": unit} if unit else {})}]}
        self.fact_where[("facts", fact)] = doc.locate(("rows", i))
        self.fact_where[("facts", fact, "value", 0, "actual")] = doc.locate(("rows", i, "actual"))
        self.fact_where[("facts", fact, "value", 0, "target")] = doc.locate(("rows", i, "target"))
        self.facts[fact] = {"type": "targets", "description": f"指标行「{row.name}」：年度指标值与实际完成值"}
        scoring = self.form.quantitative
        return {"id": f"{node_id}.r1", "kind": "targets", "fact": fact, **scoring.provenance_keys()}

    def qualitative(self, doc: SourceDoc, i: int, row: FormRow, node_id: str, fact: str) -> dict[str, Any] | None:
        if not isinstance(row.score, Decimal):
            self.fail(doc, ErrorCode.FACTS_MISSING, ("rows", i),
                      f"定性指标行「{row.name}」（年度指标值「{row.target}」）缺少评价人给出的得分 score")
            return None
        points = f"{fact}_得分"
        assert isinstance(row.weight, Decimal)
        self.facts[points] = {"type": "decimal", "unit": "分", "range": [0, row.weight],
                              "description": f"定性指标行「{row.name}」：评价人给出的得分"}
        self.values[points] = {"value": row.score, "unit": "分"}
        self.fact_where[("facts", points)] = doc.locate(("rows", i))
        self.fact_where[("facts", points, "value")] = doc.locate(("rows", i, "score"))
        scoring = self.form.qualitative
        rule: dict[str, Any] = {"id": f"{node_id}.r1", "kind": "judgement", "points": points,
                                **scoring.provenance_keys()}
        if row.tier is not None:
            tier = f"{fact}_等次"
            self.facts[tier] = {"type": "enum", "values": [t.name for t in scoring.tiers],
                                "description": f"定性指标行「{row.name}」：评定等次"}
            self.values[tier] = {"value": row.tier}
            self.fact_where[("facts", tier)] = doc.locate(("rows", i))
            self.fact_where[("facts", tier, "value")] = doc.locate(("rows", i, "tier"))
            rule |= {"tier": tier, "tiers": [{"name": t.name, "range": t.range} for t in scoring.tiers]}
        return rule

    def fail(self, doc: SourceDoc, code: ErrorCode, path: Path, message: str) -> None:
        self.problems.append(Problem(code, message, doc.locate(path), field_path(path)))

    def report(self, doc: SourceDoc, code: ErrorCode, path: Path, message: str, severity: Severity) -> None:
        """A problem, or a finding beside the score when the template declares the check ``warning``."""
        if severity == "error":
            self.fail(doc, code, path, message)
            return
        checks = ("project_form", "checks")
        where = self.template.locate(checks) if checks in self.template.positions else None
        self.findings.append(Finding(str(code), message, doc.locate(path), field_path(path), where))

    # -- the documents -------------------------------------------------------------------------
    def policy_doc(self) -> SourceDoc:
        value = _mapping(self.template.value)
        if isinstance(value.get("policy"), dict):  # the form's title is the report's, unless the policy says
            value["policy"] = {"report_title": self.form.title, **value["policy"]}
        value["facts"] = {**(value.get("facts") or {}), **self.facts}
        start = len(value.get("indicators") or [])
        positions = dict(self.template.positions)
        generated = [_located(node, ("indicators", start + i), positions) for i, node in enumerate(self.indicators)]
        value["indicators"] = [*(value.get("indicators") or []), *generated]
        for path in value_paths(value["indicators"], ("indicators",)):
            if path not in positions:
                positions[path] = _nearest(positions, path)
        for name in self.facts:
            positions.setdefault(("facts", name), self.template.locate(("project_form",)))
        return SourceDoc(self.template.file, value, positions, dict(self.template.key_positions),
                         dict(self.template.styles))

    def facts_doc(self, doc: SourceDoc) -> SourceDoc:
        value = _mapping(doc.value)
        value["facts"] = {**(value.get("facts") or {}), **self.values}
        positions = {**doc.positions, **self.fact_where}
        return SourceDoc(doc.file, value, positions, {**doc.key_positions, **self.fact_where}, dict(doc.styles))


def _unparsed(row: FormRow) -> str:
    return (f"指标行「{row.name}」的年度指标值「{row.target}」无法解析：定量指标应写成“≥50个”“≤90万元”"
            f"“=8个”“100%”这样的形式（比较符号、数字、单位），定性指标写文字（如“效果明显”）")


def _mapping(value: DocValue) -> dict[str, Any]:
    """A copy of a document's top mapping, which the generated nodes and facts are added to."""
    if not isinstance(value, dict):
        raise TypeError(f"a project-form document is not a mapping: {type(value).__name__}")
    return dict(value)


def _located(node: dict[str, Any], path: Path, positions: dict[Path, SourceLocation]) -> dict[str, Any]:
    """The node without its ``__at`` marks, each recorded as the position of its path."""
    node = dict(node)
    positions[path] = node.pop("__at")
    if "children" in node:
        node["children"] = [_located(c, (*path, "children", i), positions) for i, c in enumerate(node["children"])]
    return node


def _nearest(positions: dict[Path, SourceLocation], path: Path) -> SourceLocation:
    for depth in range(len(path), 0, -1):
        if path[:depth] in positions:
            return positions[path[:depth]]
    return SourceLocation("", 1, 1)
