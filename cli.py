"""jixiao command line: the only place that prints, reads argv or exits."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

import engine
import jixiao_batch
from engine.batch import record_line, summarise
from engine.errors import JixiaoError, Problem
from engine.firing import Backend, DurableBackend, NativeBackend
from engine.trace import Result
from engine.worker import ProcessBackend

RENDERERS: dict[str, Callable[[Result], str]] = {
    "text": engine.render_text,
    "json": engine.render_json,
    "markdown": engine.render_markdown,
}
BACKENDS: dict[str, Callable[[], Backend]] = {"durable": DurableBackend, "native": NativeBackend}


class DataError(click.ClickException):
    """A located problem in a policy or fact file (exit code 1)."""

    exit_code = 1

    def __init__(self, err: JixiaoError) -> None:
        super().__init__(_format_problems(err.problems))

    def show(self, file: object = None) -> None:
        click.echo(self.format_message(), err=True)


def _format_problems(problems: tuple[Problem, ...]) -> str:
    blocks = [f"错误：发现 {len(problems)} 个问题" if len(problems) > 1 else "错误："]
    for problem in problems:
        blocks.append(str(problem))
        blocks.extend(_snippet(problem))
    return "\n".join(blocks)


def _snippet(problem: Problem) -> list[str]:
    """The offending line with a caret under the column (Dagster's ``source_error``)."""
    loc = problem.location
    if loc is None:
        return []
    try:
        lines = Path(loc.file).read_text(encoding="utf-8").splitlines()
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
def score(policy: Path, facts: tuple[str, ...], fmt: str, output: Path | None, backend: str, out: Path | None,
          jobs: int | None, timeout: float | None) -> None:
    """按指标体系 POLICY 为事实文件 FACTS 打分。

    FACTS 可以是多个文件、目录或通配符（如 'facts/*.yaml'）：此时（或给出 --out 时）进入批量模式，
    指标体系只编译一次，多进程评分，结果按路径排序写成 JSON Lines，最后输出汇总表。
    """
    factory = BACKENDS[backend] if timeout is None else functools.partial(ProcessBackend, BACKENDS[backend], timeout)
    if out is not None or jixiao_batch.is_batch(facts):
        if output is not None or fmt != "text":
            raise click.UsageError("批量模式只输出 JSON Lines：请用 --out 指定结果文件，不要用 --output/--format")
        _score_batch(policy, facts, out, factory, jobs)
        return
    firing = factory()
    try:
        compiled = engine.load_policy(policy)
        result = engine.evaluate(compiled, engine.read_facts(facts[0], compiled), backend=firing)
    except JixiaoError as err:
        raise DataError(err) from None
    finally:
        if isinstance(firing, ProcessBackend):
            firing.close()
    text = RENDERERS[fmt](result)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


def _score_batch(policy: Path, args: tuple[str, ...], out: Path | None, backend: Callable[[], Backend],
                 jobs: int | None) -> None:
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
                                           tick)
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


if __name__ == "__main__":
    sys.exit(main())
