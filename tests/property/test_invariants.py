"""The invariants hold for every bundled policy on fact files generated from the policy itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import engine
from engine.authoring.cases import load_case_file, run_case
from engine.authoring.fuzz import fuzz, generated_facts
from engine.authoring.invariants import check_invariants
from engine.authoring.strategies import edges, fact_documents
from engine.commands.main import main
from engine.errors import JixiaoError
from tests.conftest import ROOT

BUNDLED = sorted((ROOT / "policies").glob("*.yaml"))
KINDS = sorted((ROOT / "tests" / "policies" / "kinds").glob("*.yaml"))
BROKEN = ROOT / "tests" / "fuzz" / "broken-monotone.yaml"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_invariants_hold_on_generated_facts(path):
    policy = engine.load_policy(path)

    @settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(fact_documents(policy))
    def check(document):
        try:
            facts = generated_facts(policy, document)
        except JixiaoError as err:  # pragma: no cover - the strategies respect every declaration
            raise AssertionError(f"strategy produced an invalid fact file: {err}") from None
        assert check_invariants(policy, facts) == []

    check()


def test_strategies_aim_at_every_edge():
    policy = engine.load_policy(ROOT / "policies" / "gz-dept-2021.yaml")
    found = edges(policy)
    assert found["固定资产使用率"] == {80, 90}
    assert found["预算完成率"] == {75, 100}  # threshold and 扣完为止 edge (5 ÷ 0.2 = 25 points below)
    assert found["工作表现加减分"] == {-5, 5}


def test_fuzz_finds_the_broken_policy_and_prints_a_case(tmp_path):
    run = CliRunner().invoke(main, ["fuzz", str(BROKEN), "--examples", "300", "--seed", "1"])
    assert run.exit_code == 1
    assert "monotonic" in run.output and "运行了" in run.output and "全部不变式成立" not in run.output
    saved = tmp_path / "counterexample.yaml"
    saved.write_text(run.stdout.replace(str(BROKEN), str(BROKEN.resolve())), encoding="utf-8")
    loaded = load_case_file(saved)
    assert run_case(loaded, 0).passed  # ready to save: it pins today's (wrong) result until corrected


def test_fuzz_is_reproducible_with_a_seed():
    policy = engine.load_policy(BROKEN)
    first, second = fuzz(policy, 200, seed=7), fuzz(policy, 200, seed=7)
    assert first.document == second.document and first.document is not None


def test_fuzz_passes_on_the_guangzhou_policy():
    run = CliRunner().invoke(main, ["fuzz", str(BUNDLED[0]), "--examples", "50"])
    assert run.exit_code == 0, run.output
    assert "全部不变式成立" in run.output


def test_counterexample_yaml_keeps_exact_decimals():
    report = fuzz(engine.load_policy(BROKEN), 300, seed=1)
    from engine.authoring.fuzz import counterexample_case

    text = counterexample_case(engine.load_policy(BROKEN), "x.yaml", report)
    data = yaml.safe_load(text)
    assert data["cases"][0]["want_total"] == 2.0 and "!!" not in text
    assert Path is not None


@pytest.mark.parametrize("path", BUNDLED + KINDS, ids=lambda p: p.stem)
def test_fuzz_runs_clean_on_every_policy(path):
    run = CliRunner().invoke(main, ["fuzz", str(path), "--examples", "15"])
    assert run.exit_code == 0, run.output
    assert "拒绝 0 个" in run.output and "全部不变式成立" in run.output and "Traceback" not in run.output


@pytest.mark.parametrize("path", [ROOT / "tests" / "policies" / "kinds" / "judgement.yaml"], ids=["judgement"])
def test_a_judgement_coefficient_lies_in_its_tier(path):
    policy = engine.load_policy(path)
    (leaf,) = [n.leaf for n in policy.nodes() if n.leaf is not None]
    (choice,) = leaf.plan.choices()  # the judgement kind's tiers, each with its coefficient range
    tiers = dict(choice.within)
    seen = set()

    @given(fact_documents(policy))
    def check(document):
        facts = document["facts"]
        tier = facts[leaf.rule.tier]["value"]
        assert tiers[tier].contains(facts[leaf.rule.coefficient]["value"])
        seen.add(tier)

    check()
    assert seen == set(tiers)


def test_an_optional_fact_is_left_out_only_when_its_rule_does_not_apply():
    policy = engine.load_policy(ROOT / "tests" / "policies" / "kinds" / "not_applicable.yaml")
    left_out = []

    @given(fact_documents(policy))
    def check(document):
        facts = document["facts"]
        if "面积控制率" not in facts:
            assert facts["有楼堂馆所项目"]["value"] is False
            left_out.append(document)
        generated_facts(policy, document)

    check()
    assert left_out  # the case is generated, not only avoided


def test_a_document_the_engine_refuses_is_a_counted_rejection(tmp_path):
    from tests.helpers import policy_text

    path = tmp_path / "p.yaml"
    path.write_text(policy_text("""\
        id: r
        kind: proportional
        fact: 差
        wording: w
        provenance: official
    """, '甲: {type: decimal, unit: "%", range: [0, 100], places: 2}\n'
         '乙: {type: decimal, unit: "%", range: [0, 100], places: 2}\n'
         '差: {type: decimal, unit: "%", range: [0, 100], places: 2, derive: 甲 - 乙}\n'), encoding="utf-8")
    report = fuzz(engine.load_policy(path), 60)
    assert report.examples == 60 and report.valid + sum(report.rejected.values()) == 60
    assert report.rejected["facts.range"] > 0 and report.document is None
    assert "拒绝" in report.summary() and "facts.range" in report.summary()
    run = CliRunner().invoke(main, ["fuzz", str(path), "--examples", "60"])
    assert run.exit_code == 0 and "facts.range" in run.output and "Traceback" not in run.output
