"""The bundled standards (engine/standards/) and `jixiao init --standard` (issue 13 §7).

The bundled files are package data, byte-identical to the repository's policies/ and facts/; each one
checks, scores its sample fact file to the total its golden cases pin, and `init` writes it unchanged.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.commands.init import standard_bytes
from engine.commands.main import main
from engine.loader import facts_from_document, read_document
from engine.standards import STANDARDS, standard_named
from tests.conftest import ROOT

BUNDLE = ROOT / "engine" / "standards"
# each standard's sample fact file scores what its golden cases (tests/cases/) say
TOTALS = {"gz-dept-2021": "94.622", "mof-project-2020": "100", "hunan-dept": "95.29", "cq-dept-2021": "94.3"}
IDS = [s.name for s in STANDARDS]


def _bundled_files() -> list[Path]:
    return sorted(p for p in BUNDLE.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))


def test_every_bundled_file_is_the_repository_file_of_the_same_name():
    files = _bundled_files()
    assert files
    for path in files:
        twin = ROOT / ("facts" if path.parent.name == "facts" else "policies") / path.name
        assert twin.is_file(), f"{path} has no twin {twin}"
        assert path.is_symlink() and path.resolve() == twin.resolve(), f"{path} should be a link to {twin}"
        assert path.read_bytes() == twin.read_bytes()


def test_the_catalogue_names_exactly_the_bundled_files():
    named = {s.policy for s in STANDARDS} | {s.facts_path for s in STANDARDS}
    assert named == {p.relative_to(BUNDLE).as_posix() for p in _bundled_files()}
    assert len(set(IDS)) == len(IDS)


def test_package_data_ships_every_bundled_file():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "engine.standards" in tool["packages"]
    globs = tool["package-data"]["engine.standards"]
    for path in _bundled_files():
        assert any(fnmatch(path.relative_to(BUNDLE).as_posix(), g) for g in globs), path


@pytest.mark.parametrize("standard", STANDARDS, ids=IDS)
def test_each_standard_checks_and_scores_its_sample_facts(standard, tmp_path):
    policy_file = tmp_path / standard.policy
    facts_file = tmp_path / standard.facts
    policy_file.write_bytes(standard_bytes(standard, facts=False))
    facts_file.write_bytes(standard_bytes(standard, facts=True))
    compiled = engine.load_policy(policy_file)
    assert compiled.meta.id == standard.name
    found = facts_from_document(read_document(str(facts_file)), compiled)
    result = engine.evaluate(compiled, found)
    assert result.total == Decimal(TOTALS[standard.name])
    assert result.findings == ()


@pytest.mark.parametrize("standard", STANDARDS, ids=IDS)
def test_init_prints_the_policy_or_the_facts_as_bundled(standard):
    run = CliRunner().invoke(main, ["init", "--standard", standard.name])
    assert run.exit_code == 0, run.output
    assert run.stdout_bytes == (ROOT / "policies" / standard.policy).read_bytes()
    run = CliRunner().invoke(main, ["init", "--standard", standard.name, "--facts"])
    assert run.exit_code == 0, run.output
    assert run.stdout_bytes == (ROOT / "facts" / standard.facts).read_bytes()


def test_init_out_writes_the_file_and_says_what_to_run_next(tmp_path):
    out = tmp_path / "my-dept.yaml"
    run = CliRunner().invoke(main, ["init", "--standard", "hunan-dept", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.read_bytes() == (ROOT / "policies" / "hunan-dept.yaml").read_bytes()
    assert f"修改后运行 jixiao check {out}" in run.stderr
    check = CliRunner().invoke(main, ["check", str(out)])
    assert check.exit_code == 0, check.output


def test_init_list_names_every_standard():
    run = CliRunner().invoke(main, ["init", "--list"])
    assert run.exit_code == 0, run.output
    for standard in STANDARDS:
        assert standard.name in run.output
        assert standard.title in run.output


@pytest.mark.parametrize(("args", "message"), [
    (["--standard", "hunan"], "没有名为 'hunan' 的标准指标体系。是否为 hunan-dept？"),
    (["--standard", "beijing-2024"], "可用的有：gz-dept-2021、mof-project-2020"),
    ([], "请用 --standard 指定标准指标体系的名称"),
    (["--list", "--standard", "hunan-dept"], "--list 只列出自带的标准指标体系"),
    (["--facts"], "请用 --standard 指定"),
])
def test_init_usage_errors_are_chinese_without_a_traceback(args, message):
    run = CliRunner().invoke(main, ["init", *args])
    assert run.exit_code == 2, run.output
    assert message in run.output
    assert "Traceback" not in run.output


def test_init_refuses_a_directory_and_writes_nothing(tmp_path):
    run = CliRunner().invoke(main, ["init", "--standard", "gz-dept-2021", "--out", str(tmp_path)])
    assert run.exit_code == 1, run.output
    assert "output.not_regular" in run.output
    assert list(tmp_path.iterdir()) == []


def test_standard_named_is_exact():
    assert standard_named("gz-dept-2021") is not None
    assert standard_named("GZ-DEPT-2021") is None


# -- Chongqing: 核心指标 flags and the policy's name for the coefficient (得分系数) ---------------------------

CQ_POLICY = ROOT / "policies" / "cq-dept-2021.yaml"
CQ_FACTS = ROOT / "facts" / "cq-example-dept-2021.yaml"


def _cq(fmt: str) -> str:
    run = CliRunner().invoke(main, ["score", str(CQ_POLICY), str(CQ_FACTS), "--format", fmt])
    assert run.exit_code == 0, run.output
    return run.output


def test_core_indicators_are_flagged_in_every_format():
    import json

    nodes = {n["id"]: n for top in json.loads(_cq("json"))["indicators"] for n in (top, *top["children"])}
    assert [i for i, n in nodes.items() if n.get("core")] == ["1", "2.1", "2.2", "3.1"]
    assert "core" not in nodes["2.3"]
    for fmt in ("text", "markdown", "html"):
        out = _cq(fmt)
        assert "质量指标（核心指标）" in out, fmt
        assert "时效指标（核心指标）" not in out, fmt


def test_core_indicators_are_flagged_in_the_excel_report_and_the_scoring_table(tmp_path):
    import openpyxl

    out = tmp_path / "cq.xlsx"
    run = CliRunner().invoke(main, ["score", str(CQ_POLICY), str(CQ_FACTS), "--format", "xlsx", "-o", str(out)])
    assert run.exit_code == 0, run.output
    names = [str(cell) for row in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)
             for cell in row if cell]
    assert "质量指标（核心指标）" in names and "时效指标（核心指标）" not in names
    for fmt in ("markdown", "html"):
        table = CliRunner().invoke(main, ["table", str(CQ_POLICY), "--format", fmt])
        assert table.exit_code == 0, table.output
        assert "质量指标（核心指标）" in table.output and "时效指标（核心指标）" not in table.output, fmt


def test_a_policy_without_core_flags_keeps_its_json_shape(gz_policy, gz_facts):
    from engine.render.json import result_dict

    result = engine.evaluate(gz_policy, gz_facts)
    assert all(not n.core for n in result.nodes())
    assert '"core"' not in json_text(result_dict(result))


def json_text(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_the_coefficient_is_named_as_the_policy_names_it():
    text = _cq("text")
    assert "得分系数 95% × 分值 15 = 14.25" in text
    assert "评定系数" not in text
    # the default stays 评定系数, and a default label leaves the policy's digest unchanged
    hunan = CliRunner().invoke(main, ["score", str(ROOT / "policies" / "hunan-dept.yaml"),
                                      str(ROOT / "facts" / "hn-yueyang-dept.yaml")])
    assert "评定系数 90% × 分值 4 = 3.6" in hunan.output


def test_recover_names_the_policys_coefficient():
    run = CliRunner().invoke(main, ["recover", str(CQ_POLICY), str(CQ_FACTS)])
    assert run.exit_code == 0, run.output
    assert "得满分需得分系数为 100%" in run.output
