"""A published 评分标准表 (rows of text) → a draft policy document (stage: authoring; pure, deterministic).

The rows come from an .xlsx (:mod:`engine.excel.scoring_table`), a CSV file, or Markdown / tab-separated
text pasted from Word (:func:`text_rows`). The header row names the columns: 一级指标 / 二级指标 / 三级指标 …,
分值 (or 权重), 评分标准 (or 评分规则, 计分标准) and optionally 备注. A blank or merged indicator cell means
"same as above"; 分值 is read with or without 分. Each wording is parsed by :mod:`engine.authoring.wording`;
what it cannot read completely becomes a rule marked ``needs_review`` (``jixiao check`` refuses it).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from engine.authoring.wording import Conventions, parse
from engine.render.common import CORE_MARK
from engine.render.table import INFERRED

__all__ = ["Draft", "Finding", "TableError", "draft_policy", "dump_draft", "text_rows"]

_LEVEL = re.compile(r"^([一二三四五六七八九十]|\d+)级指标$")
_WORDING = ("评分标准", "评分规则", "计分标准", "评分细则")
_WEIGHT = ("分值", "权重", "分数", "标准分", "指标分值")
_LABEL = re.compile(r"^(.+?)\s*[（(]\s*(\d+(?:\.\d+)?)\s*分?\s*[）)]$")


class TableError(ValueError):
    """A table that cannot be read as an indicator tree; ``row`` is where (1 when there is no header)."""

    def __init__(self, message: str, row: int = 1) -> None:
        """Keep the Chinese message and the row."""
        super().__init__(message)
        self.row = row


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the author must look at, located at a row of the table."""

    row: int
    message: str


@dataclass(slots=True)
class Draft:
    """The draft policy document and what the import found."""

    document: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    review: list[Finding] = field(default_factory=list)
    inferred: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class _Node:
    name: str
    row: int
    weight: Decimal | None = None
    children: dict[str, _Node] = field(default_factory=dict)
    leaf: tuple[Decimal | None, str, str] | None = None


def text_rows(text: str, *, csv_format: bool = False) -> list[tuple[int, list[str]]]:
    """(line number, cells) of a CSV, Markdown table or tab-separated text; other lines are dropped."""
    if csv_format:
        return [(i, [c.strip() for c in row]) for i, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    rows: list[tuple[int, list[str]]] = []
    for i, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("|"):
            cells = [c.strip().replace("\\|", "|").replace("<br>", "\n")
                     for c in re.split(r"(?<!\\)\|", stripped.strip("|"))]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
                continue
            rows.append((i, cells))
        elif "\t" in line:
            rows.append((i, [c.strip() for c in line.split("\t")]))
    return rows


def _decimal(text: str) -> Decimal | None:
    text = text.strip().removesuffix("分").strip()
    if not text or text in ("/", "-", "—"):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# Complexity 13 > 10: landed from issue 17 while the guards were wired; its owner is to split it.
def draft_policy(rows: list[tuple[int, list[str]]], *, policy_id: str, name: str, issuer: str,  # noqa: C901
                 fiscal_year: int, conventions: Conventions | None = None) -> Draft:
    """The draft policy of a scoring table's rows.

    Raises:
        TableError: no header row with the indicator, 分值 and 评分标准 columns, or rows that are no tree.
    """
    conventions = conventions or Conventions()
    header_at = next((k for k, (_, cells) in enumerate(rows) if any(c in _WORDING for c in cells)), None)
    if header_at is None:
        raise TableError("找不到表头：应有一行写着 一级指标 / 二级指标 / … / 分值 / 评分标准")
    header = rows[header_at][1]
    levels = [i for i, c in enumerate(header) if _LEVEL.match(c)]
    weight_col = next((i for i, c in enumerate(header) if c in _WEIGHT), None)
    wording_col = next(i for i, c in enumerate(header) if c in _WORDING)
    note_col = next((i for i, c in enumerate(header) if c == "备注"), None)
    if not levels or weight_col is None:
        raise TableError("表头缺少指标列（一级指标 …）或分值列", rows[header_at][0])
    draft = Draft({})
    root = _Node("", 0)
    above = [""] * len(levels)
    for line, cells in rows[header_at + 1:]:
        cells = [*cells, *[""] * (len(header) - len(cells))]
        names = [cells[i] for i in levels]
        wording = cells[wording_col]
        if (not any(names) and not wording) or (names[0].startswith("合计") and not wording):
            continue
        last = max((i for i, n in enumerate(names) if n), default=-1)
        if last < 0:
            if not any(above):
                raise TableError("这一行有评分标准但没有指标名称，上面也没有可沿用的指标", line)
            last = max(i for i, n in enumerate(above) if n)
            names = list(above)
            draft.findings.append(Finding(line, "这一行没有指标名称，按上一行的指标处理"))
        path = [names[i] or above[i] for i in range(last + 1)]
        above = [*path, *[""] * (len(levels) - len(path))]
        node = root
        for depth, label in enumerate(path):
            m = _LABEL.match(label) if depth < last else None
            key = m.group(1).strip() if m else label
            if depth == last and key in node.children:  # a second row of the same name: a second indicator
                draft.findings.append(Finding(line, f"「{key}」与第 {node.children[key].row} 行同名，按两个指标处理"))
                key = f"{key}\0{line}"
            if depth < last and key in node.children and node.children[key].leaf is not None:
                raise TableError(f"「{key}」在第 {node.children[key].row} 行是计分指标，这里又有下级指标", line)
            if key not in node.children:
                node.children[key] = _Node(key.split("\0")[0], line, Decimal(m.group(2)) if m else None)
            node = node.children[key]
        weight_text = cells[weight_col]
        weight = _decimal(weight_text)
        if weight is None and weight_text.strip() not in ("", "/", "-", "—"):
            draft.findings.append(Finding(line, f"分值「{weight_text}」不是数字，按加减分项（无分值）处理"))
        note = cells[note_col] if note_col is not None else ""
        if node.children:
            raise TableError(f"「{node.name}」已有下级指标，不能同时是计分指标", line)
        node.leaf = (weight, wording, note)
        node.row = line
    facts: dict[str, dict[str, Any]] = {}
    indicators = [_indicator(child, str(i), draft, facts, conventions)
                  for i, child in enumerate(root.children.values(), start=1)]
    total = sum((i["max"] for i in indicators if i.get("max") is not None), Decimal(0))
    draft.document = {
        "policy": {"id": policy_id, "name": name, "issuer": issuer, "fiscal_year": fiscal_year, "version": "0.1-draft",
                   "note": "由 jixiao import 从评分标准表生成的草稿"},
        "rounding": {"score": {"places": 3, "mode": "half_up"}, "display": {"min_places": 2, "max_places": 3}},
        "total": {"max": total},
        "facts": facts,
        "indicators": indicators,
    }
    return draft


def _indicator(node: _Node, ident: str, draft: Draft, facts: dict[str, dict[str, Any]],
               conv: Conventions) -> dict[str, Any]:
    name = node.name.removesuffix(CORE_MARK)
    out: dict[str, Any] = {"id": ident, "name": name}
    if name != node.name:  # the scoring table marks a core indicator after its name, as jixiao table writes it
        out["core"] = True
    if node.leaf is not None:
        weight, wording, note = node.leaf
        if weight is not None:
            out["max"] = weight
        out["rule"] = _rule(node, ident, weight, wording, note, draft, facts, conv)
        return out
    children = [_indicator(c, f"{ident}.{i}", draft, facts, conv) for i, c in enumerate(node.children.values(), 1)]
    summed = sum((c["max"] for c in children if c.get("max") is not None), Decimal(0))
    if node.weight is None:
        out["max"] = summed
        draft.inferred.append(Finding(node.row, f"「{node.name}」没有写分值，取下级合计 {summed}"))
    else:
        out["max"] = node.weight
        if node.weight != summed:
            draft.findings.append(Finding(node.row, f"「{node.name}」分值 {node.weight}，下级指标分值合计 {summed}，"
                                                    "两者不等（按表中所写保留）"))
    out["children"] = children
    return out


def _rule(node: _Node, ident: str, weight: Decimal | None, wording: str, note: str, draft: Draft,
          facts: dict[str, dict[str, Any]], conv: Conventions) -> dict[str, Any]:
    inferred = wording.startswith(INFERRED)
    wording = wording.removeprefix(INFERRED)
    rule: dict[str, Any] = {"id": f"{ident}.r"}
    if not wording.strip():
        rule |= {"needs_review": "评分标准为空", "wording": "", "provenance": "official"}
        draft.review.append(Finding(node.row, f"「{node.name}」：评分标准为空"))
        return rule
    parsed = parse(wording, weight, node.name, conv)
    if parsed.needs_review is not None:
        rule["needs_review"] = parsed.needs_review
        draft.review.append(Finding(node.row, f"「{node.name}」：{parsed.needs_review}"))
    else:
        rule |= parsed.rule
        for fact, spec in parsed.facts.items():
            if fact in facts and facts[fact] != spec:
                draft.findings.append(Finding(node.row, f"事实「{fact}」在前面已按另一种写法声明，保留第一次的声明"))
            facts.setdefault(fact, spec)
        for text in parsed.notes:
            draft.inferred.append(Finding(node.row, f"「{node.name}」：{text}"))
    notes = [n for n in (note.strip(), *parsed.notes) if n]
    rule["wording"] = wording
    rule["provenance"] = "inferred" if inferred else "official"
    if notes:
        rule["note"] = "；".join(dict.fromkeys(notes))
    elif inferred:
        rule["note"] = "表中标为推断，未写依据"
    return rule


class _Dumper(yaml.SafeDumper):
    pass


def _decimal_scalar(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return dumper.represent_scalar("tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _decimal_scalar)


def dump_draft(draft: Draft, source: str, conventions: Conventions) -> str:
    """The draft as YAML, headed by comments listing the conventions used and everything to review."""
    lines = [f"# 由 jixiao import 从 {source} 生成的指标体系草稿。",
             "# 约定（原文未写明时采用，规则的 note 中已逐条注明“推断”）：",
             f"#   每个百分点扣分（per_point）的 counting: {conventions.per_point}；"
             f"阶梯扣分（step）的 counting: {conventions.step}",
             "#   得分舍入：每个计分指标保留 3 位小数，四舍五入（表中未写，请按文件核对）"]
    lines += _comment("待复核（needs_review，jixiao check 会拒绝，直到改写为规则）", draft.review)
    lines += _comment("需要注意", draft.findings)
    lines += _comment("推断的参数", draft.inferred)
    body = yaml.dump(draft.document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)
    return "\n".join(lines) + "\n" + body


def _comment(title: str, items: Iterable[Finding]) -> list[str]:
    listed = [f"#   第 {f.row} 行：{f.message}" for f in items]
    return [f"# {title}：", *listed] if listed else []
