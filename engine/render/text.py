"""``Result`` → a Chinese report for a terminal: the score tree, then every deduction."""

from __future__ import annotations

from engine.render.common import (
    FINDINGS_HEADING,
    KIND_NAMES,
    PROVENANCE_NAMES,
    fact_details,
    fact_text,
    finding_lines,
    flags,
    gap_lines,
    grade_text,
    inferred_lines,
    inferred_notice,
    node_name,
    node_score,
    pad,
    path_text,
    score,
    total_score,
    walk,
    width,
)
from engine.trace import Deduction, Result, Status

__all__ = ["render_text"]

STATUS_NOTES = {Status.NOT_APPLICABLE: "不适用，按满分", Status.EXCLUDED: "不适用，不计分", Status.ADJUSTMENT: "加减分",
                Status.UNSEEN: "原表未见，得分未知"}


def render_text(result: Result) -> str:
    """The whole report as text; the same result always gives the same bytes."""
    return "\n".join([*_header(result), "", *_tree(result), "", *_tables(result), *_deductions(result)]) + "\n"


def _tables(result: Result) -> list[str]:
    """Each table fact as a grid (a blank cell is "—"), then an empty line; nothing without tables."""
    lines: list[str] = []
    for table in result.tables:
        grid = [("", *table.columns), *table.shown()]
        widths = [max(width(row[i]) for row in grid) + 2 for i in range(len(grid[0]))]
        lines.append(f"表格事实：{table.name}" + (f"（单位：{table.unit}）" if table.unit else ""))
        for row in grid:
            lines.append(pad(row[0], widths[0]) + "".join(pad(c, w, right=True) for c, w in zip(row[1:], widths[1:],
                                                                                                   strict=True)))
        lines.append("")
    return lines


def _header(result: Result) -> list[str]:
    lines = [
        f"{result.department} {result.title}得分",
        f"指标体系：{result.policy_name}",
        f"          {result.policy_id} 版本 {result.policy_version}，摘要 {result.policy_digest[:16]}",
        f"事实文件：{result.facts_file}",
        f"总分：{total_score(result)} / {score(result, result.max)}"
        + (f"    等级：{grade_text(result)}" if result.grade or result.grade_withheld
           else "    （只评分，不评等级）"),
    ]
    notice = inferred_notice(result)
    if notice:
        lines.append(f"注意：{notice}")
    if result.findings:
        lines.append(f"{FINDINGS_HEADING}：共 {len(result.findings)} 项")
        lines += [f"  {i}. {line}" for i, line in enumerate(finding_lines(result), 1)]
    return lines


def _tree(result: Result) -> list[str]:
    rows = [(("  " * depth) + node_name(node), node) for node, depth in walk(result.indicators)]
    name_width = max(width(label) for label, _ in rows) + 2
    score_width = max(10, 2 + max(width(total_score(result)), *(width(node_score(result, n)) for _, n in rows)))
    head = (pad("指标", name_width) + pad("分值", 9, right=True) + pad("得分", score_width, right=True)
            + pad("扣分", 10, right=True))
    lines = ["得分表", head, "-" * width(head)]
    for label, node in rows:
        note = STATUS_NOTES.get(node.status, "")
        lost = node.lost()
        lines.append(pad(label, name_width) + pad(score(result, node.max), 9, right=True)
                     + pad(node_score(result, node), score_width, right=True)
                     + pad(score(result, lost) if lost else "", 10, right=True) + (f"  {note}" if note else ""))
    lines.append("-" * width(head))
    lines.append(pad("总分", name_width) + pad(score(result, result.max), 9, right=True)
                 + pad(total_score(result), score_width, right=True))
    gaps = gap_lines(result)
    if gaps:
        lines += ["分值说明", *(f"  {line}" for line in gaps)]
    return lines


def _deductions(result: Result) -> list[str]:
    names = {n.id: n.name for n in result.nodes()}
    found = result.deductions()
    lost = [d for d in found if d.points > 0]
    gained = [d for d in found if d.points < 0]
    total = sum((d.points for d in lost), start=result.total * 0)
    lines = [f"扣分明细（共 {len(lost)} 项，合计 {score(result, total)} 分）"]
    if not lost:
        lines.append("  无：各项指标均得满分。")
    for i, d in enumerate(lost, 1):
        lines += _deduction_lines(result, i, d, names[d.indicator_id], "扣")
    if gained:
        lines += ["", "加减分"]
        for i, d in enumerate(gained, 1):
            lines += _deduction_lines(result, i, d, names[d.indicator_id], "加")
    return lines


def _deduction_lines(result: Result, i: int, d: Deduction, name: str, verb: str) -> list[str]:
    item = f"（{d.item}）" if d.item else ""
    flag = flags(d)
    lines = [
        f"{i}. {path_text(d, name)}{item}  {verb} {score(result, abs(d.points))} 分" + (f"（{flag}）" if flag else ""),
        f"   规则 {d.rule_id}（{KIND_NAMES.get(str(d.rule_kind), str(d.rule_kind))}，"
        f"{PROVENANCE_NAMES.get(d.provenance, d.provenance)}）：{d.wording}",
    ]
    for f in d.facts:
        lines += [f"   事实：{fact_text(f)}", *(f"         {label}：{text}" for label, text in fact_details(f))]
    lines.append(f"   计算：{d.computation}")
    if d.threshold:
        lines.append(f"   阈值：{d.threshold}")
    if d.provenance == "inferred" and d.note:
        lines.append(f"   依据：{d.note}")
    lines += [f"   {label}：{note}" for label, note in inferred_lines(d)]
    lines.append(f"   规则位置：{d.location}")
    return lines
