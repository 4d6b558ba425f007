"""The seed: 广州市科学技术局 FY2021, total 94.622 (../shared/seed, 自评结论综述 table).

Every expected number below is printed in the seed report's score table (二（一）自评结论综述);
the engine computes them from policies/gz-dept-2021.yaml and facts/gz-kjj-2021.yaml.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY

# 自评结论综述 (seed §二（一）): indicator id → printed score
SEED_SCORES = {
    "A1": "13.932",  # 资金管理
    "A2": "1.69",    # 采购管理
    "A3": "4.00",    # 信息公开管理
    "A4": "3.50",    # 资产管理
    "A5": "4.00",    # 成本管理
    "A6": "15.00",   # 绩效管理
    "A": "42.122",   # 管理效能 合计
    "B1": "50.00",   # 设立专项资金，聚集基础研究和关键技术攻关，分层分类扶持科创企业
    "B2": "2.50",    # 工作表现加减分
    "B": "52.50",    # 履职效能 合计
}
SEED_TOTAL = "94.622"  # "部门整体支出绩效自评 94.622 分"


@pytest.mark.parametrize("backend", [engine.DurableBackend, engine.NativeBackend])
def test_seed_scores_through_api(gz_policy, gz_facts, backend):
    result = engine.evaluate(gz_policy, gz_facts, backend=backend())
    assert result.total == Decimal(SEED_TOTAL)
    for indicator_id, printed in SEED_SCORES.items():
        assert result.node(indicator_id).score == Decimal(printed), indicator_id


def test_backends_agree_on_the_whole_result(gz_policy, gz_facts):
    durable = engine.evaluate(gz_policy, gz_facts, backend=engine.DurableBackend())
    native = engine.evaluate(gz_policy, gz_facts, backend=engine.NativeBackend())
    assert durable == native


def test_seed_through_cli_text():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS)])
    assert run.exit_code == 0, run.output
    assert "总分：94.622 / 100.00" in run.output
    for name, printed in [("资金管理", "13.932"), ("采购管理", "1.69"), ("资产管理", "3.50"), ("履职效能", "52.50")]:
        line = next(line for line in run.output.splitlines() if line.strip().startswith(name))
        assert printed in line.split(), line
    assert "5 − 0.2 × (100% − 99.66%) = 4.932" in run.output


def test_seed_through_cli_json():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert data["total"] == SEED_TOTAL
    assert list(data)[:3] == ["policy", "department", "facts"]
    assert set(data["policy"]) >= {"id", "version", "digest"}
    nodes = {}

    def walk(node):
        nodes[node["id"]] = node
        for child in node["children"]:
            walk(child)

    for root in data["indicators"]:
        walk(root)
    for indicator_id, printed in SEED_SCORES.items():
        assert nodes[indicator_id]["score"] == printed
    deduction = nodes["A1.1"]["deductions"][0]
    assert {"rule", "wording", "facts", "computation", "points"} <= set(deduction)
    assert deduction["points"] == "0.068"
    fact = deduction["facts"][0]
    assert (fact["name"], fact["value"], fact["unit"]) == ("预算完成率", "99.66", "%")
    value_line = GZ_FACTS.read_text(encoding="utf-8").splitlines().index("    value: 99.66") + 1
    assert fact["source"].endswith(f"gz-kjj-2021.yaml:{value_line}")
    assert "\\u" not in run.output and "管理效能" in run.output  # UTF-8, unescaped


def test_seed_markdown():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", "markdown"])
    assert run.exit_code == 0, run.output
    assert "**总分：94.622**" in run.output
    assert "| 　资金管理 | 20.00 | 13.932 | 6.068 |" in run.output


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_same_input_same_bytes(fmt, tmp_path):
    runner = CliRunner()
    outs = []
    for i in range(2):
        target = tmp_path / f"out{i}"
        run = runner.invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", fmt, "-o", str(target)])
        assert run.exit_code == 0, run.output
        outs.append(target.read_bytes())
    assert outs[0] == outs[1]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_lost_points_add_up_at_every_node(gz_policy, gz_facts):
    result = engine.evaluate(gz_policy, gz_facts)
    for node in result.nodes():
        if node.max is not None:
            assert node.lost() == node.max - node.score, node.id
    assert sum(r.lost() for r in result.indicators) == result.max - result.total


def test_every_deduction_is_explained(gz_policy, gz_facts):
    result = engine.evaluate(gz_policy, gz_facts)
    found = result.deductions()
    assert [(d.indicator_id, d.points) for d in found] == [
        ("A1.1", Decimal("0.068")), ("A1.2", Decimal("6.000")), ("A2.1", Decimal("0.310")),
        ("A4.2", Decimal("1.500")), ("B2", Decimal("-2.50")),
    ]
    for d in found:
        assert d.wording and d.computation and d.rule_id and d.provenance == "inferred" and d.note
        assert d.facts and all(f.location and f.location.file.endswith("gz-kjj-2021.yaml") for f in d.facts)
        assert d.location.file.endswith("gz-dept-2021.yaml")
    assert found[1].floored  # 差异率 11.44% reaches 扣完为止
    assert found[0].ancestors == ("管理效能", "资金管理")


def test_derived_rate_is_truncated_as_printed(gz_facts):
    used = gz_facts["固定资产使用率"]
    assert used.value == Decimal("84.29")
    assert "84.296135…" in (used.derivation or "") and "截断" in (used.derivation or "")


def test_all_rules_are_marked_inferred(gz_policy):
    rules = [n.leaf.rule for n in gz_policy.nodes() if n.leaf]
    assert rules and all(r.provenance == "inferred" and r.note for r in rules)
