"""Compile is one pass: every part parsed once, a bad part reported once, no cascades, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.errors import ErrorCode, PolicyErrors

BAD = Path(__file__).resolve().parent.parent / "bad"
BASE = (BAD / "base-policy.yaml").read_text(encoding="utf-8")
LIMIT = (BAD / "policy-firing-limit.yaml").read_text(encoding="utf-8")


def problems(text: str) -> list[tuple[str, int]]:
    with pytest.raises(PolicyErrors) as err:
        engine.policy_from_text(text, "policy.yaml")
    return [(str(p.code), p.location.line if p.location else 0) for p in err.value.problems]


def test_a_bad_band_interval_is_one_problem_not_a_cascade():
    with pytest.raises(PolicyErrors) as err:
        engine.load_policy(BAD / "policy-bad-interval.yaml")
    assert [(str(p.code), p.location.line) for p in err.value.problems] == [("policy.interval", 56)]


def test_the_cli_shows_every_problem_it_records():
    run = CliRunner().invoke(main, ["check", str(BAD / "policy-bad-interval.yaml")])
    assert run.exit_code == 1
    assert run.output.count("policy.interval") == 1 and "policy.bands" not in run.output
    assert "发现" not in run.output  # one problem: no "发现 N 个问题" header


def test_a_bad_tier_range_is_reported_once():
    text = (BAD / "policies" / "judgement.yaml").read_text(encoding="utf-8").replace('"[60, 80)"', '"60-80"', 1)
    found = problems(text)
    assert [code for code, _ in found] == ["policy.interval"]


def test_a_bad_case_expression_poisons_only_its_rule():
    text = BASE.replace('"资金结余 > 0 and 资金结余 <= 上年结转"', '"资金结余 > 0 and"')
    found = problems(text)
    assert [code for code, _ in found] == ["expr.syntax"]


def test_limit_problems_are_collected_with_the_others():
    extra = """\
      - id: L2
        name: 另一指标
        max: 1
        rule:
          id: r2
          kind: bands
          fact: 率
          bands:
            - {when: "0-50", points: 0}
            - {when: "≥ 50", points: 1}
            - {when: "< 0", points: 0}
          wording: 分档
          provenance: official
"""
    text = LIMIT.replace("total: {max: 1}", "total: {max: 2}").replace("    max: 1\n    children:", "    max: 2\n"
                                                                          "    children:") + extra
    codes = {code for code, _ in problems(text)}
    assert codes == {str(ErrorCode.FIRING_LIMIT), str(ErrorCode.POLICY_INTERVAL)}


def test_precision_problems_are_collected_with_the_others():
    text = BASE.replace("threshold: 100", "threshold: 99.00000000001").replace('"[80, 90)"', '"80-90"')
    text = text.replace("  - id: A\n    name: 管理\n    max: 10", "  - id: A\n    name: 管理\n    max: 11")
    codes = sorted(code for code, _ in problems(text))
    # A's max 11 no longer adds up to total.max 10 either: both are reported
    assert codes == sorted([str(ErrorCode.FIRING_PRECISION), str(ErrorCode.POLICY_INTERVAL),
                            str(ErrorCode.POLICY_WEIGHTS_SUM), str(ErrorCode.POLICY_TOTAL)])


def test_an_unknown_fact_does_not_cascade_into_band_checks():
    text = BASE.replace("          fact: 资产使用率\n", "          fact: 资产使用律\n")
    assert [code for code, _ in problems(text)] == ["policy.unknown_fact"]
