"""``jixiao review``: check a self-evaluation's claimed scores against the rules (edge: command line).

One fact file gives the review page (text, Markdown, HTML, JSON); several files, a directory or a
glob give the batch summary, one row per unit sorted by the size of the difference, as text on
standard output and, with ``--out``, as JSON Lines (``.jsonl``), CSV (``.csv``) or an Excel workbook
(``.xlsx``, ``engine.excel.review_report``), which ``--format xlsx`` also writes for one file. The batch runs
on the batch scorer's process pool, so the output is the same bytes for any ``--jobs``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import click
from rich.console import Console

import engine
from engine.commands import batch as jixiao_batch
from engine.commands.engines import Engine, engine_from, engine_options, run_files
from engine.commands.failures import DataError
from engine.commands.output import OutputTarget
from engine.commands.views import BACKENDS, emit, output_option
from engine.errors import JixiaoError
from engine.firing.backends import Backend
from engine.json_values import JsonObject, JsonValue
from engine.loader import document_from_bytes, read_document
from engine.render.batch_records import error_line
from engine.render.html import render_page_html
from engine.render.page_markdown import render_page_markdown
from engine.render.page_review import review_page
from engine.render.page_text import render_page_text
from engine.render.review_json import review_json, review_record
from engine.render.review_records import records_csv, records_jsonl, sort_records, summary_page
from engine.views.review import Review, review_document

__all__ = ["review_command", "review_task"]

PAGES = {"text": render_page_text, "markdown": render_page_markdown, "html": render_page_html}
OUT_SUFFIXES = (".jsonl", ".csv", ".xlsx")
MAX_JOBS = 256  # as for batch scoring: each job is a process


def review_task(policy: engine.CompiledPolicy, backend: Backend, path: str, data: bytes, *,
                force: bool = False) -> JsonObject:
    """Review one fact file (named ``path``, its bytes ``data``) and return its batch record (in a batch worker)."""
    return review_record(review_document(policy, document_from_bytes(data, path), force=force, backend=backend))


@click.command(name="review")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json", "xlsx"]), default="text",
              show_default=True, help="单个文件的输出格式：text、markdown、html（单个自包含网页）、json、xlsx"
                                      "（Excel 工作簿：复核表、差异明细、复核调整、事实；须用 --output 指定文件）。")
@output_option()
@click.option("--adjustments", type=click.Path(dir_okay=False, path_type=Path),
              help="复核调整文件（复核人的酌情扣分或更正系数，附理由和复核人）；只用于单个事实文件。")
@click.option("--force", is_flag=True,
              help="事实文件写明的指标体系、版本或年度与所用指标体系不符时仍然复核（结果中注明）。")
@click.option("--report-only", is_flag=True, help="有差异时退出码仍为 0（默认有差异时为 1）。")
@output_option("out", None, "批量模式：把汇总写成 JSON Lines（.jsonl）、CSV（.csv）或 Excel 工作簿"
                          "（.xlsx：汇总、差异明细），原子写入（同 --output 的规则）。")
@click.option("--jobs", "-j", type=click.IntRange(1, MAX_JOBS), default=None,
              help=f"批量模式的进程数（最多 {MAX_JOBS}）；默认用全部 CPU 核。")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="durable", show_default=True,
              help="规则触发引擎：durable（durable_rules）或 native（Python 对照实现）。")
@engine_options
def review_command(policy: Path, facts: tuple[str, ...], fmt: str, output: OutputTarget | None,
                   adjustments: Path | None, force: bool, report_only: bool, out: OutputTarget | None,
                   jobs: int | None, backend: str, engine_name: str, address: str | None) -> None:
    """复核：把事实文件中填报的得分（claimed）与按指标体系 POLICY 算出的得分逐项对照。

    区分“与规则不符”（规则给出的得分不同，附规则的扣分追踪）和“表内算术”（上级与下级之和、总分与各项之和不符，
    超过分值或为负），舍入造成的差异单列、不计为差异。有差异时退出码为 1（--report-only 时为 0）。
    FACTS 为多个文件、目录或通配符时（或给出 --out 时）批量复核，输出每个单位一行的汇总表。
    """
    where = engine_from(engine_name, address)
    if out is not None or jixiao_batch.is_batch(facts) or where.name != "local":
        if output is not None or fmt != "text" or adjustments is not None:
            raise click.UsageError("批量复核只输出汇总表：请用 --out FILE.jsonl|FILE.csv|FILE.xlsx，不要用 --output/"
                                   "--format/--adjustments")
        if out is not None and Path(out.given).suffix not in OUT_SUFFIXES:
            raise click.UsageError(f"--out 的文件名应以 .jsonl、.csv 或 .xlsx 结尾：{out}")
        _batch(policy, facts, out, BACKENDS[backend], jobs, force, report_only, where)
        return
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx 写的是 Excel 工作簿：请用 --output 指定 .xlsx 文件")
    try:
        compiled = engine.load_policy(policy)
        extra = read_document(adjustments) if adjustments is not None else None
        view = review_document(compiled, read_document(facts[0]), adjustments=extra, force=force,
                               backend=BACKENDS[backend]())
    except JixiaoError as err:
        raise DataError(err) from None
    emit(_single(fmt, view), output)
    if not view.agrees and not report_only:
        sys.exit(1)


def _batch(policy: Path, args: tuple[str, ...], out: OutputTarget | None, backend: Callable[[], Backend],
           jobs: int | None, force: bool, report_only: bool, where: Engine) -> None:
    compiled, paths = jixiao_batch.batch_inputs(policy, args, out.given if out else None)
    task = functools.partial(review_task, force=force)
    with jixiao_batch.with_progress(Console(stderr=True), len(paths)) as tick:
        records = sort_records(run_files(where, compiled, paths, backend, jobs, tick, task))
    if out is not None:
        emit(_written(Path(out.given).suffix, records, compiled), out)
    click.echo(render_page_text(summary_page(records, f"{compiled.meta.id} 版本 {compiled.meta.version}")), nl=False)
    for record in records:
        if (line := error_line(record)) is not None:
            click.echo(line, err=True)
    failed = any("error" in r for r in records)
    differs = any(r.get("findings") for r in records)
    if failed or (differs and not report_only):
        sys.exit(1)


def _single(fmt: str, view: Review) -> str | bytes:
    if fmt == "xlsx":
        from engine.excel.review_report import review_workbook  # openpyxl only when a workbook is written

        return review_workbook(view)
    return review_json(view) if fmt == "json" else PAGES[fmt](review_page(view))


def _written(suffix: str, records: list[Mapping[str, JsonValue]], policy: engine.CompiledPolicy) -> str | bytes:
    if suffix == ".xlsx":
        from engine.excel.review_report import review_batch_workbook

        return review_batch_workbook(records, {n.id: n.name for n in policy.nodes()})
    return records_jsonl(records) if suffix == ".jsonl" else records_csv(records)
