"""jixiao command line: the only place that prints, reads argv or exits.

The view commands (explain, recover, whatif, diff) are in :mod:`engine.commands.views`, output files in
:mod:`engine.commands.output`, error reporting and the last line of defence in
:mod:`engine.commands.failures`.
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import click
from rich.console import Console

import engine
from engine.commands import batch as jixiao_batch
from engine.commands import click_zh
from engine.commands.engines import Engine, engine_from, engine_options, run_files, run_fuzz
from engine.commands.failures import Commands, DataError
from engine.commands.init import init as init_command
from engine.commands.output import OutputTarget, check_output, write_output
from engine.commands.table import COMMANDS as TABLE_COMMANDS
from engine.commands.views import BACKENDS, VIEW_COMMANDS, emit, output_option
from engine.errors import ErrorCode, JixiaoError
from engine.facts import refuse_findings
from engine.firing.backends import Backend
from engine.firing.worker import ProcessBackend
from engine.identity import IdentityMismatch, check_identity, forced_records, forced_text
from engine.loader import facts_from_document, read_document
from engine.render.batch_records import error_line, record_line, summarise
from engine.render.html import render_page_html
from engine.render.json import result_dict
from engine.render.page_score import score_page
from engine.trace import Result

MAX_JOBS = 256  # each is a process: more than this is a typo, and forking 10⁵ of them would take the machine down
MAX_TIMEOUT = 86_400.0  # one day; the worker's deadline arithmetic needs a finite number
MAX_EXAMPLES = 1_000_000

RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": engine.render_text,
    "json": engine.render_json,
    "markdown": engine.render_markdown,
    "html": lambda result: render_page_html(score_page(result)),
}


click_zh.install()  # Click's own messages (usage errors, --help) in Chinese


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jixiao")
def main() -> None:
    """jixiao（绩效）：按声明式指标体系为部门整体支出绩效自评打分，并解释每一分扣在哪里。"""


@main.command()
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(sorted([*RENDERERS, "xlsx"])), default="text", show_default=True,
              help="输出格式：text（中文报告）、json（机器读取）、markdown（贴入自评报告）、"
                   "html（单个网页文件，可按 A4 打印）、"
                   "xlsx（Excel 工作簿：自评表、扣分明细、事实；须用 --output 指定文件；批量模式写 --out）。")
@output_option()
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="durable", show_default=True,
              help="规则触发引擎：durable（durable_rules）或 native（Python 对照实现）。")
@output_option("out", None, "批量模式：每个事实文件一行 JSON（按路径排序），原子写入此文件（同 --output 的规则）；"
                           "文件名以 .xlsx 结尾（或给出 --format xlsx）时写 Excel 工作簿："
                           "汇总（按总分排名）、扣分明细。")
@click.option("--jobs", "-j", type=click.IntRange(1, MAX_JOBS), default=None,
              help=f"批量模式的进程数（最多 {MAX_JOBS}）；默认用全部 CPU 核。")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=MAX_TIMEOUT), default=None,
              callback=lambda _ctx, param, value: _finite(param, value),
              help=f"在单独的工作进程中触发规则，超过此秒数（最多 {MAX_TIMEOUT:g}）即终止并替换该进程"
                   "（firing.timeout）；默认在本进程内执行。")
@click.option("--force", is_flag=True,
              help="事实文件写明的指标体系、版本或年度与所用指标体系不符时仍然打分（结果中注明）。")
@click.option("--strict", is_flag=True,
              help="把事实文件的发现（severity: warning 的约束不成立）当作错误：列出并以状态 1 退出。")
@engine_options
def score(policy: Path, facts: tuple[str, ...], fmt: str, output: OutputTarget | None, backend: str,
          out: OutputTarget | None, jobs: int | None, timeout: float | None, force: bool, strict: bool,
          engine_name: str, address: str | None) -> None:
    """按指标体系 POLICY 为事实文件 FACTS 打分。

    FACTS 可以是多个文件、目录或通配符（如 'facts/*.yaml'）：此时（或给出 --out 时）进入批量模式，
    指标体系只编译一次，多进程评分，结果按路径排序写成 JSON Lines，最后输出汇总表。
    """
    factory = BACKENDS[backend] if timeout is None else functools.partial(ProcessBackend, BACKENDS[backend], timeout)
    where = engine_from(engine_name, address)
    if out is not None or jixiao_batch.is_batch(facts) or where.name != "local":
        xlsx = fmt == "xlsx" or (out is not None and out.given.lower().endswith(".xlsx"))
        if output is not None or fmt not in ("text", "xlsx") or (xlsx and out is None):
            raise click.UsageError("批量模式输出 JSON Lines 或 Excel：请用 --out 指定结果文件"
                                   "（.xlsx 或 --format xlsx 写 Excel），不要用 --output，--format 只可为 xlsx")
        if strict:
            raise click.UsageError("批量模式不支持 --strict：发现记录在每一行结果的 findings 中")
        _score_batch(policy, facts, out, factory, jobs, force, xlsx, where)
        return
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx 写的是 Excel 工作簿：请用 --output 指定 .xlsx 文件")
    firing = factory()
    try:
        compiled = engine.load_policy(policy)
        doc = read_document(facts[0])
        forced = check_identity(doc, compiled, force=force)
        found = facts_from_document(doc, compiled)
        result = engine.evaluate(compiled, refuse_findings(found) if strict else found, backend=firing)
    except JixiaoError as err:
        raise DataError(err) from None
    finally:
        if isinstance(firing, ProcessBackend):
            firing.close()
    if fmt == "xlsx":
        from engine.excel.report import score_workbook

        emit(score_workbook(result, found), output)
        return
    emit(with_forced(fmt, result, forced) if forced else RENDERERS[fmt](result), output)


def with_forced(fmt: str, result: Result, forced: tuple[IdentityMismatch, ...]) -> str:
    """A score report that says which identity mismatches ``--force`` let through."""
    if fmt == "json":
        data = {**result_dict(result), "forced": forced_records(forced)}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    note = forced_text(forced)
    return (f"> **注意**：{note}\n\n" if fmt == "markdown" else f"注意：{note}\n") + RENDERERS[fmt](result)


def _finite(param: click.Parameter, value: float | None) -> float | None:
    """Reject NaN, which passes every range comparison."""
    if value is not None and math.isnan(value):
        raise click.BadParameter("应为正数（秒），得到 nan", param=param)
    return value


def _score_batch(policy: Path, args: tuple[str, ...], out: OutputTarget | None, backend: Callable[[], Backend],
                 jobs: int | None, force: bool, xlsx: bool, where: Engine) -> None:
    compiled, paths = jixiao_batch.batch_inputs(policy, args, out.given if out else None)
    console = Console(stderr=True)
    with jixiao_batch.with_progress(console, len(paths)) as tick:
        records = run_files(where, compiled, paths, backend, jobs, tick,
                            functools.partial(jixiao_batch.score_task, force=force))
    if xlsx:
        from engine.excel.batch_report import batch_workbook

        emit(batch_workbook(records), out)
    else:
        emit("".join(record_line(r) for r in records), out)
    summary = summarise(records)
    Console(stderr=out is None, soft_wrap=True).print(jixiao_batch.summary_table(summary))
    for record in records:
        if (line := error_line(record)) is not None:
            click.echo(line, err=True)
    if summary.failed:
        sys.exit(1)



@main.command()
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--strict", is_flag=True, help="事实文件的发现（severity: warning 的约束不成立）也算作错误。")
def check(policy: Path, facts: Path | None, strict: bool) -> None:
    """检查指标体系 POLICY（以及事实文件 FACTS）：结构、分值合计、档次、单位、舍入等，一次报告全部问题。

    事实文件的发现（severity: warning）列在结果之后，不算失败；--strict 时算作错误。
    """
    found = None
    try:
        compiled = engine.load_policy(policy)
        if facts is not None:
            found = engine.read_facts(facts, compiled)
            if strict:
                refuse_findings(found)
    except JixiaoError as err:
        raise DataError(err) from None
    nodes = list(compiled.nodes())
    rules = sum(1 for n in nodes if n.leaf)
    click.echo(f"检查通过：{policy}（{len(nodes)} 个指标、{rules} 条规则、{len(compiled.facts)} 个事实）未发现问题"
               + (f"；事实文件 {facts} 有效" if facts is not None else ""))
    if found is not None and found.findings:
        click.echo(f"发现（不影响得分，--strict 时视为错误）：共 {len(found.findings)} 项")
        for i, finding in enumerate(found.findings, 1):
            click.echo(f"  {i}. {finding.text()}")


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", "show_coverage", is_flag=True, help="报告每个指标体系的规则分支覆盖情况。")
@click.option("--min-coverage", type=click.FloatRange(0, 100), default=None,
              help="分支覆盖率低于此百分比时失败（隐含 --coverage）。")
def test_cases(paths: tuple[Path, ...], show_coverage: bool, min_coverage: float | None) -> None:
    """运行金标准用例文件（默认 tests/cases 下全部 *.yaml），逐项报告期望与实际。"""
    from engine.authoring.case_runner import run_paths

    report = run_paths(paths or (Path("tests/cases"),))
    for line in report.lines:
        click.echo(line)
    ok = report.failed == 0 and not report.errors
    if show_coverage or min_coverage is not None:
        for cov in report.coverage:
            click.echo(f"覆盖率 {cov.policy}：{cov.total - len(cov.missed)}/{cov.total} 个分支（{cov.percent:.1f}%）")
            for label in cov.missed:
                click.echo(f"  未覆盖：{label}")
            if min_coverage is not None and cov.percent < min_coverage:
                click.echo(f"  低于要求的 {min_coverage:g}%")
                ok = False
    if not ok:
        raise SystemExit(1)


@main.command()
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--examples", type=click.IntRange(1, MAX_EXAMPLES), default=200, show_default=True,
              help=f"生成的事实文件个数（最多 {MAX_EXAMPLES}）。")
@click.option("--seed", type=int, default=None, help="随机种子（可复现）；不写则使用确定的派生序列。")
@engine_options
def fuzz(policy: Path, examples: int, seed: int | None, engine_name: str, address: str | None) -> None:
    """用由指标体系推导出的随机事实文件检查不变式；失败时输出缩小后的反例（可直接保存为用例文件）。"""
    import time

    from engine.authoring.fuzz import counterexample_case

    where = engine_from(engine_name, address)
    try:
        compiled = engine.load_policy(policy)
    except JixiaoError as err:
        raise DataError(err) from None
    start = time.perf_counter()
    report = run_fuzz(where, compiled, examples, seed)
    seconds = time.perf_counter() - start
    click.echo(f"运行了 {report.examples} 个样例（{report.summary()}），用时 {seconds:.1f} 秒", err=True)
    if report.document is None and report.valid == 0:
        click.echo(f"没有生成有效的事实文件，不变式未得到检验：{policy}", err=True)
        raise SystemExit(1)
    if report.document is None:
        click.echo(f"全部不变式成立：{policy}", err=True)
        return
    click.echo(counterexample_case(compiled, str(policy), report), nl=False)
    raise SystemExit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="监听端口。")
@click.option("--db", "db_url", default=None, help="数据库 URL（默认 jixiao-data/ 下的 SQLite；PostgreSQL 写 "
              "postgresql+psycopg://用户:密码@主机/库）。")
@click.option("--policies", "policies_dir", default="policies", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="自带指标体系所在目录。")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(0, 64),
              help="工作进程数（durable_rules 不是线程安全的，服务靠多进程扩展）；0 表示每个 CPU 核一个。")
def serve(host: str, port: int, db_url: str | None, policies_dir: Path, workers: int) -> None:
    """启动 HTTP 服务（FastAPI + uvicorn）；令牌由环境变量 JIXIAO_TOKEN 提供。

    启动前先在本进程中打开一次数据库：URL 写错、驱动缺失或数据库打不开时给出中文错误，不启动服务。
    """
    try:  # the service's dependencies are the optional `service` extra
        import uvicorn

        from engine.service import main as service_main  # noqa: F401  (FastAPI, SQLAlchemy, Alembic)
    except ModuleNotFoundError as err:
        click.echo(f"错误：需要安装服务组件：pip install 'jixiao[service]'（缺少 {err.name}）", err=True)
        raise SystemExit(1) from None

    from engine.commands.database import DB_OPTION, check_database, masked

    os.environ["JIXIAO_POLICIES"] = str(policies_dir)
    if db_url is not None:
        if not db_url.strip():
            raise click.BadParameter("数据库 URL 为空；不写 --db 则使用 jixiao-data/ 下的 SQLite", param_hint=DB_OPTION)
        os.environ["JIXIAO_DB"] = db_url
    try:
        check_database(_service_db_url(), given=db_url is not None)
    except JixiaoError as err:
        raise DataError(err, {DB_OPTION: [f"{DB_OPTION} {masked(db_url)}"]} if db_url else None) from None
    workers = workers or os.cpu_count() or 1
    uvicorn.run("engine.service.main:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", timeout_graceful_shutdown=5)


def _service_db_url() -> str:
    """The URL the service will use (its own configuration reader; the default folder is created here)."""
    from engine.service.main import config_from_env

    try:
        return config_from_env().db_url
    except OSError as err:
        raise JixiaoError(ErrorCode.SERVICE_DATABASE,
                          f"无法创建默认数据目录 {err.filename or 'jixiao-data'}：{err.strerror or err}") from None
    except ValueError as err:
        raise click.UsageError(f"服务的环境变量配置有误：{err}") from None


@main.command()
@click.argument("kind", type=click.Choice(["policy", "facts", "case", "extends"]))
def schema(kind: Literal["policy", "facts", "case", "extends"]) -> None:
    """输出指标体系（policy）、事实文件（facts）、金标准用例文件（case）或继承文件（extends）格式的 JSON Schema，
    供编辑器校验和补全。
    """
    if kind == "case":
        from engine.authoring.cases import case_schema

        click.echo(case_schema(), nl=False)
        return
    click.echo(engine.json_schema(kind), nl=False)


for _command in VIEW_COMMANDS:
    main.add_command(_command)

main.add_command(init_command)  # init: a starting policy from a bundled standard (issue 13 §7)

for _command in TABLE_COMMANDS:  # table / import (issue 17): engine/commands/table.py
    main.add_command(_command)


# -- template: a fact-entry workbook for a policy (issue 15 §3; self-contained) ----------------------
@main.command(name="template")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="写入的 Excel 工作簿（.xlsx，原子写入）。")
def template_command(policy: Path, xlsx_path: Path) -> None:
    """为指标体系 POLICY 生成事实填报工作簿：每项事实一行，附单位、允许范围、说明和下拉选项。

    填好的工作簿可直接交给 score、explain、check 等命令，如 jixiao score POLICY 填好的.xlsx。
    """
    from engine.excel.template import fact_workbook

    if xlsx_path.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"文件名应以 .xlsx 结尾：{xlsx_path}", param_hint="--xlsx")
    try:
        target = check_output("--xlsx", str(xlsx_path))
        data = fact_workbook(engine.load_policy(policy))
    except JixiaoError as err:
        raise DataError(err) from None
    try:
        write_output(target, data)
    except JixiaoError as err:
        raise DataError(err) from None
    click.echo(f"已写入 {xlsx_path}（{len(data)} 字节）：填写后运行 jixiao score {policy} {xlsx_path}", err=True)


if __name__ == "__main__":
    sys.exit(main())


# -- review (engine/commands/review.py) ------------------------------------------------------
from engine.commands.review import review_command  # noqa: E402  (after the helpers it uses lazily)

main.add_command(review_command)
