"""jixiao command line: the only place that prints, reads argv or exits."""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

import engine
from engine.commands import batch as jixiao_batch
from engine.views import diff as policy_diff
from engine.views import explain
from engine.views import recover
from engine.views import scenario
from engine.views import whatif
from engine.render.batch_records import record_line, summarise
from engine.errors import JixiaoError, Problem
from engine.firing.backends import Backend, DurableBackend, NativeBackend
from engine.identity import IdentityMismatch, check_identity, forced_records, forced_text
from engine.loader import facts_from_document, read_document
from engine.render.json import result_dict
from engine.render.html import render_page_html
from engine.render.page import Page
from engine.render.page_diff import diff_page
from engine.render.page_explain import explain_page, recover_page
from engine.render.page_markdown import render_page_markdown
from engine.render.page_text import render_page_text
from engine.render.page_whatif import sweep_page, whatif_page
from engine.render.views_json import diff_json, explain_json, recover_json, sweep_json, whatif_json
from engine.trace import Result
from engine.firing.worker import ProcessBackend

RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": engine.render_text,
    "json": engine.render_json,
    "markdown": engine.render_markdown,
}
BACKENDS: dict[str, Callable[[], Backend]] = {"durable": DurableBackend, "native": NativeBackend}
PAGES: dict[str, Callable[[Page], str]] = {
    "text": render_page_text, "markdown": render_page_markdown, "html": render_page_html}
VIEW_FORMATS = ["text", "markdown", "html", "json"]


class DataError(click.ClickException):
    """A located problem in a policy or fact file (exit code 1).

    ``arguments`` holds the text of command-line "files" (``--set``, ``--sweep``), one argument a line,
    so a bad value given there gets the same snippet and caret as one in a file.
    """

    exit_code = 1

    def __init__(self, err: JixiaoError, arguments: dict[str, list[str]] | None = None) -> None:
        super().__init__(_format_problems(err.problems, arguments or {}))

    def show(self, file: object = None) -> None:
        click.echo(self.format_message(), err=True)


def _format_problems(problems: tuple[Problem, ...], arguments: dict[str, list[str]]) -> str:
    blocks = [f"错误：发现 {len(problems)} 个问题" if len(problems) > 1 else "错误："]
    for problem in problems:
        blocks.append(str(problem))
        blocks.extend(_snippet(problem, arguments))
    return "\n".join(blocks)


def _snippet(problem: Problem, arguments: dict[str, list[str]]) -> list[str]:
    """The offending line with a caret under the column (Dagster's ``source_error``)."""
    loc = problem.location
    if loc is None:
        return []
    try:
        lines = arguments.get(loc.file) or Path(loc.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if not 1 <= loc.line <= len(lines):
        return []
    text = lines[loc.line - 1]
    prefix = f"  {loc.line:>4} | "
    caret = " " * (len(prefix) + _columns(text[: loc.col - 1])) + "^"
    return [prefix + text, caret]


def _columns(text: str) -> int:
    from engine.render.common import width

    return width(text)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename: never a half-written file."""
    directory = path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jixiao")
def main() -> None:
    """jixiao（绩效）：按声明式指标体系为部门整体支出绩效自评打分，并解释每一分扣在哪里。"""


@main.command()
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
              help="输出格式：text（中文报告）、json（机器读取）、markdown（贴入自评报告）。")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件（原子写入：出错时不留下半个文件）；默认输出到标准输出。")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="durable", show_default=True,
              help="规则触发引擎：durable（durable_rules）或 native（Python 对照实现）。")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="批量模式：每个事实文件一行 JSON（按路径排序），原子写入此文件。")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="批量模式的进程数；默认用全部 CPU 核。")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="在单独的工作进程中触发规则，超过此秒数即终止并替换该进程（firing.timeout）；默认在本进程内执行。")
@click.option("--force", is_flag=True,
              help="事实文件写明的指标体系、版本或年度与所用指标体系不符时仍然打分（结果中注明）。")
def score(policy: Path, facts: tuple[str, ...], fmt: str, output: Path | None, backend: str, out: Path | None,
          jobs: int | None, timeout: float | None, force: bool) -> None:
    """按指标体系 POLICY 为事实文件 FACTS 打分。

    FACTS 可以是多个文件、目录或通配符（如 'facts/*.yaml'）：此时（或给出 --out 时）进入批量模式，
    指标体系只编译一次，多进程评分，结果按路径排序写成 JSON Lines，最后输出汇总表。
    """
    factory = BACKENDS[backend] if timeout is None else functools.partial(ProcessBackend, BACKENDS[backend], timeout)
    if out is not None or jixiao_batch.is_batch(facts):
        if output is not None or fmt != "text":
            raise click.UsageError("批量模式只输出 JSON Lines：请用 --out 指定结果文件，不要用 --output/--format")
        _score_batch(policy, facts, out, factory, jobs, force)
        return
    firing = factory()
    try:
        compiled = engine.load_policy(policy)
        doc = read_document(facts[0])
        forced = check_identity(doc, compiled, force=force)
        result = engine.evaluate(compiled, facts_from_document(doc, compiled), backend=firing)
    except JixiaoError as err:
        raise DataError(err) from None
    finally:
        if isinstance(firing, ProcessBackend):
            firing.close()
    text = with_forced(fmt, result, forced) if forced else RENDERERS[fmt](result)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


def with_forced(fmt: str, result: Result, forced: tuple[IdentityMismatch, ...]) -> str:
    """A score report that says which identity mismatches ``--force`` let through."""
    if fmt == "json":
        data = {**result_dict(result), "forced": forced_records(forced)}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    note = forced_text(forced)
    return (f"> **注意**：{note}\n\n" if fmt == "markdown" else f"注意：{note}\n") + RENDERERS[fmt](result)


def _score_batch(policy: Path, args: tuple[str, ...], out: Path | None, backend: Callable[[], Backend],
                 jobs: int | None, force: bool) -> None:
    paths = jixiao_batch.expand(args)
    if not paths:
        raise click.UsageError(f"没有找到事实文件：{' '.join(args)}")
    try:
        compiled = engine.load_policy(policy)
    except JixiaoError as err:
        raise DataError(err) from None
    console = Console(stderr=True)
    with jixiao_batch.with_progress(console, len(paths)) as tick:
        records = jixiao_batch.score_files(compiled, paths, backend, jobs or jixiao_batch.default_jobs(),
                                           tick, functools.partial(jixiao_batch.score_task, force=force))
    text = "".join(record_line(r) for r in records)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)
    summary = summarise(records)
    Console(stderr=out is None, soft_wrap=True).print(jixiao_batch.summary_table(summary))
    for record in records:
        if "error" in record:
            error = record["error"]
            click.echo(f"{error['location'] or record['file']}: {error['code']}: {error['message']}", err=True)
    if summary.failed:
        sys.exit(1)



@main.command()
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path), required=False)
def check(policy: Path, facts: Path | None) -> None:
    """检查指标体系 POLICY（以及事实文件 FACTS）：结构、分值合计、档次、单位、舍入等，一次报告全部问题。"""
    try:
        compiled = engine.load_policy(policy)
        if facts is not None:
            engine.read_facts(facts, compiled)
    except JixiaoError as err:
        raise DataError(err) from None
    nodes = list(compiled.nodes())
    rules = sum(1 for n in nodes if n.leaf)
    click.echo(f"检查通过：{policy}（{len(nodes)} 个指标、{rules} 条规则、{len(compiled.facts)} 个事实）未发现问题"
               + (f"；事实文件 {facts} 有效" if facts is not None else ""))


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
@click.option("--examples", type=click.IntRange(1), default=200, show_default=True, help="生成的事实文件个数。")
@click.option("--seed", type=int, default=None, help="随机种子（可复现）；不写则使用确定的派生序列。")
def fuzz(policy: Path, examples: int, seed: int | None) -> None:
    """用由指标体系推导出的随机事实文件检查不变式；失败时输出缩小后的反例（可直接保存为用例文件）。"""
    import time

    from engine.authoring.fuzz import counterexample_case
    from engine.authoring.fuzz import fuzz as run_fuzz

    try:
        compiled = engine.load_policy(policy)
    except JixiaoError as err:
        raise DataError(err) from None
    start = time.perf_counter()
    report = run_fuzz(compiled, examples, seed)
    seconds = time.perf_counter() - start
    click.echo(f"运行了 {report.examples} 个样例（有效 {report.valid} 个），用时 {seconds:.1f} 秒", err=True)
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
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="工作进程数（durable_rules 不是线程安全的，服务靠多进程扩展）。")
def serve(host: str, port: int, db_url: str | None, policies_dir: Path, workers: int) -> None:
    """启动 HTTP 服务（FastAPI + uvicorn）；令牌由环境变量 JIXIAO_TOKEN 提供。"""
    try:  # the service's dependencies are the optional `service` extra
        import uvicorn

        from engine.service import main as service_main  # noqa: F401  (FastAPI, SQLAlchemy, Alembic)
    except ModuleNotFoundError as err:
        click.echo(f"错误：需要安装服务组件：pip install 'jixiao[service]'（缺少 {err.name}）", err=True)
        raise SystemExit(1) from None

    os.environ["JIXIAO_POLICIES"] = str(policies_dir)
    if db_url:
        os.environ["JIXIAO_DB"] = db_url
    uvicorn.run("engine.service.main:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", timeout_graceful_shutdown=5)


@main.command()
@click.argument("kind", type=click.Choice(["policy", "facts"]))
def schema(kind: str) -> None:
    """输出指标体系（policy）或事实文件（facts）格式的 JSON Schema，供编辑器校验和补全。"""
    click.echo(engine.json_schema(kind), nl=False)


# -- views: explain, recover, whatif, diff ----------------------------------------------------
def view_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--format``, ``--output`` and ``--backend``, shared by the view commands."""
    command = click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="durable", show_default=True,
                           help="规则触发引擎：durable（durable_rules）或 native（Python 对照实现）。")(command)
    command = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                           help="写入文件（原子写入）；默认输出到标准输出。")(command)
    return click.option("--format", "fmt", type=click.Choice(VIEW_FORMATS), default="text", show_default=True,
                        help="输出格式：text（中文）、markdown（贴入自评报告）、html（单个自包含网页）、json。")(command)


def _emit(fmt: str, page: Callable[[], Page], as_json: Callable[[], str], output: Path | None) -> None:
    text = as_json() if fmt == "json" else PAGES[fmt](page())
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


def _load(policy: Path, facts: Path) -> tuple[engine.CompiledPolicy, engine.Facts]:
    compiled = engine.load_policy(policy)
    return compiled, engine.read_facts(facts, compiled)


@main.command(name="explain")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--indicator", "-i", metavar="ID", help="只看这个指标及其下级（指标 id，如 A1）。")
@click.option("--recover/--no-recover", "with_recover", default=True, show_default=True,
              help="为每项扣分附上挽回建议（逐条重新打分验证）。")
@view_options
def explain_command(policy: Path, facts: Path, indicator: str | None, with_recover: bool, fmt: str,
                    output: Path | None, backend: str) -> None:
    """为什么没有得满分：每项未得满分的指标及其上级、扣分、规则原文、事实（文件:行）和算式。"""
    try:
        compiled, parsed = _load(policy, facts)
        result = engine.evaluate(compiled, parsed, backend=BACKENDS[backend]())
        view = explain.fails(result, indicator)
        found = recover.recover(compiled, read_document(facts), parsed, result, indicator=indicator,
                                backend=BACKENDS[backend]()) if with_recover else None
    except explain.UnknownIndicator as err:
        raise click.BadParameter(str(err), param_hint="--indicator") from None
    except JixiaoError as err:
        raise DataError(err) from None
    _emit(fmt, lambda: explain_page(view, found), lambda: explain_json(view, found), output)


@main.command(name="recover")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--indicator", "-i", metavar="ID", help="只看这个指标及其下级（指标 id，如 A2）。")
@view_options
def recover_command(policy: Path, facts: Path, indicator: str | None, fmt: str, output: Path | None,
                    backend: str) -> None:
    """挽回扣分：每项扣分所需的最小事实改动，逐条重新打分验证。"""
    try:
        compiled, parsed = _load(policy, facts)
        found = recover.recover(compiled, read_document(facts), parsed, indicator=indicator,
                                backend=BACKENDS[backend]())
    except explain.UnknownIndicator as err:
        raise click.BadParameter(str(err), param_hint="--indicator") from None
    except JixiaoError as err:
        raise DataError(err) from None
    _emit(fmt, lambda: recover_page(found), lambda: recover_json(found), output)


@main.command(name="whatif")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="改动一项事实（可重复）；值的写法与事实文件相同，并经过同样的校验。")
@click.option("--sweep", "sweep_text", metavar="NAME=FROM:TO:STEP",
              help="让一项事实从 FROM 到 TO 按 STEP 取值，列出受影响指标和总分的得分。")
@view_options
def whatif_command(policy: Path, facts: Path, sets: tuple[str, ...], sweep_text: str | None, fmt: str,
                   output: Path | None, backend: str) -> None:
    """如果事实不同：改动后的得分树、各指标的变化，以及出现、改变或消失的扣分。"""
    if not sets and not sweep_text:
        raise click.UsageError("请至少给出一个 --set NAME=VALUE 或 --sweep NAME=FROM:TO:STEP")
    arguments = {scenario.SET_FILE: [f"--set {a}" for a in sets], whatif.SWEEP_FILE: [f"--sweep {sweep_text}"]}
    try:
        overrides = [scenario.parse_override(text, i) for i, text in enumerate(sets, 1)]
    except scenario.OverrideSyntax as err:
        raise click.BadParameter(str(err), param_hint="--set") from None
    except JixiaoError as err:
        raise DataError(err, arguments) from None
    try:
        spec = whatif.parse_sweep(sweep_text) if sweep_text else None
    except scenario.OverrideSyntax as err:
        raise click.BadParameter(str(err), param_hint="--sweep") from None
    try:
        compiled, parsed = _load(policy, facts)
        doc, run = read_document(facts), BACKENDS[backend]()
        if spec is not None:
            table = whatif.sweep(compiled, doc, parsed, spec, overrides, backend=run)
            _emit(fmt, lambda: sweep_page(table), lambda: sweep_json(table), output)
            return
        view = whatif.whatif(compiled, doc, parsed, overrides, backend=run)
    except JixiaoError as err:
        raise DataError(err, arguments) from None
    _emit(fmt, lambda: whatif_page(view), lambda: whatif_json(view), output)


@main.command(name="diff")
@click.argument("policy_a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("policy_b", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path), required=False)
@view_options
def diff_command(policy_a: Path, policy_b: Path, facts: Path | None, fmt: str, output: Path | None,
                 backend: str) -> None:
    """比较两个指标体系版本：结构变化；给出事实文件时，还有各指标得分的变化及其原因。"""
    try:
        a, b = engine.load_policy(policy_a), engine.load_policy(policy_b)
        structure = policy_diff.diff(a, b)
        scores = None
        if facts is not None:
            scores = policy_diff.diff_scores(a, b, engine.read_facts(facts, a), engine.read_facts(facts, b),
                                             backend=BACKENDS[backend]())
    except JixiaoError as err:
        raise DataError(err) from None
    _emit(fmt, lambda: diff_page(structure, scores), lambda: diff_json(structure, scores), output)


# -- review (engine/commands/review.py) ------------------------------------------------------
from engine.commands.review import review_command  # noqa: E402  (after the helpers it uses lazily)

main.add_command(review_command)


if __name__ == "__main__":
    sys.exit(main())
