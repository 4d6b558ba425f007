"""``jixiao init``: write a starting policy (or its sample fact file) from one bundled standard.

The standards are package data (:mod:`engine.standards`), read here with :mod:`importlib.resources` so
an installed package has them as well as a checkout. The file is written as it is bundled, byte for byte;
``--out`` follows the checks of every other output file (:mod:`engine.commands.output`).
"""

from __future__ import annotations

from importlib import resources

import click

from engine.commands.output import OutputTarget
from engine.commands.views import OUTPUT_HELP, OutputPath, emit
from engine.standards import STANDARDS, Standard, standard_named, suggest_standard

__all__ = ["init", "standard_bytes"]


def standard_bytes(standard: Standard, facts: bool) -> bytes:
    """The bundled policy file of ``standard``, or its sample fact file, as bundled."""
    path = standard.facts_path if facts else standard.policy
    return resources.files("engine.standards").joinpath(path).read_bytes()


def _listing() -> str:
    width = max(len(s.name) for s in STANDARDS)
    lines = [f"{s.name.ljust(width)}  {s.title}" for s in STANDARDS]
    return "自带的标准指标体系（jixiao init --standard 名称）：\n" + "\n".join(lines) + "\n"


def _unknown(name: str) -> click.BadParameter:
    close = suggest_standard(name)
    hint = (f"是否为 {close[0]}？" if len(close) == 1 else f"是否为以下之一：{'、'.join(close)}？") if close else ""
    names = "、".join(s.name for s in STANDARDS)
    message = f"没有名为 {name!r} 的标准指标体系。{hint}可用的有：{names}（jixiao init --list 列出说明）"
    return click.BadParameter(message, param_hint="--standard")


@click.command()
@click.option("--standard", "name", metavar="NAME", default=None,
              help="自带标准指标体系的名称（jixiao init --list 列出）。")
@click.option("--facts", "facts", is_flag=True, help="写出该标准的示例事实文件，而不是指标体系。")
@click.option("--out", "--output", "-o", "out", type=OutputPath(), default=None, help=OUTPUT_HELP)
@click.option("--list", "listing", is_flag=True, help="列出自带的标准指标体系。")
def init(name: str | None, facts: bool, out: OutputTarget | None, listing: bool) -> None:
    """从自带的标准指标体系写出一个起步用的指标体系（或加 --facts 写出它的示例事实文件）。

    例如 jixiao init --standard hunan-dept --out policies/my-dept.yaml；改好后用 jixiao check 检查。
    """
    if listing:
        if name is not None or facts or out is not None:
            raise click.UsageError("--list 只列出自带的标准指标体系，不与 --standard、--facts、--out 同用")
        click.echo(_listing(), nl=False)
        return
    if name is None:
        raise click.UsageError("请用 --standard 指定标准指标体系的名称（jixiao init --list 列出可用的名称）")
    standard = standard_named(name)
    if standard is None:
        raise _unknown(name)
    data = standard_bytes(standard, facts)
    emit(data, out)
    if out is not None:
        what = "示例事实文件" if facts else "指标体系"
        then = (f"与指标体系一起检查：jixiao check 指标体系 {out.given}（指标体系由 jixiao init --standard "
                f"{standard.name} 写出）" if facts else f"修改后运行 jixiao check {out.given}")
        click.echo(f"已写入 {out.given}（{standard.name} 的{what}，{len(data)} 字节）；{then}", err=True)
