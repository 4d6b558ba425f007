"""Click's own messages reach users in Chinese: usage errors and --help (engine/commands/click_zh.py)."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from click.testing import CliRunner

from engine.commands import click_zh
from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY

# what Click prints in English when a message is not translated
ENGLISH = re.compile(r"Usage:|Error:|Try '|Invalid value|Missing (argument|option|parameter)|No such (option|command)|"
                     r"is not (in the range|one of|a valid)|does not exist|Did you mean|Got unexpected|Options:|"
                     r"Commands:|Show this message|requires an argument|does not take a value")


def _click_source() -> str:
    return "\n".join(inspect.getsource(importlib.import_module(name)) for name in click_zh.MODULES)


def _literal(text: str) -> str:
    """A message as it is written in Click's source (a string literal, maybe split over lines)."""
    return text.replace("\n", "\\n").replace("\t", "\\t")


def test_every_message_in_the_catalog_is_one_click_still_has():
    source = re.sub(r'"\s*\n\s*"', "", _click_source())  # adjacent literals joined, as Python joins them
    missing = [m for m in click_zh.MESSAGES if _literal(m) not in source]
    missing += [f"{one} | {many}" for one, many in click_zh.PLURALS if _literal(one) not in source
                or _literal(many) not in source]
    assert not missing, f"Click no longer has these messages (update click_zh): {missing}"


def test_every_plural_keeps_the_placeholders_of_its_form():
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)", text))

    for (one, many), (chinese_one, chinese_many) in click_zh.PLURALS.items():
        assert names(chinese_one) <= names(one), one
        assert names(chinese_many) <= names(many), many
    for english, chinese in click_zh.MESSAGES.items():
        assert names(chinese) == names(english), english


@pytest.mark.parametrize(("args", "wanted"), [
    (["score", GZ_POLICY, GZ_FACTS, "--jobs", "0"], "'--jobs' / '-j' 的取值不对：0 不在范围 1<=x<=256 内。"),
    (["score", GZ_POLICY, GZ_FACTS, "--format", "xx"], "'--format' 的取值不对：'xx' 不是可选值之一："),
    (["score"], "错误：缺少参数 'POLICY'。\n"),
    (["template", GZ_POLICY], "错误：缺少选项 '--xlsx'。\n"),
    (["score", GZ_POLICY], "错误：缺少参数 'FACTS...'。\n"),
    (["score", GZ_POLICY, GZ_FACTS, "--jobz", "2"], "没有选项 '--jobz'。是否为 '--jobs'？"),
    (["scor"], "没有命令 'scor'。是否为 'score'？"),
    (["scroe"], "没有命令 'scroe'。"),
    (["serve", "--port", "99999"], "'--port' 的取值不对：99999 不在范围 1<=x<=65535 内。"),
    (["score", GZ_POLICY, GZ_FACTS, "--output"], "选项 '--output' 需要一个值。"),
    (["check", "no-such-file.yaml", "extra", "more"], "错误："),
])
def test_a_usage_error_is_told_in_chinese(args, wanted):
    run = CliRunner().invoke(main, [str(a) for a in args])
    assert run.exit_code == 2, run.output
    assert wanted in run.output, run.output
    assert not ENGLISH.search(run.output), run.output


@pytest.mark.parametrize("command", [[], ["score"], ["review"], ["serve"], ["whatif"], ["init"]])
def test_help_is_in_chinese(command):
    run = CliRunner().invoke(main, [*command, "--help"])
    assert run.exit_code == 0, run.output
    assert run.output.startswith("用法: ") and "显示本帮助并退出。" in run.output
    assert not ENGLISH.search(run.output), run.output
