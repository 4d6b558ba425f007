"""Official rule wording (评分标准) → a rule kind and its parameters (stage: authoring; pure, deterministic).

Regular expressions over the styles of domain.md §5.5, no guessing model. :func:`parse` reads one
wording completely or not at all: every clause must be consumed by the style that matched; a wording
with a clause left over is returned as ``needs_review`` with that clause. A parameter the wording leaves
open (whether "每超过一个百分点" counts part points) is set from :class:`Conventions` and recorded as an
inferred note, never silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

__all__ = ["Conventions", "Parsed", "normalise", "parse"]

Counting = Literal["fractional", "whole", "partial"]
_N = r"(\d+(?:\.\d+)?)"
_COUNTING_NAMES = {"fractional": "按实际差额计（不足一个单位按比例）", "whole": "只计整步（不足一步不扣）",
                   "partial": "不足一步按一步计"}


@dataclass(frozen=True, slots=True)
class Conventions:
    """What a policy declares for what wordings leave open."""

    per_point: Counting = "fractional"  # 每超过一个百分点…: part points count (Guangzhou I2, §5.6 例2)
    step: Counting = "whole"  # 每低于5%…: only whole steps (§5.6 例3)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a wording parses to: the rule's parameters (no id / wording / provenance), its facts, notes."""

    rule: dict[str, Any]
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    needs_review: str | None = None


def normalise(text: str) -> str:
    """NFKC, ASCII punctuation, ≦ → ≤, no quotes or blanks: the form the patterns read.

    >>> normalise("“三公经费”变动率≦0，计5分；80%（含）-90%")
    '三公经费变动率≤0,计5分;80%(含)-90%'
    """
    text = "".join(c if c in _CIRCLED else unicodedata.normalize("NFKC", c) for c in text)
    for old, new in (("≦", "≤"), ("≧", "≥"), ("<=", "≤"), (">=", "≥"), ("~", "-"), ("—", "-"), ("–", "-"),
                     ("*", "×")):
        text = text.replace(old, new)
    return re.sub("[\\s\u201c\u201d\"\u2018\u2019']", "", text)


def _d(text: str) -> Decimal:
    return Decimal(text)


def _clean_fact(name: str) -> str:
    return name.strip(",;:。 ").removesuffix("的")


def _rate(name: str, description: str = "", *, signed: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "decimal", "unit": "%", "range": [None, None] if signed else [0, None]}
    if description:
        spec["description"] = description
    return spec


def parse(wording: str, weight: Decimal | None, indicator: str, conventions: Conventions | None = None) -> Parsed:
    """Parse one official wording for an indicator worth ``weight`` (``None`` for 加减分) named ``indicator``."""
    conventions = conventions or Conventions()
    text = normalise(wording)
    na = re.search(r"(?:对)?没有(.+?)的(?:部门|单位)?(?:,)?(?:按满分计算|得满分|计满分)[。;]?", text)
    applicability: dict[str, Any] = {}
    extra_facts: dict[str, dict[str, Any]] = {}
    if na:
        flag = f"有{_clean_fact(na.group(1))}"
        applicability = {"applicable_if": flag, "not_applicable": "full_marks"}
        extra_facts[flag] = {"type": "boolean", "description": f"是否{flag}（没有的按满分计算）"}
        text = text[:na.start()] + text[na.end():]
    clauses = [c for c in re.split(r"[。;]", text) if c.strip(",")]
    scoring: list[str] = []
    described: list[str] = []
    for clause in clauses:
        if "分" in clause or re.search(rf"得{_N}%", clause) or re.fullmatch(rf"以{_N}%为标准", clause):
            scoring.append(clause.strip(","))
        else:
            described.append(clause)
    compared = [c for c in described if re.search(r"[≤≥<>]|低于|高于|大于|小于|超过", c) and "=" not in c]
    if compared:  # a condition without points: perhaps a rule the styles do not know, never a bare description
        return Parsed({}, needs_review=f"含有条件但没有分数的语句：{'；'.join(compared)}")
    found = _styles(scoring, weight, indicator, conventions)
    if isinstance(found, str):
        return Parsed({}, needs_review=found)
    if described and found.facts:
        first = next(iter(found.facts))
        spec = dict(found.facts[first])
        spec["description"] = "。".join(described)
        found = Parsed(found.rule, {**found.facts, first: spec}, found.notes)
    if applicability:
        for name in found.facts:
            found.facts[name]["required"] = False
    return Parsed({**found.rule, **applicability}, {**found.facts, **extra_facts}, found.notes)


def _styles(clauses: list[str], weight: Decimal | None, indicator: str, conv: Conventions) -> Parsed | str:
    if not clauses:
        return "评分标准中没有计分的语句（找不到“分”）"
    text = ";".join(clauses)
    for style in (_adjustment, _targets, _proportional, _per_unit, _per_count, _checklist, _comparison, _bands):
        found = style(clauses, text, weight, indicator, conv)
        if found is not None:
            return found
    return f"无法完整读取：{text}"


def _adjustment(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
                conv: Conventions) -> Parsed | None:
    m = re.search(rf"加减分各以{_N}分为限", text)
    if not m or weight is not None:
        return None
    cap = _d(m.group(1))
    return Parsed({"kind": "adjustment", "fact": indicator, "max_bonus": cap, "max_penalty": cap},
                  {indicator: {"type": "decimal", "unit": "分", "range": [-cap, cap]}})


def _targets(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
             conv: Conventions) -> Parsed | None:
    if not re.fullmatch(r"完成指标值的?(?:,)?(?:得满分|记该指标所赋全部分值)[,;]未完成(?:指标值的)?(?:,)?"
                        r"按(?:照)?完成值与指标值的比例[记计]分", text):
        return None
    return Parsed({"kind": "targets", "fact": indicator}, {indicator: {"type": "targets"}})


def _proportional(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
                  conv: Conventions) -> Parsed | None:
    m = re.fullmatch(r"(?:得分=|按)(.+?)×(?:分值|权重|指标分值)(?:计分)?(?:,最高得满分)?", text)
    if not m or weight is None:
        return None
    fact = _clean_fact(m.group(1))
    if fact in ("执行率", "完成率") and indicator.endswith(fact):
        fact = indicator  # "按执行率×分值" in the row of 一般公共预算支出年度平均执行率: the row names the fact
    return Parsed({"kind": "proportional", "fact": fact, "full_at": Decimal(100)}, {fact: _rate(fact)})


_OVER = {"超过": "above", "超出": "above", "超": "above", "高于": "above", "低于": "below", "低": "below",
         "少于": "below"}


# Complexity 14 > 10: landed from issue 17 while the guards were wired; its owner is to split it.
def _per_unit(clauses: list[str], text: str, weight: Decimal | None, indicator: str,  # noqa: C901
              conv: Conventions) -> Parsed | None:
    rate = None
    rest: list[str] = []
    for clause in clauses:
        m = re.search(rf"每({'|'.join(_OVER)})(?:一个百分点|1个百分点|{_N}个百分点|{_N}%)扣{_N}分(,扣完为止)?$", clause)
        if m and rate is None:
            rate = m
            head = clause[:m.start()].rstrip(",")
            if head:
                rest.append(head)
        else:
            rest.append(clause)
    if rate is None or weight is None:
        return None
    direction = _OVER[rate.group(1)]
    per = _d(rate.group(2) or rate.group(3) or "1")
    points = _d(rate.group(4))
    threshold: Decimal | None = None
    fact: str | None = None
    for clause in rest:
        m = (re.fullmatch(rf"以{_N}%为标准", clause)
             or re.fullmatch(rf"(.*?)(?:≤|=){_N}%?(?:以下)?(?:\(含\))?,?(?:计|得)(?:{_N}分|满分)", clause)
             or re.fullmatch(rf"(.*?)(?:≥){_N}%?(?:以上)?(?:\(含\))?,?(?:计|得)(?:{_N}分|满分)", clause)
             or re.fullmatch(rf"(.*?){_N}%(?:以下\(含\)|以上\(含\))?,?(?:计|得)(?:{_N}分|满分)", clause)
             or re.fullmatch(rf"(.*?)>{_N}%?", clause))
        if not m:
            return None
        groups = m.groups()
        if len(groups) == 1:
            value = _d(groups[0])
        else:
            name, value = _clean_fact(groups[0]), _d(groups[1])
            if len(groups) > 2 and groups[2] is not None and weight is not None and _d(groups[2]) != weight:
                return None
            if name:
                fact = fact or name
        if threshold is not None and value != threshold:
            return None
        threshold = value
    if threshold is None:
        return None
    fact = fact or indicator
    notes = []
    counting: Counting = conv.per_point if per == 1 else conv.step
    notes.append(f"推断：原文未说明不足{'一个百分点' if per == 1 else '一步'}的部分如何计，按指标体系约定 "
                 f"counting: {counting}（{_COUNTING_NAMES[counting]}）")
    if not rate.group(5):
        notes.append("推断：原文未写“扣完为止”，按保底 0 分处理")
    rule: dict[str, Any] = {"kind": "per_point" if per == 1 else "step", "fact": fact, "threshold": threshold,
                            "direction": direction, "points": points}
    if per != 1:
        rule["per"] = per
    rule["counting"] = counting
    rule["floor"] = Decimal(0)
    return Parsed(rule, {fact: _rate(fact, signed=threshold <= 0)}, tuple(notes))


def _per_count(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
               conv: Conventions) -> Parsed | None:
    m = re.fullmatch(rf"(?:.*?以上情况)?每出现一([例个次项])(.+?)扣{_N}分(,扣完为止)?", text)
    if not m or weight is None:
        return None
    unit, what = m.group(1), _clean_fact(m.group(2))
    fact = f"{what}{unit}数"
    notes = () if m.group(4) else ("推断：原文未写“扣完为止”，按保底 0 分处理",)
    return Parsed({"kind": "per_count", "fact": fact, "points": _d(m.group(3)), "floor": Decimal(0)},
                  {fact: {"type": "integer", "unit": unit, "range": [0, None]}}, notes)


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _checklist(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
               conv: Conventions) -> Parsed | None:
    if weight is None:
        return None
    one = re.fullmatch(r"(.+?)(?:的)?,?得满分,(?:否则|未.{1,6})不得分", text)
    if one:
        item = one.group(1)
        return Parsed({"kind": "checklist", "items": [{"id": "1", "fact": indicator, "points": weight,
                                                       "wording": item}]},
                      {indicator: {"type": "boolean", "description": item}})
    items: list[dict[str, Any]] = []
    facts: dict[str, dict[str, Any]] = {}
    for clause in clauses:
        m = re.fullmatch(rf"([{_CIRCLED}])(.+?),?(?:计|得)?{_N}分", clause)
        if not m:
            return None
        fact = f"{indicator}{m.group(1)}"
        items.append({"id": m.group(1), "fact": fact, "points": _d(m.group(3)), "wording": m.group(2).rstrip(",")})
        facts[fact] = {"type": "boolean", "description": m.group(2).rstrip(",")}
    if sum((i["points"] for i in items), Decimal(0)) != weight:
        return None
    return Parsed({"kind": "checklist", "items": items}, facts)


def _comparison(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
                conv: Conventions) -> Parsed | None:
    m = re.fullmatch(rf"无(.+?),{_N}分;有\1,但不超过(.+?),{_N}分;\1超过\3,(?:不得分|{_N}分)", text)
    if not m or weight is None:
        return None
    short, other = m.group(1), m.group(3)
    fact = indicator if indicator.endswith(short) else short
    cases = [{"when": f"{fact} == 0", "points": _d(m.group(2)), "label": f"无{short}"},
             {"when": f"{fact} > 0 and {fact} <= {other}", "points": _d(m.group(4)),
              "label": f"有{short}但不超过{other}"},
             {"when": f"{fact} > {other}", "points": _d(m.group(5) or "0"), "label": f"{short}超过{other}"}]
    note = "推断：原文未写金额单位，两项事实都按万元声明"
    money = {"type": "decimal", "unit": "万元", "range": [0, None]}
    return Parsed({"kind": "comparison", "cases": cases}, {fact: dict(money), other: dict(money)}, (note,))


_POINTS = rf"(?:,?(?:计|得)?{_N}分|,?(?:计|得)满分|,?不得分|,?得{_N}%)"


def _band_points(text: str, weight: Decimal) -> Decimal | None:
    m = re.fullmatch(rf",?(?:计|得)?{_N}分", text)
    if m:
        return _d(m.group(1))
    if re.fullmatch(r",?(?:计|得)满分", text):
        return weight
    if re.fullmatch(r",?不得分", text):
        return Decimal(0)
    m = re.fullmatch(rf",?得{_N}%", text)
    return weight * _d(m.group(1)) / 100 if m else None


def _band_when(cond: str, previous: str | None) -> str | None:
    n = _N
    forms: tuple[tuple[str, str], ...] = (
        (rf"={n}%?", "= {0}"), (rf"≥{n}%?", "≥ {0}"), (rf"{n}%?及以上", "≥ {0}"), (rf"≤{n}%?", "≤ {0}"),
        (rf"{n}%?以下\(含\)", "≤ {0}"), (rf"{n}%?以上\(含\)", "≥ {0}"), (rf"(?:低于|小于|<){n}%?", "< {0}"),
        (rf"(?:大于|高于|超过|>){n}%?", "> {0}"), (rf"{n}%?\(含\)-{n}%?", "[{0}, {1})"),
        (rf"{n}%?-{n}%?\(含\)", "({0}, {1}]"), (rf"{n}%?\(含\)-{n}%?\(含\)", "[{0}, {1}]"))
    for pattern, template in forms:
        m = re.fullmatch(pattern, cond)
        if m:
            return template.format(*m.groups())
    if cond == "超过" and previous is not None:
        m = re.fullmatch(rf"[≤<] ?{n}", previous)
        if m:
            return f"> {m.group(1)}"
    return None


def _bands(clauses: list[str], text: str, weight: Decimal | None, indicator: str,
           conv: Conventions) -> Parsed | None:
    if weight is None:
        return None
    parts = [p for clause in clauses for p in re.split(r"(?<=分),", clause)]
    bands: list[dict[str, Any]] = []
    fact: str | None = None
    for part in parts:
        m = re.fullmatch(rf"(.*?)({_POINTS})", part)
        if not m:
            return None
        cond, points = m.group(1).rstrip(","), _band_points(m.group(2), weight)
        if points is None:
            return None
        when = _band_when(cond, bands[-1]["when"] if bands else None)
        if when is None:  # the fact named before the condition: "预算调整率=0", "差异率>10%"
            head = re.fullmatch(r"(.+?)((?:=|≥|≤|<|>|低于|大于|高于|超过).+)", cond)
            if head and (fact is None or _clean_fact(head.group(1)) == fact):
                fact, when = _clean_fact(head.group(1)), _band_when(head.group(2), None)
        if when is None:
            return None
        bands.append({"when": when, "points": points})
    if len(bands) < 2:
        return None
    fact = fact or indicator
    return Parsed({"kind": "bands", "fact": fact, "bands": bands}, {fact: _rate(fact)})
