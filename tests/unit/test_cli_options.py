"""Absurd option values are usage errors (exit code 2), never a crash deeper down."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY


@pytest.mark.parametrize("args", [
    ["score", GZ_POLICY, GZ_FACTS, "--timeout", "inf"],
    ["score", GZ_POLICY, GZ_FACTS, "--timeout", "nan"],
    ["score", GZ_POLICY, GZ_FACTS, "--timeout", "1e308"],
    ["score", GZ_POLICY, GZ_FACTS, "--timeout", "0"],
    ["score", GZ_POLICY, GZ_FACTS, GZ_FACTS, "--jobs", "100000"],
    ["fuzz", GZ_POLICY, "--examples", "99999999999"],
    ["whatif", GZ_POLICY, GZ_FACTS, "--sweep", "预算完成率=0:1e9999999:1"],
    ["whatif", GZ_POLICY, GZ_FACTS, "--sweep", "预算完成率=0:1000000000:1"],
])
def test_an_absurd_option_value_is_a_usage_error(args):
    run = CliRunner().invoke(main, [str(a) for a in args])
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output and "内部错误" not in run.output


def test_a_timeout_within_range_still_scores():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--timeout", "60"])
    assert run.exit_code == 0 and "94.622" in run.output
