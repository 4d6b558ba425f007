"""Done-when of issue 15 §3: template → fill with the Guangzhou facts → score gives what the YAML gives.

What differs between the two JSON results, and why (asserted below, nothing else may differ):
- ``facts.file``: the path of the fact file;
- every fact's ``source``: ``file:line`` of the value, a row of the 事实 sheet for the workbook;
- ``facts.digest``: the SHA-256 of the document, which takes a decimal's text as written: the YAML
  writes ``工作表现加减分: 2.50``, and a number typed into Excel is the number 2.5. With that cell
  holding the text "2.50" the digests are equal too (second test).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.commands.main import main
from engine.loader import read_document
from tests.conftest import GZ_FACTS, GZ_POLICY


def score_json(facts: Path, *extra: str) -> dict[str, Any]:
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(facts), "--format", "json", *extra])
    assert run.exit_code == 0, run.output
    return json.loads(run.output)


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), path
        return [d for key in a for d in differences(a[key], b[key], f"{path}.{key}")]
    if isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def test_filled_template_scores_94_622_and_the_same_json_as_the_yaml(filled):
    workbook = filled()
    want, got = score_json(GZ_FACTS), score_json(workbook)
    assert got["total"] == want["total"] == "94.622"
    differ = differences(want, got)
    assert {".facts.file", ".facts.digest"} <= set(differ)
    sources = [d for d in differ if d.endswith(".source")]
    assert sources and set(differ) == {".facts.file", ".facts.digest", *sources}
    # the sources point at the fact's row of the workbook
    first = next(f for f in got["indicators"][0]["children"][0]["children"][0]["deductions"][0]["facts"])
    assert first["name"] == "预算完成率" and first["source"] == f"{workbook}:2"
    # the facts' values, units, quotes and derivations are the YAML's, read exactly
    assert read_document(workbook).value == read_document(GZ_FACTS).value


def test_a_number_kept_as_text_keeps_its_places_and_the_digest(filled):
    def as_text(book):
        book["事实"]["C26"] = "2.50"  # 工作表现加减分, typed as text (a cell formatted as 文本)

    want, got = score_json(GZ_FACTS), score_json(filled(as_text))
    assert set(differences(want, got)) - {".facts.file"} == {d for d in differences(want, got) if d.endswith(".source")}
    assert read_document(filled(as_text)).value["facts"]["工作表现加减分"]["value"].as_tuple() == \
        Decimal("2.50").as_tuple()


@pytest.mark.parametrize("command", [["check"], ["explain", "--no-recover", "--format", "json"],
                                     ["recover", "--format", "json"],
                                     ["whatif", "--set", "财政拨款收入预决算差异率=5", "--format", "json"]])
def test_every_command_taking_a_fact_file_reads_the_workbook(filled, command):
    workbook = filled()
    name, *options = command
    run_xlsx = CliRunner().invoke(main, [name, str(GZ_POLICY), str(workbook), *options])
    run_yaml = CliRunner().invoke(main, [name, str(GZ_POLICY), str(GZ_FACTS), *options])
    assert run_xlsx.exit_code == 0 == run_yaml.exit_code, run_xlsx.output
    if name == "check":
        assert f"事实文件 {workbook} 有效" in run_xlsx.output
        return
    want, got = json.loads(run_yaml.output), json.loads(run_xlsx.output)
    differ = differences(want, got)
    assert all(d.endswith((".source", ".file", ".digest")) for d in differ), differ
    if name == "whatif":
        assert "100.622" in run_xlsx.output


def test_score_accepts_a_workbook_among_other_fact_files_in_batch_mode(filled, tmp_path):
    out = tmp_path / "results.jsonl"
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(filled()), str(GZ_FACTS), "--out", str(out)])
    assert run.exit_code == 0, run.output
    totals = [json.loads(line)["total"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert totals == ["94.622", "94.622"]


def test_diff_of_two_policy_versions_reads_the_workbook(filled):
    other = GZ_POLICY.with_name("gz-dept-2021-r1p.yaml")
    runs = [CliRunner().invoke(main, ["diff", str(GZ_POLICY), str(other), str(facts), "--format", "json"])
            for facts in (GZ_FACTS, filled())]
    assert [r.exit_code for r in runs] == [0, 0], runs[1].output
    differ = differences(*(json.loads(r.output) for r in runs))
    assert all(d.endswith((".source", ".file", ".digest")) for d in differ), differ


def test_yaml_only_runs_do_not_import_openpyxl():
    import subprocess
    import sys

    code = ("import sys, engine; p = engine.load_policy(sys.argv[1]); engine.read_facts(sys.argv[2], p); "
            "import engine.commands.main; print('openpyxl' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code, str(GZ_POLICY), str(GZ_FACTS)], capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr
