"""Policy diff views → :class:`Page` (stage: render; pure)."""

from __future__ import annotations

from decimal import Decimal

from engine.compile import CompiledPolicy
from engine.render.page import Entry, Page, Section, score, signed
from engine.render.page_whatif import deduction_changes
from engine.views.diff import Cause, ChangeKind, PolicyChange, PolicyDiff, ScoreDiff

__all__ = ["diff_page"]

LABELS = {
    ChangeKind.POLICY: "身份", ChangeKind.SETTING: "设置", ChangeKind.FACT: "事实声明",
    ChangeKind.ADDED: "新增指标", ChangeKind.REMOVED: "删除指标", ChangeKind.MOVED: "上级（移动）",
    ChangeKind.RENAMED: "名称", ChangeKind.WEIGHT: "分值", ChangeKind.RULE: "规则替换",
    ChangeKind.PARAMETER: "规则参数", ChangeKind.WORDING: "规则原文", ChangeKind.PROVENANCE: "来源与依据",
}
SHORT = 60


def diff_page(structure: PolicyDiff, scores: ScoreDiff | None = None) -> Page:
    """The structural changes from policy A to B and, with a fact file, each score delta and its cause."""
    a, b = structure.a, structure.b
    header = [("旧", a.meta.name), ("旧版本", _version(a)), ("新", b.meta.name), ("新版本", _version(b))]
    sections = [_structure(structure)]
    if scores is not None:
        before, after = scores.comparison.before, scores.comparison.after
        header += [("事实文件", f"{after.facts_file}（{after.department}）"),
                   ("总分", f"{score(before, before.total)} → {score(after, after.total)}"
                            f"（{signed(after, scores.comparison.total_delta)}）")]
        sections += [_scores(scores), deduction_changes(scores.comparison)]
    return Page("diff", "指标体系版本比较", tuple(header), tuple(sections))


def _version(policy: CompiledPolicy) -> str:
    return f"{policy.meta.id} 版本 {policy.meta.version}，摘要 {policy.digest[:16]}（{policy.file}）"


def _structure(structure: PolicyDiff) -> Section:
    if not structure.changes:
        return Section("结构变化", ("两个版本的指标、分值、规则和事实声明完全相同。",))
    names = {n.id: n.name for p in (structure.a, structure.b) for n in p.nodes()}
    groups: dict[tuple[ChangeKind, str], list[PolicyChange]] = {}
    for change in structure.changes:
        kind = change.kind if change.kind in (ChangeKind.POLICY, ChangeKind.SETTING, ChangeKind.FACT) else None
        groups.setdefault((kind or ChangeKind.RULE, change.subject), []).append(change)
    entries = tuple(_group(kind, subject, changes, names) for (kind, subject), changes in groups.items())
    return Section(f"结构变化（{len(structure.changes)} 处）", entries=entries)


def _group(kind: ChangeKind, subject: str, changes: list[PolicyChange], names: dict[str, str]) -> Entry:
    if kind == ChangeKind.POLICY:
        title = "指标体系身份"
    elif kind == ChangeKind.SETTING:
        title = f"设置 {subject}"
    elif kind == ChangeKind.FACT:
        title = f"事实「{subject}」"
    else:
        title = f"指标 {subject} {names.get(subject, '')}".rstrip()
    lines = [line for change in changes for line in _change_lines(change)]
    where = next((c.location for c in changes if c.location is not None), None)
    if where is not None:
        lines.append(("位置", str(where)))
    return Entry(title, "", tuple(lines))


def _change_lines(change: PolicyChange) -> list[tuple[str, str]]:
    label = LABELS[change.kind] + (f" {change.field}" if change.field and change.kind in (
        ChangeKind.POLICY, ChangeKind.SETTING, ChangeKind.FACT, ChangeKind.PARAMETER, ChangeKind.PROVENANCE) else "")
    before, after = change.before or "（无）", change.after or "（无）"
    if len(before) + len(after) <= SHORT:
        return [(label, f"{before} → {after}")]
    return [(f"{label}（旧）", before), (f"{label}（新）", after)]


def _scores(scores: ScoreDiff) -> Section:
    result = scores.comparison.after
    names = {n.id: n.name for n in scores.comparison.nodes}
    paragraphs = []
    if not scores.causes:
        paragraphs.append(f"两个版本在这份事实文件上各指标得分相同（总分 {score(result, result.total)}）。")
    if scores.unchanged:
        kept = "、".join(f"{i} {names.get(i, '')}".rstrip() for i in scores.unchanged)
        paragraphs.append(f"规则或分值有变化、但在这份事实文件上得分没有变的指标：{kept}。")
    entries = tuple(_cause(scores, c, names) for c in scores.causes)
    return Section("得分变化及其原因", tuple(paragraphs), entries=entries)


def _cause(scores: ScoreDiff, cause: Cause, names: dict[str, str]) -> Entry:
    before, after = scores.comparison.before, scores.comparison.after
    node = cause.node
    old = score(before, node.before.score) if node.before else "（无）"
    new = score(after, node.after.score) if node.after else "（无）"
    lines = [("得分", f"{old} → {new}")]
    lines += [(f"原因：{label}", text) for change in cause.changes for label, text in _change_lines(change)]
    deltas = {n.id: n.delta for n in scores.comparison.nodes}
    lines += [("原因：下级指标", f"{child} {names[child]}（{signed(after, deltas[child] or Decimal(0))}）")
              for child in cause.children]
    for change in scores.comparison.deductions:
        if change.deduction.indicator_id == node.id and change.before and change.after:
            lines += [("原计算", change.before.computation), ("新计算", change.after.computation)]
    badge = signed(after, node.delta) if node.delta is not None else ""
    return Entry(f"{node.name}（{node.id}）", badge, tuple(lines), (), "gain" if (node.delta or 0) > 0 else "lost")
