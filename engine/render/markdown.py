"""``Result`` → Markdown for pasting into the 自评报告: score table and deductions."""

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
    path_text,
    score,
    total_score,
    walk,
)
from engine.trace import Deduction, IndicatorScore, Result

__all__ = ["render_markdown"]


def render_markdown(result: Result) -> str:
    """The report as Markdown; the same result always gives the same bytes."""
    lines = [
        f"# {result.department} {result.title}得分",
        "",
        f"- 指标体系：{result.policy_name}（`{result.policy_id}` 版本 {result.policy_version}，"
        f"摘要 `{result.policy_digest[:16]}`）",
        f"- 事实文件：`{result.facts_file}`",
        f"- **总分：{total_score(result)}** / {score(result, result.max)}"
        + (f"，等级：{grade_text(result)}" if result.grade or result.grade_withheld else "（只评分，不评等级）"),
    ]
    notice = inferred_notice(result)
    if notice:
        lines.append(f"- 注意：{notice}")
    if result.findings:
        lines += ["", f"## {FINDINGS_HEADING}", ""]
        lines += [f"{i}. {_cell(line)}" for i, line in enumerate(finding_lines(result), 1)]
    lines += ["", "## 得分表", "", "| 指标 | 分值 | 得分 | 扣分 |", "|---|---:|---:|---:|"]
    lines += [_row(result, n, depth) for n, depth in walk(result.indicators)]
    lines.append(f"| **总分** | {score(result, result.max)} | **{total_score(result)}** | |")
    gaps = gap_lines(result)
    if gaps:
        lines += ["", "分值说明：", "", *(f"- {_cell(line)}" for line in gaps)]
    for table in result.tables:
        unit = f"（单位：{table.unit}）" if table.unit else ""
        lines += ["", f"## 表格事实：{_cell(table.name)}{unit}", "",
                  "| | " + " | ".join(_cell(c) for c in table.columns) + " |",
                  "|---|" + "---:|" * len(table.columns)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.shown()]
    lines += ["", "## 扣分明细", ""]
    names = {n.id: n.name for n in result.nodes()}
    found = result.deductions()
    if not found:
        lines.append("各项指标均得满分。")
    for i, d in enumerate(found, 1):
        lines += _deduction(result, i, d, names[d.indicator_id])
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(result: Result, node: IndicatorScore, depth: int) -> str:
    name = ("　" * depth) + _cell(node_name(node))
    lost = node.lost()
    return (f"| {name} | {score(result, node.max)} | {node_score(result, node)} | "
            f"{score(result, lost) if lost else ''} |")


def _deduction(result: Result, i: int, d: Deduction, name: str) -> list[str]:
    verb = "扣" if d.points > 0 else "加"
    flag = flags(d)
    item = f"（{d.item}）" if d.item else ""
    lines = [
        f"{i}. **{_cell(path_text(d, name))}{item}**：{verb} {score(result, abs(d.points))} 分"
        + (f"（{flag}）" if flag else ""),
        f"   - 规则 `{d.rule_id}`（{KIND_NAMES.get(str(d.rule_kind), str(d.rule_kind))}，"
        f"{PROVENANCE_NAMES.get(d.provenance, d.provenance)}）：{d.wording}",
    ]
    for f in d.facts:
        lines += [f"   - 事实：{fact_text(f)}", *(f"     - {label}：{_cell(text)}" for label, text in fact_details(f))]
    lines.append(f"   - 计算：{d.computation}")
    if d.threshold:
        lines.append(f"   - 阈值：{d.threshold}")
    if d.provenance == "inferred" and d.note:
        lines.append(f"   - 依据：{_cell(d.note)}")
    lines += [f"   - {label}：{_cell(note)}" for label, note in inferred_lines(d)]
    return lines
