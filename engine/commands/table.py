"""``jixiao table`` (a policy → its 评分标准表) and ``jixiao import`` (a 评分标准表 → a draft policy).

Registered in :mod:`engine.commands.main` with one line; output goes through the checked writer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import click

import engine
from engine.authoring.importer import TableError, draft_policy, dump_draft, text_rows
from engine.authoring.wording import Conventions
from engine.commands.failures import DataError
from engine.commands.output import OutputTarget, check_output, write_output
from engine.commands.views import emit, output_option
from engine.errors import ErrorCode, JixiaoError, SourceLocation
from engine.loader import read_bytes
from engine.render.table import render_table_html, render_table_markdown, scoring_table
from engine.source import decode

__all__ = ["COMMANDS"]

_COUNTING = click.Choice(["fractional", "whole", "partial"])


@click.command(name="table")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "xlsx"]), default="markdown",
              show_default=True, help="markdown（贴入 Word）、html（单个网页，可打印）或 xlsx（Excel）。")
@output_option(help_text="写入此文件（原子写入）；不写或写 - 则输出到标准输出（xlsx 必须写文件）。")
def table_command(policy: Path, fmt: Literal["markdown", "html", "xlsx"], output: OutputTarget | None) -> None:
    """把指标体系 POLICY 输出为财政部门发布的评分标准表：一级/二级/三级指标、分值、评分标准（规则原文）、备注。"""
    if fmt == "xlsx" and output is None:
        raise click.UsageError("xlsx 格式必须用 --output 指定文件")
    try:
        page = scoring_table(engine.load_policy(policy))
        data: str | bytes
        if fmt == "xlsx":
            from engine.excel.scoring_table import table_workbook

            data = table_workbook(page)
        else:
            data = render_table_markdown(page) if fmt == "markdown" else render_table_html(page)
    except JixiaoError as err:
        raise DataError(err) from None
    emit(data, output)


@click.command(name="import")
@click.argument("table", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output", "-o", "output", required=True, help="写入的指标体系草稿（YAML，原子写入）。")
@click.option("--id", "policy_id", default=None, help="指标体系 id（默认取自文件名）。")
@click.option("--name", default=None, help="指标体系名称（默认取自文件名）。")
@click.option("--issuer", default="（待填写）", show_default=True, help="发布机关。")
@click.option("--fiscal-year", type=click.IntRange(1990, 2100), default=None, help="年度（默认取文件名中的年份）。")
@click.option("--per-point-counting", type=_COUNTING, default="fractional", show_default=True,
              help="“每超过一个百分点扣…”未写明不足一个百分点如何计时采用的约定。")
@click.option("--step-counting", type=_COUNTING, default="whole", show_default=True,
              help="“每低于5%扣…”未写明不足一步如何计时采用的约定。")
def import_command(table: Path, output: str, policy_id: str | None, name: str | None, issuer: str,
                   fiscal_year: int | None, per_point_counting: str, step_counting: str) -> None:
    """读取评分标准表 TABLE（.xlsx、.csv，或从 Word 复制的 Markdown / 制表符分隔文本），写出指标体系草稿。

    每条评分标准原样保留（provenance: official），并解析为规则类型和参数；读不完整的规则标记为
    needs_review（jixiao check 会拒绝），原文未写明而按约定补上的参数在 note 中注明“推断”。
    """
    year = fiscal_year or _year(table.stem)
    if year is None:
        raise click.BadParameter("文件名中没有年份，请用 --fiscal-year 指定", param_hint="--fiscal-year")
    conventions = Conventions(per_point=per_point_counting, step=step_counting)  # type: ignore[arg-type]
    ident = policy_id or (re.sub(r"[^A-Za-z0-9._-]+", "-", table.stem).strip("-._") or "imported")
    try:
        target = check_output("--output", output)
        data = read_bytes(table)
        if table.suffix.lower() == ".xlsx":
            from engine.excel.scoring_table import read_table_rows

            rows = read_table_rows(data, str(table))
        else:
            rows = text_rows(decode(data, str(table)), csv_format=table.suffix.lower() == ".csv")
        try:
            draft = draft_policy(rows, policy_id=ident if ident[0].isalnum() else f"p{ident}",
                                 name=name or table.stem, issuer=issuer, fiscal_year=year, conventions=conventions)
        except TableError as err:
            raise JixiaoError(ErrorCode.SOURCE_SYNTAX, str(err), SourceLocation(str(table), err.row, 1)) from None
        write_output(target, dump_draft(draft, table.name, conventions))
    except JixiaoError as err:
        raise DataError(err) from None
    scored = _count(draft.document["indicators"])
    counts = f"{len(draft.review)} 条待复核，{len(draft.findings)} 条需要注意，{len(draft.inferred)} 处推断"
    click.echo(f"已写入 {output}：{scored} 个计分指标，{counts}", err=True)
    for kind, items in (("待复核", draft.review), ("需要注意", draft.findings)):
        for finding in items:
            click.echo(f"{table}:{finding.row}: {kind}：{finding.message}", err=True)


def _year(stem: str) -> int | None:
    m = re.search(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", stem)
    return int(m.group(1)) if m else None


def _count(nodes: list[dict[str, Any]]) -> int:
    return sum(_count(n["children"]) if "children" in n else 1 for n in nodes)


COMMANDS = (table_command, import_command)
