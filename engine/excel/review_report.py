"""A review, or a batch of review records, → an .xlsx report (stage: render; pure).

One fact file (:func:`review_workbook`), sheets in order: 复核表 (every indicator and the total: 分值 /
填报得分 / 复核得分 / 差异 / 差异类型 / 说明), 差异明细 (each finding with the rule's trace: wording,
computation, threshold, points), 复核调整 (only when the review has reviewer adjustments) and 事实 (as
in the score workbook). A batch (:func:`review_batch_workbook`): 汇总 (one row per unit, in the order
of the text summary) and 差异明细 (every unit's findings, unit first).

Both are built from the JSON shapes (``review_dict`` and the batch records of ``review_record``, whose
``details`` are the same finding objects), so the workbook, ``--format json`` and the JSON Lines always
say the same numbers. Each number is the JSON's decimal text turned back into an exact number and shown
with exactly the places that text has (``0.310``, ``4.00``); the same review gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from engine import decimals
from engine.excel.report import FACT_COLUMNS, fact_rows
from engine.excel.sheets import Column, first_sheet, new_book, number, save_book, write_table
from engine.identity import forced_text
from engine.render.batch_records import error_line
from engine.render.common import KIND_NAMES, PROVENANCE_NAMES
from engine.render.page_review import ADJUSTMENT_KINDS, KIND_TITLES
from engine.render.review_json import review_dict
from engine.render.review_records import sort_records
from engine.views.review import Review
from engine.views.review_findings import FindingKind

__all__ = ["ADJUSTMENTS", "FINDINGS", "REVIEW", "SUMMARY", "finding_rows", "review_batch_workbook",
           "review_workbook"]

REVIEW, FINDINGS, ADJUSTMENTS, FACTS, SUMMARY = "复核表", "差异明细", "复核调整", "事实", "汇总"
FINDING_TITLES = {**KIND_TITLES, FindingKind.RULE: "填报得分与规则得分不符", FindingKind.ROUNDING: "舍入差异"}
ADJUSTED = Column("复核调整后得分", 12)
REVIEW_COLUMNS = (Column("指标编号", 10), Column("指标", 48, True), Column("分值", 9), Column("填报得分", 10),
                  Column("复核得分", 10), Column("差异", 9), Column("差异类型", 14, True), Column("说明", 16, True),
                  Column("填报位置", 30))
FINDING_COLUMNS = (Column("序号", 6), Column("指标编号", 10), Column("指标", 30, True), Column("差异类型", 12),
                   Column("发现", 22, True), Column("计为差异", 8), Column("填报得分", 10), Column("对照值", 10),
                   Column("差异", 9), Column("已在他处报告", 12), Column("填报位置", 30), Column("说明", 44, True),
                   Column("扣分指标", 36, True), Column("规则", 12), Column("规则类型", 10), Column("依据", 10),
                   Column("规则原文", 48, True), Column("事实", 48, True), Column("计算", 48, True),
                   Column("阈值", 20, True), Column("扣分", 9), Column("规则位置", 30))
ADJUSTMENT_COLUMNS = (Column("指标编号", 10), Column("指标", 30, True), Column("类型", 14), Column("调整值", 9),
                      Column("理由", 44, True), Column("复核人", 10), Column("计算", 40, True),
                      Column("调整前", 10), Column("调整后", 10), Column("变动", 9), Column("位置", 36))
SUMMARY_COLUMNS = (Column("序号", 6), Column("事实文件", 36, True), Column("单位", 28, True), Column("填报总分", 10),
                   Column("复核总分", 10), Column("差异", 9), Column("差异项数", 9), Column("舍入差异项数", 12),
                   Column("结论", 30, True), Column("错误", 48, True))
UNIT_COLUMNS = (Column("单位", 24, True), Column("事实文件", 30, True))
_TRACE_WIDTH = 10  # 扣分指标 … 规则位置: the columns a deduction fills
_FINDING_WIDTH = len(FINDING_COLUMNS) - _TRACE_WIDTH


def review_workbook(view: Review) -> bytes:
    """The review as .xlsx bytes: 复核表, 差异明细, 复核调整 (with adjustments) and, given the facts, 事实."""
    data: Mapping[str, Any] = review_dict(view)
    names = {n.id: n.name for n in view.result.nodes()}
    book = new_book()
    review_sheet(first_sheet(book), view, data)
    write_table(book.create_sheet(FINDINGS), FINDING_COLUMNS, finding_rows(data["findings"], names))
    if data["adjustments"]:
        write_table(book.create_sheet(ADJUSTMENTS), ADJUSTMENT_COLUMNS,
                    [_adjustment_row(a) for a in data["adjustments"]])
    if view.facts is not None:
        write_table(book.create_sheet(FACTS), FACT_COLUMNS, fact_rows(view.facts))
    return save_book(book)


def _exact(text: str | None) -> Any:
    """A JSON decimal text (``"0.310"``) as an exact number shown with the places the text has.

    >>> _exact("0.310"), _exact("-1.000"), _exact(None)
    ((Decimal('0.31'), '0.000'), (Decimal('-1'), '0.000'), None)
    """
    if text is None:
        return None
    places = decimals.places_of(Decimal(text))
    return number(Decimal(text), places, places)


def review_sheet(ws: Any, view: Review, data: Mapping[str, Any]) -> None:
    """The 复核表: a title block, then one row per indicator (indented by depth), then the total."""
    from openpyxl.styles import Alignment, Font

    ws.title = REVIEW
    result, claimed = view.result, data["claimed_total"]
    head = [f"{result.department} {result.title}：得分复核", f"指标体系：{result.policy_name}",
            f"{result.policy_id} 版本 {result.policy_version}，摘要 {result.policy_digest[:16]}",
            f"事实文件：{result.facts_file}", f"结论：{view.verdict}",
            f"填报总分：{claimed['value'] if claimed else '未填报'}",
            f"复核得分（按规则）：{_with_unseen(data['computed_total'], data['unseen_total'])} / {data['max']}"]
    if view.adjustments:
        head.append(f"复核调整后总分：{_with_unseen(data['adjusted_total'], data['unseen_total'])}"
                    f"（复核调整 {len(view.adjustments)} 项，另列于「{ADJUSTMENTS}」表）")
    if view.forced:
        head.append(f"身份：{forced_text(view.forced)}")
    for row, text in enumerate(head, start=1):
        ws.cell(row, 1, text)
    ws["A1"].font = Font(bold=True, size=14)
    start, adjusted = len(head) + 2, bool(view.adjustments)
    columns = (*REVIEW_COLUMNS[:6], *((ADJUSTED,) if adjusted else ()), *REVIEW_COLUMNS[6:])
    rows = [_line_row(line, data["findings"], adjusted) for line in data["lines"]]
    after = write_table(ws, columns, rows, start)
    for offset, line in enumerate(data["lines"], start=start + 1):
        ws.cell(offset, 2).alignment = Alignment(wrap_text=True, vertical="top", indent=line["depth"])
    for column in range(1, len(columns) + 1):
        ws.cell(after - 1, column).font = Font(bold=True)
    ws.print_title_rows = f"{start}:{start}"
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", 9  # 9: A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for row, label in enumerate(("复核人：", "日期："), start=after + 1):
        ws.cell(row, 2, label)


def _line_row(line: Mapping[str, Any], findings: Sequence[Mapping[str, Any]], adjusted: bool) -> list[Any]:
    kinds = "；".join(dict.fromkeys(f["category"] for f in findings if f["indicator"] == line["id"]))
    claim = line["claimed"]
    return [line["id"], line["name"], _exact(line["max"]) if line["max"] is not None else "—",
            _exact(claim["value"]) if claim else None, _score(line, "computed"), _exact(line["difference"]),
            *((_score(line, "adjusted"),) if adjusted else ()), kinds or None, line["status"] or None,
            claim["source"] if claim else None]


def _with_unseen(text: str, unseen: str | None) -> str:
    return f"{text} + 未见 {unseen}" if unseen else text


def _score(line: Mapping[str, Any], key: str) -> Any:
    """A row's score cell: a number; ``未见`` for an unseen row; ``20.00 + 未见 10.00`` (text) above one."""
    if line["unseen"]:
        return "未见"
    if line["unseen_points"]:
        return _with_unseen(line[key], line["unseen_points"])
    return _exact(line[key])


def finding_rows(findings: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[list[Any]]:
    """The 差异明细 rows of one unit: each finding, with a row per deduction of its rule's trace.

    A finding's numbers are on its first row only (so that a sum over 差异 counts each once); the rows
    of its further deductions repeat 序号, 指标编号, 指标 and 差异类型. ``names``: indicator names by id.
    """
    rows: list[list[Any]] = []
    for index, f in enumerate(findings, start=1):
        claim = f["claimed"]
        head = [index, f["indicator"], f["name"], f["category"]]
        explained = f["explained"] if f["explained"] and Decimal(f["explained"]) else None
        first = [*head, FINDING_TITLES[FindingKind(f["kind"])], "是" if f["counts"] else "否",
                 _exact(claim["value"]), _exact(f["expected"]), _exact(f["difference"]), _exact(explained),
                 claim["source"], _note(f)]
        traces = [_trace(d, names) for d in f["deductions"]] or [[None] * _TRACE_WIDTH]
        rows.append([*first, *traces[0]])
        rows.extend([*head, *[None] * (_FINDING_WIDTH - len(head)), *trace] for trace in traces[1:])
    return rows


def _note(f: Mapping[str, Any]) -> str | None:
    """What the finding compares, in words: the rows summed, the bounds, the rounding or the full marks."""
    lines: list[str] = []
    if f["parts"]:
        total = sum((Decimal(p["value"]) for p in f["parts"]), Decimal(0))
        lines.append(f"各项合计：{' + '.join(p['value'] for p in f['parts'])} = {decimals.fmt(total)}"
                     + (f"，封顶 {f['expected']}" if Decimal(f["expected"]) < total else ""))
        lines += [f"其中：{p['name']}（{p['id']}）{p['value']}" + (f"（{p['source']}）" if p["source"] else
                                                              "（未填报，按其下级填报得分合计）") for p in f["parts"]]
    if (bound := f["bound"]) is not None:
        extra = f"，加分上限 {bound['bonus']}" if Decimal(bound["bonus"]) else ""
        weight = bound["weight"] or "—"
        lines.append(f"可得范围：{bound['floor']} 至 {bound['ceiling']}（分值 {weight}{extra}）")
    if f["kind"] == FindingKind.ROUNDING:
        shown = decimals.fmt(Decimal(f["expected"]) + Decimal(f["explained"]))
        lines.append(f"规则得分 {shown} 按指标体系的舍入方式保留到自评表的小数位数即为填报的 {f['claimed']['value']}，"
                     "不计为差异")
    if f["kind"] in (FindingKind.RULE, FindingKind.ROUNDING) and not f["deductions"]:
        lines.append("范围内规则均不扣分")
    lines += [f"满分项：{n['name']}（{n['id']}）{n['score']}：{n['computation'] or '得满分'}" for n in f["full_marks"]]
    return "\n".join(lines) or None


def _trace(d: Mapping[str, Any], names: Mapping[str, str]) -> list[Any]:
    name = names.get(d["indicator"])
    label = " › ".join((*d["path"], *((name,) if name else ()))) + f"（{d['indicator']}）"
    facts = "\n".join(line for fact in d["facts"] for line in _fact_lines(fact))
    return [label + (f"（{d['item']}）" if d["item"] else ""), d["rule"], KIND_NAMES.get(d["kind"], d["kind"]),
            PROVENANCE_NAMES.get(d["provenance"], d["provenance"]), d["wording"], facts or None,
            d["computation"], d["threshold"], _exact(d["points"]), d["rule_source"]]


def _fact_lines(fact: Mapping[str, Any]) -> list[str]:
    r"""A fact a rule read (its JSON shape) as the score workbook's 事实 column writes it.

    >>> _fact_lines({"name": "执行率", "value": "84.48", "unit": "%", "source": "f.yaml:3", "derivation": None,
    ...              "quote": "执行率 84.48%"})
    ['执行率 = 84.48%（f.yaml:3）', '\u3000原文摘录：执行率 84.48%']
    >>> _fact_lines({"name": "已公开", "value": True, "unit": None, "source": None, "derivation": None, "quote": None})
    ['已公开 = 是']
    """
    value, unit = fact["value"], fact["unit"] or ""
    shown = ("是" if value else "否") if isinstance(value, bool) else str(value)
    shown = f"{shown}{unit}" if unit == "%" else f"{shown} {unit}".rstrip()
    where = f"（{fact['source']}）" if fact["source"] else ""
    derived = f"；{fact['derivation']}" if fact["derivation"] else ""
    return [f"{fact['name']} = {shown}{where}{derived}", *((f"　原文摘录：{fact['quote']}",) if fact["quote"] else ())]


def _adjustment_row(a: Mapping[str, Any]) -> list[Any]:
    kind = ADJUSTMENT_KINDS[a["kind"]] + ("（%）" if a["kind"] == "coefficient" else "（分）")
    return [a["indicator"], a["name"], kind, _exact(a["value"]), a["reason"], a["reviewer"], a["computation"],
            _exact(a["before"]), _exact(a["after"]), _exact(a["delta"]), a["source"]]


def review_batch_workbook(records: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> bytes:
    """The batch review as .xlsx bytes: 汇总 (as the text summary sorts), then 差异明细.

    ``names``: the policy's indicator names by id, for the deductions' indicators.
    """
    ordered: list[Mapping[str, Any]] = sort_records(records)
    book = new_book()
    ws = first_sheet(book)
    ws.title = SUMMARY
    write_table(ws, SUMMARY_COLUMNS, [_summary_row(i, r) for i, r in enumerate(ordered, start=1)])
    rows = [[r["department"], r["file"], *row] for r in ordered if "error" not in r
            for row in finding_rows(r["details"], names)]
    write_table(book.create_sheet(FINDINGS), (*UNIT_COLUMNS, *FINDING_COLUMNS), rows)
    return save_book(book)


def _summary_row(index: int, record: Mapping[str, Any]) -> list[Any]:
    if "error" in record:
        return [index, record["file"], *[None] * 7, error_line(record)]
    verdict = record["verdict"] + ("（--force）" if record["forced"] else "")
    return [index, record["file"], record["department"], _exact(record["claimed_total"]),
            _with_unseen(record["computed_total"], record["unseen_total"]) if record.get("unseen_total")
            else _exact(record["computed_total"]), _exact(record["difference"]), record["findings"], record["rounding"],
            verdict, None]
