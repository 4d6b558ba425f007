"""Click's own messages in Chinese: usage errors, ``--help`` headings, prompts (the command line).

Click writes its messages through :mod:`gettext` (``from gettext import gettext as _`` in each of its
modules), the hook it offers for translation. Users read Chinese whatever their locale, and no Chinese
catalog for Click exists, so :func:`install` points those modules' ``_`` and ``ngettext`` at the
catalog below. A message Click no longer has is caught by a test that reads Click's source, so an
upgrade that changes a wording fails the suite instead of falling back to English silently.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

import click

__all__ = ["MESSAGES", "MODULES", "PLURALS", "gettext", "install", "ngettext"]

# Click's modules that translate through gettext, and their names for it.
MODULES = ("click.core", "click.exceptions", "click.types", "click.parser", "click.decorators",
           "click.formatting", "click.termui")

MESSAGES: dict[str, str] = {
    # errors and how they are shown
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用 '{command} {option}' 查看用法。",
    "Invalid value: {message}": "取值不对：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值不对：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Missing command.": "缺少命令。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Aborted!": "已中止。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Value must be an iterable.": "值应为一组值。",
    # values of the parameter types
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值，可写：{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    # --help
    "Usage:": "用法:",  # Click puts a space after it and a half-width colon after the other headings
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    # prompts
    "Do you want to continue?": "是否继续？",
    "Confirm the action without prompting.": "不提示，直接确认。",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的值不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
}

# (singular, plural) → the Chinese for one and for many, each with the placeholders Click gives that form
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("多余的参数：{args}", "多余的参数：{args}"),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("是否为 {possibility}？", "（是否为以下之一：{possibilities}？）"),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("{value!r} 不是 {choice}。", "{value!r} 不是可选值之一：{choices}。"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("选项 {name!r} 需要一个值。", "选项 {name!r} 需要 {nargs} 个值。"),
    ("Argument {name!r} takes {nargs} values.", "Argument {name!r} takes {nargs} values."):
        ("参数 {name!r} 需要 {nargs} 个值。", "参数 {name!r} 需要 {nargs} 个值。"),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("需要 {nargs} 个值，但只给了 1 个。", "需要 {nargs} 个值，但给了 {len} 个。"),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("需要 {len_type} 个值，但给了 {len_value} 个。", "需要 {len_type} 个值，但给了 {len_value} 个。"),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        ("{value!r} 不符合格式 {format}。", "{value!r} 不符合以下任一格式：{formats}。"),
}


def gettext(message: str) -> str:
    """The Chinese for one of Click's messages; a message the catalog does not know stays as it is."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The Chinese for a message with a plural form, in the form for ``n``."""
    found = PLURALS.get((singular, plural))
    if found is None:
        return singular if n == 1 else plural
    return found[0] if n == 1 else found[1]


def install() -> None:
    """Point Click's modules at this catalog (idempotent)."""
    for name in MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    exceptions = click.exceptions
    exceptions.MissingParameter.format_message = _missing_message  # type: ignore[method-assign]
    exceptions.NoSuchOption.format_message = _NO_SUCH_OPTION  # type: ignore[method-assign,assignment]
    exceptions.NoSuchCommand.format_message = _NO_SUCH_COMMAND  # type: ignore[method-assign,assignment]


# "缺少参数 'POLICY'" and its detail: Click joins them with a full stop of its own, outside gettext
_MISSING_HEAD = re.compile(r"^(缺少\S*?(?: '[^']*'(?: / '[^']*')*)?)\. ?")
_CLICK_MISSING = click.exceptions.MissingParameter.format_message  # Click's own, read before install() wraps it


def _missing_message(self: click.exceptions.MissingParameter) -> str:
    """Click's message for a missing parameter, with a Chinese full stop: "缺少参数 'POLICY'。"."""
    return _MISSING_HEAD.sub(r"\1。", _CLICK_MISSING(self), count=1)


def _closed_up(original: Callable[[_Suggesting], str]) -> Callable[[_Suggesting], str]:
    """Click's message and its suggestion, without a space after a Chinese full stop (没有选项 …。是否为 …？)."""

    def message(self: _Suggesting) -> str:
        text, head = original(self), self.message
        if head.endswith("。") and text.startswith(f"{head} "):
            return head + text[len(head) + 1:]
        return text

    return message


_Suggesting = click.exceptions.NoSuchOption | click.exceptions.NoSuchCommand
_NO_SUCH_OPTION = _closed_up(click.exceptions.NoSuchOption.format_message)  # type: ignore[arg-type]
_NO_SUCH_COMMAND = _closed_up(click.exceptions.NoSuchCommand.format_message)  # type: ignore[arg-type]
