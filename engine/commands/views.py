"""The view commands: explain, recover, whatif (with --sweep) and diff.

Each reads its fact file once (a :class:`~engine.facts.FactFile`: the parsed document and its validated
facts), builds a view, renders it in the chosen format and writes it to stdout or ``--output``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

import engine
from engine.commands.failures import DataError
from engine.commands.output import STDOUT, OutputTarget, check_output, write_output
from engine.errors import JixiaoError
from engine.facts import FactFile, Facts, refuse_findings, validate_against
from engine.firing.backends import Backend, DurableBackend, NativeBackend
from engine.loader import read_document
from engine.render.html import render_page_html
from engine.render.page import Page
from engine.render.page_diff import diff_page
from engine.render.page_explain import explain_page, recover_page
from engine.render.page_markdown import render_page_markdown
from engine.render.page_text import render_page_text
from engine.render.page_whatif import sweep_page, whatif_page
from engine.render.views_json import diff_json, explain_json, recover_json, sweep_json, whatif_json
from engine.views import diff as policy_diff
from engine.views import explain, recover, scenario, whatif

__all__ = ["BACKENDS", "VIEW_COMMANDS", "OutputPath", "emit", "output_option"]

BACKENDS: dict[str, Callable[[], Backend]] = {"durable": DurableBackend, "native": NativeBackend}
PAGES: dict[str, Callable[[Page], str]] = {
    "text": render_page_text, "markdown": render_page_markdown, "html": render_page_html}
VIEW_FORMATS = ["text", "markdown", "html", "json"]
OUTPUT_HELP = ("写入文件（原子写入：出错时文件不变、不留半个文件；新文件的权限按 umask，覆盖已有文件时保留其权限；"
               "符号链接写入其指向的文件；拒绝设备、FIFO、目录等非普通文件）；不写或写 - 则输出到标准输出。")


if TYPE_CHECKING:  # ParamType is generic in the click versions with type hints; older ones cannot subscript it
    _OutputParamType = click.ParamType[OutputTarget | None, object]
else:
    _OutputParamType = click.ParamType


class OutputPath(_OutputParamType):
    """An output file, checked when the command line is read: before any work is done."""

    name = "FILE"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> OutputTarget | None:
        """Check the path (``engine.commands.output``); a refusal is a located data error; ``-`` is standard output."""
        if isinstance(value, OutputTarget):
            return value
        if value == STDOUT:  # the usual spelling of standard output, as for a shell's tools
            return None
        option = next((o for o in (param.opts if param else []) if o.startswith("--")), "--output")
        try:
            return check_output(option, str(value))
        except JixiaoError as err:
            raise DataError(err, {option: [f"{option} {value}"]}) from None


def output_option(name: str = "output", short: str | None = "-o", help_text: str = OUTPUT_HELP
                  ) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--output``/``-o`` (or batch ``--out``) as a checked :class:`OutputPath`."""
    flags = [f"--{name}", *([short] if short else [])]
    return click.option(*flags, name, type=OutputPath(), default=None, help=help_text)


def emit(text: str | bytes, output: OutputTarget | None) -> None:
    """Print ``text`` or write it (or bytes: a workbook) atomically to the checked output file."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_output(output, text)
    except JixiaoError as err:
        raise DataError(err, {output.option: [output.argument]}) from None


def view_options(command: Callable[..., None]) -> Callable[..., None]:
    """``--format``, ``--output`` and ``--backend``, shared by the view commands."""
    command = click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="durable", show_default=True,
                           help="规则触发引擎：durable（durable_rules）或 native（Python 对照实现）。")(command)
    command = output_option()(command)
    command = click.option("--strict", is_flag=True,
                           help="把事实文件的发现（severity: warning 的约束不成立）当作错误："
                                "列出并以状态 1 退出。")(command)
    return click.option("--format", "fmt", type=click.Choice(VIEW_FORMATS), default="text", show_default=True,
                        help="输出格式：text（中文）、markdown（贴入自评报告）、html（单个自包含网页）、json。")(command)


def _emit(fmt: str, page: Callable[[], Page], as_json: Callable[[], str], output: OutputTarget | None) -> None:
    emit(as_json() if fmt == "json" else PAGES[fmt](page()), output)


def _checked(facts: Facts, strict: bool) -> Facts:
    return refuse_findings(facts) if strict else facts


def _load(policy: Path, facts: Path, strict: bool) -> tuple[engine.CompiledPolicy, FactFile]:
    compiled = engine.load_policy(policy)
    doc = read_document(facts)
    validated = validate_against(compiled, doc)
    if validated.policy is not None:  # a project-form template: the views work on the project's own policy
        assert validated.document is not None  # set together with the policy (engine.project_form)
        return validated.policy, FactFile(validated.document, _checked(validated, strict))
    return compiled, FactFile(doc, _checked(validated, strict))


@click.command(name="explain")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--indicator", "-i", metavar="ID", help="只看这个指标及其下级（指标 id，如 A1）。")
@click.option("--recover/--no-recover", "with_recover", default=True, show_default=True,
              help="为每项扣分附上挽回建议（逐条重新打分验证）。")
@view_options
def explain_command(policy: Path, facts: Path, indicator: str | None, with_recover: bool, fmt: str,
                    output: OutputTarget | None, backend: str, strict: bool) -> None:
    """为什么没有得满分：每项未得满分的指标及其上级、扣分、规则原文、事实（文件:行）和算式。"""
    try:
        compiled, file = _load(policy, facts, strict)
        result = engine.evaluate(compiled, file.facts, backend=BACKENDS[backend]())
        view = explain.fails(result, indicator)
        found = recover.recover(compiled, file.doc, file.facts, result, indicator=indicator,
                                backend=BACKENDS[backend]()) if with_recover else None
    except explain.UnknownIndicator as err:
        raise click.BadParameter(str(err), param_hint="--indicator") from None
    except JixiaoError as err:
        raise DataError(err) from None
    _emit(fmt, lambda: explain_page(view, found), lambda: explain_json(view, found), output)


@click.command(name="recover")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--indicator", "-i", metavar="ID", help="只看这个指标及其下级（指标 id，如 A2）。")
@view_options
def recover_command(policy: Path, facts: Path, indicator: str | None, fmt: str, output: OutputTarget | None,
                    backend: str, strict: bool) -> None:
    """挽回扣分：每项扣分所需的最小事实改动，逐条重新打分验证。"""
    try:
        compiled, file = _load(policy, facts, strict)
        found = recover.recover(compiled, file.doc, file.facts, indicator=indicator, backend=BACKENDS[backend]())
    except explain.UnknownIndicator as err:
        raise click.BadParameter(str(err), param_hint="--indicator") from None
    except JixiaoError as err:
        raise DataError(err) from None
    _emit(fmt, lambda: recover_page(found), lambda: recover_json(found), output)


@click.command(name="whatif")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="改动一项事实（可重复，每项事实只能改动一次）；值的写法与事实文件相同，并经过同样的校验"
                   "（含指标体系的约束）。")
@click.option("--sweep", "sweep_text", metavar="NAME=FROM:TO:STEP",
              help=f"让一项事实从 FROM 到 TO 按 STEP 取值（最多 {whatif.MAX_POINTS} 个点），"
                   "列出受影响指标和总分的得分。")
@view_options
def whatif_command(policy: Path, facts: Path, sets: tuple[str, ...], sweep_text: str | None, fmt: str,
                   output: OutputTarget | None, backend: str, strict: bool) -> None:
    """如果事实不同：改动后的得分树、各指标的变化，以及出现、改变或消失的扣分。"""
    if not sets and not sweep_text:
        raise click.UsageError("请至少给出一个 --set NAME=VALUE 或 --sweep NAME=FROM:TO:STEP")
    arguments = {scenario.SET_FILE: [f"--set {a}" for a in sets], whatif.SWEEP_FILE: [f"--sweep {sweep_text}"]}
    try:
        overrides = [scenario.parse_override(text, i) for i, text in enumerate(sets, 1)]
        scenario.check_distinct(overrides)
    except scenario.OverrideSyntax as err:
        raise click.BadParameter(str(err), param_hint="--set") from None
    except JixiaoError as err:
        raise DataError(err, arguments) from None
    try:
        spec = whatif.parse_sweep(sweep_text) if sweep_text else None
    except scenario.OverrideSyntax as err:
        raise click.BadParameter(str(err), param_hint="--sweep") from None
    try:
        compiled, file = _load(policy, facts, strict)
        run = BACKENDS[backend]()
        if spec is not None:
            table = whatif.sweep(compiled, file.doc, file.facts, spec, overrides, backend=run)
            _emit(fmt, lambda: sweep_page(table), lambda: sweep_json(table), output)
            return
        view = whatif.whatif(compiled, file.doc, file.facts, overrides, backend=run)
    except JixiaoError as err:
        raise DataError(err, arguments) from None
    _emit(fmt, lambda: whatif_page(view), lambda: whatif_json(view), output)


@click.command(name="diff")
@click.argument("policy_a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("policy_b", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("facts", type=click.Path(dir_okay=False, path_type=Path), required=False)
@view_options
def diff_command(policy_a: Path, policy_b: Path, facts: Path | None, fmt: str, output: OutputTarget | None,
                 backend: str, strict: bool) -> None:
    """比较两个指标体系版本：结构变化；给出事实文件时，还有各指标得分的变化及其原因。"""
    try:
        a, b = engine.load_policy(policy_a), engine.load_policy(policy_b)
        structure = policy_diff.diff(a, b)
        scores = None
        if facts is not None:
            doc = read_document(facts)
            scores = policy_diff.diff_scores(a, b, _checked(validate_against(a, doc), strict),
                                             _checked(validate_against(b, doc), strict), backend=BACKENDS[backend]())
    except JixiaoError as err:
        raise DataError(err) from None
    _emit(fmt, lambda: diff_page(structure, scores), lambda: diff_json(structure, scores), output)


VIEW_COMMANDS = (explain_command, recover_command, whatif_command, diff_command)
