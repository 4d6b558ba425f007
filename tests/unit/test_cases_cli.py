"""`jixiao test`: golden case files, readable failures, coverage with a threshold."""

from __future__ import annotations

from click.testing import CliRunner

import engine
from engine.authoring.cases import load_case_file
from engine.commands.main import main
from engine.errors import JixiaoError
from engine.render.json import dump_result, load_result
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"


def test_all_case_files_pass_with_full_coverage():
    run = CliRunner().invoke(main, ["test", str(CASES), "--min-coverage", "100"])
    assert run.exit_code == 0, run.output
    assert "覆盖率 gz-dept-2021：42/42 个分支（100.0%）" in run.output
    assert "0 个失败" in run.output


def test_a_wrong_expectation_is_reported_readably(tmp_path):
    text = (CASES / "seed" / "gz-kjj-2021.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "seed.yaml"
    broken.write_text(text.replace("A1: 13.932", "A1: 13.93").replace("../../../", str(ROOT) + "/"),
                      encoding="utf-8")
    run = CliRunner().invoke(main, ["test", str(broken)])
    assert run.exit_code == 1
    assert "✗" in run.output and "指标 A1（资金管理）：期望 13.93，实际 13.932" in run.output
    assert "A1.1.r1 扣 0.068" in run.output  # the deductions involved


def test_unknown_keys_in_a_case_file_are_errors(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("policy: x.yaml\ncases:\n  - name: a\n    facts: f.yaml\n    want_totl: 1\n", encoding="utf-8")
    try:
        load_case_file(path)
    except JixiaoError as err:
        assert "want_totl" in str(err) and "want_total" in str(err) and err.location.line == 5
    else:
        raise AssertionError("a misspelt key must be an error")


def test_coverage_threshold_fails_when_missed(tmp_path):
    seed_only = CASES / "seed"
    run = CliRunner().invoke(main, ["test", str(seed_only), "--min-coverage", "90"])
    assert run.exit_code == 1 and "未覆盖：A1.1.r1 未超阈值" in run.output and "低于要求的 90%" in run.output


def test_full_result_survives_json(gz_policy, gz_facts):
    result = engine.evaluate(gz_policy, gz_facts)
    assert load_result(dump_result(result)) == result
