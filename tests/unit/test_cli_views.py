"""The view commands through the CLI: explain, recover, whatif (with --sweep) and diff.

Each "done when" of the issue is a test here; exit code 1 is a located data error, 2 a usage error.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT

R1P = ROOT / "policies" / "gz-dept-2021-r1p.yaml"
VARIANT = ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml"


def cli(*args: object) -> tuple[int, str]:
    run = CliRunner().invoke(main, [str(a) for a in args])
    return run.exit_code, run.output


def table(output: str, heading: str) -> list[list[str]]:
    lines = output.split(heading + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line.split() for line in lines[2:]]


# -- done when ---------------------------------------------------------------------------------
def test_explain_lists_exactly_the_indicators_below_full_marks_on_the_seed():
    code, out = cli("explain", GZ_POLICY, GZ_FACTS, "--no-recover")
    assert code == 0, out
    rows = {row[0]: row[1:] for row in table(out, "未得满分的指标")}
    assert set(rows) == {"管理效能", "资金管理", "预算完成率", "财政拨款收入预决算差异率", "采购管理", "政府采购执行率",
                         "资产管理", "固定资产使用率"}
    assert rows["预算完成率"][-1] == "−0.068" and rows["财政拨款收入预决算差异率"][-1] == "−6.000"
    assert rows["采购管理"][-1] == "−0.310" and rows["资产管理"][-1] == "−1.500"
    assert "1. 管理效能 › 资金管理 › 财政拨款收入预决算差异率（A1.2）  −6.000" in out
    line = GZ_FACTS.read_text(encoding="utf-8").splitlines().index("    value: 11.44") + 1
    assert "事实：财政拨款收入预决算差异率 = 11.44%（" in out and f"gz-kjj-2021.yaml:{line}）" in out
    assert "加减分（另列，不计入扣分）\n1. 履职效能 › 工作表现加减分（B2）  +2.500" in out


def test_explain_as_json_names_the_same_indicators():
    code, out = cli("explain", GZ_POLICY, GZ_FACTS, "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert {n["id"] for n in data["below_full"] if n["depth"] == 1} == {"A1", "A2", "A4"}
    assert [(f["indicator"], f["points"]) for f in data["fails"]] == [
        ("A1.2", "6.000"), ("A4.2", "1.500"), ("A2.1", "0.310"), ("A1.1", "0.068")]
    assert all(f["recover"]["verified"] for f in data["fails"])
    assert [a["indicator"] for a in data["adjustments"]] == ["B2"]


def test_recover_for_procurement_says_100_percent_recovers_0310():
    code, out = cli("recover", GZ_POLICY, GZ_FACTS, "--indicator", "A2")
    assert code == 0, out
    assert "挽回：政府采购执行率 提高到 100.00% 及以上，可挽回 0.310 分" in out
    assert "验证：通过" in out and "财政拨款收入预决算差异率" not in out


def test_whatif_variance_5_raises_funds_management_by_what_the_policy_says(gz_policy, gz_facts):
    seed = engine.evaluate(gz_policy, gz_facts)
    weight = next(n.max for n in gz_policy.nodes() if n.id == "A1.2")
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--set", "财政拨款收入预决算差异率=5", "--format", "json")
    assert code == 0, out
    deltas = {n["id"]: n["delta"] for n in json.loads(out)["indicators"]}
    assert D(deltas["A1"]) == weight - seed.node("A1.2").score == D(6)
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--set", "财政拨款收入预决算差异率=5")
    rows = {row[0]: row[1:] for row in table(out, "标 ◀ 的指标得分有变化。")}
    assert rows["资金管理"] == ["A1", "13.932", "19.932", "+6.000", "◀"]
    assert "扣分消失：管理效能 › 资金管理 › 财政拨款收入预决算差异率（A1.2）" in out


def test_diff_of_the_bundled_policies_on_the_seed_shows_no_score_change():
    code, out = cli("diff", GZ_POLICY, R1P, GZ_FACTS)
    assert code == 0, out
    assert "规则替换（旧）：A1.2.r1（per_point）" in out and "规则替换（新）：A1.2.r1p（bands）" in out
    assert "总分：94.622 → 94.622（0）" in out
    assert "两个版本在这份事实文件上各指标得分相同（总分 94.622）。" in out


def test_diff_of_the_bundled_policies_where_the_readings_disagree():
    code, out = cli("diff", GZ_POLICY, R1P, VARIANT)
    assert code == 0, out
    assert "总分：98.622 → 97.622（−1.000）" in out
    assert "3. 财政拨款收入预决算差异率（A1.2）  −1.000\n   得分：4.00 → 3.00\n   原因：规则替换（旧）" in out
    assert "原因：下级指标：A1.2 财政拨款收入预决算差异率（−1.000）" in out
    data = json.loads(cli("diff", GZ_POLICY, R1P, VARIANT, "--format", "json")[1])
    assert [(c["id"], c["delta"]) for c in data["scores"]["causes"]] == [
        ("A", "-1.000"), ("A1", "-1.000"), ("A1.2", "-1.000")]


# -- the rest of the commands ------------------------------------------------------------------
def test_diff_without_facts_is_structural_only():
    code, out = cli("diff", GZ_POLICY, R1P)
    assert code == 0 and "结构变化（7 处）" in out and "得分变化" not in out


def test_sweep_tabulates_scores_against_one_fact():
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--sweep", "财政拨款收入预决算差异率=0:12:1")
    assert code == 0, out
    rows = table(out, "受影响的指标：财政拨款收入预决算差异率（A1.2，分值 6.00）、资金管理（A1，分值 20.00）、"
                      "管理效能（A，分值 50.00）。")
    assert rows[5] == ["5", "6.00", "19.932", "48.122", "100.622"]
    assert rows[-2] == ["11.44", "0.00", "13.932", "42.122", "94.622", "◀"]


def test_html_is_one_self_contained_file(tmp_path):
    target = tmp_path / "sweep.html"
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--sweep", "财政拨款收入预决算差异率=0:12:1", "--format", "html",
                    "--output", target)
    assert code == 0 and out == ""
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 4
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_bad_set_value_is_a_located_data_error():
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--set", "预算完成率=100", "--set", "财政拨款收入预决算差异率=abc")
    assert code == 1
    assert "--set:2:20: facts.type: 事实「财政拨款收入预决算差异率」应为数值，得到 「abc」" in out
    assert "     2 | --set 财政拨款收入预决算差异率=abc" in out


def test_a_set_value_that_breaks_a_constraint_is_a_located_data_error():
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--set", "已实现绩效目标数=22")
    assert code == 1 and "Traceback" not in out
    assert "--set:1:16: facts.constraint: 已实现绩效目标数不能多于申报绩效目标数" in out


def test_a_derived_fact_set_against_its_inputs_is_a_data_error():
    code, out = cli("whatif", GZ_POLICY, GZ_FACTS, "--set", "固定资产使用率=95")
    assert code == 1 and "facts.derived_mismatch" in out


@pytest.mark.parametrize("args", [
    ["whatif", GZ_POLICY, GZ_FACTS],
    ["whatif", GZ_POLICY, GZ_FACTS, "--set", "预算完成率"],
    ["whatif", GZ_POLICY, GZ_FACTS, "--sweep", "预算完成率=1:2"],
    ["explain", GZ_POLICY, GZ_FACTS, "--indicator", "A9"],
    ["recover", GZ_POLICY, GZ_FACTS, "--indicator", "Z"],
    ["explain", GZ_POLICY, GZ_FACTS, "--format", "pdf"],
])
def test_usage_errors_exit_2(args):
    code, _ = cli(*args)
    assert code == 2


def test_a_bad_policy_in_diff_is_a_data_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("extends: missing.yaml\n", encoding="utf-8")
    code, out = cli("diff", GZ_POLICY, broken)
    assert code == 1 and "policy.extends" in out and "broken.yaml:1:10" in out


@pytest.mark.parametrize("command", [["explain"], ["recover"], ["whatif", "--set", "政府采购执行率=90"]])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_every_format_renders_and_is_byte_identical(command, fmt):
    args = [command[0], GZ_POLICY, GZ_FACTS, *command[1:], "--format", fmt]
    first, second = cli(*args), cli(*args)
    assert first[0] == 0 and first == second
