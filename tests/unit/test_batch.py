"""``jixiao score POLICY DIR_OR_GLOB … --out results.jsonl``: many files, one compile, sorted records."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_POLICY
from tests.variants import variant


@pytest.fixture
def fact_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "facts"
    folder.mkdir()
    for i in (3, 1, 2, 10):
        (folder / f"dept-{i:02d}.yaml").write_text(variant(i), encoding="utf-8")
    (folder / "dept-05-bad.yaml").write_text(variant(5).replace('unit: "%"', 'unit: "个"', 1), encoding="utf-8")
    (folder / "notes.txt").write_text("not a fact file", encoding="utf-8")
    return folder


def _run(*args: str) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), *args])
    return run.exit_code, run.output


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_directory_is_scored_in_path_order_and_a_bad_file_does_not_stop_the_others(fact_dir, tmp_path):
    out = tmp_path / "results.jsonl"
    code, output = _run(str(fact_dir), "--out", str(out), "--jobs", "2")
    assert code == 1  # one file failed, after all others were written
    records = _lines(out)
    files = [r["error"]["location"]["file"] if "error" in r else r["facts"]["file"] for r in records]
    assert [Path(f).name for f in files] == ["dept-01.yaml", "dept-02.yaml", "dept-03.yaml", "dept-05-bad.yaml",
                                            "dept-10.yaml"]
    bad = records[3]
    assert bad["file"].endswith("dept-05-bad.yaml") and bad["error"]["code"] == "facts.unit"
    where = bad["error"]["location"]  # the error shape of the HTTP API: engine.errors.problem_dict
    assert where["file"] == str(fact_dir / "dept-05-bad.yaml") and where["line"] > 1
    assert "文件数" in output and "失败" in output and "扣分最多 1" in output
    assert f"{where['file']}:{where['line']}:{where['col']}: facts.unit" in output


def test_each_record_is_the_single_file_json_result(fact_dir, tmp_path):
    out = tmp_path / "results.jsonl"
    _run(str(fact_dir / "dept-0*.yaml"), "--out", str(out), "--jobs", "2")
    records = _lines(out)
    assert len(records) == 4
    for record in records:
        if "error" in record:
            continue
        code, single = _run(record["facts"]["file"], "--format", "json")  # type: ignore[index]
        assert code == 0 and json.loads(single) == record


def test_one_process_and_many_give_the_same_bytes(fact_dir, tmp_path):
    outs = []
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"r{jobs}.jsonl"
        _run(str(fact_dir), str(fact_dir / "dept-01.yaml"), "--out", str(out), "--jobs", jobs)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2] and outs[0].count(b"\n") == 5


def test_results_go_to_stdout_without_out_and_a_missing_file_is_a_record(fact_dir):
    code, output = _run(str(fact_dir / "dept-01.yaml"), str(fact_dir / "missing.yaml"), "--jobs", "1")
    assert code == 1
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert [("error" in r) for r in records] == [False, True]
    assert records[1]["error"]["code"] == "source.not_found"


def test_summary_counts_and_totals(fact_dir, tmp_path):
    out = tmp_path / "r.jsonl"
    code, output = _run(str(fact_dir / "dept-0[123].yaml"), "--out", str(out))
    assert code == 0
    totals = [Decimal(str(r["total"])) for r in _lines(out)]
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in output.splitlines()
            if line.count("│") == 3}
    assert (rows["文件数"], rows["成功"], rows["失败"]) == ("3", "3", "0")
    assert (rows["最低总分"], rows["最高总分"]) == (str(min(totals)), str(max(totals)))
    assert Decimal(rows["平均总分"]) == (sum(totals) / 3).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def test_no_matching_file_is_a_usage_error(tmp_path):
    code, output = _run(str(tmp_path / "*.yaml"))
    assert code == 2 and "没有找到事实文件" in output


def test_a_bad_policy_stops_before_any_file(fact_dir, tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text(GZ_POLICY.read_text(encoding="utf-8").replace("max: 50", "max: 51", 1), encoding="utf-8")
    run = CliRunner().invoke(main, ["score", str(bad), str(fact_dir), "--out", str(tmp_path / "r.jsonl")])
    assert run.exit_code == 1 and "policy.weights_sum" in run.output and not (tmp_path / "r.jsonl").exists()


def test_single_report_options_are_refused_in_batch_mode(fact_dir):
    code, output = _run(str(fact_dir), "--format", "markdown")
    assert code == 2 and "--out" in output


def test_a_deadline_runs_the_engine_in_a_worker_with_the_same_results(fact_dir, tmp_path):
    plain, guarded = tmp_path / "plain.jsonl", tmp_path / "guarded.jsonl"
    args = (str(fact_dir / "dept-0[12].yaml"), "--jobs", "2")
    _run(*args, "--out", str(plain))
    assert _run(*args, "--out", str(guarded), "--timeout", "30")[0] == 0
    assert guarded.read_bytes() == plain.read_bytes()
    single = [_run(str(fact_dir / "dept-01.yaml"), "--format", "json", *t)[1] for t in ((), ("--timeout", "30"))]
    assert single[0] == single[1] and json.loads(single[0])["total"]


def test_a_batch_freezes_the_records_it_holds_and_thaws_them_at_the_end() -> None:
    import gc

    from engine.commands.batch import kept_records

    gc.unfreeze()
    records: list[dict[str, object]] = []
    with kept_records() as keep:
        before = gc.get_freeze_count()  # what was alive before the workers would fork
        assert before > 0
        for i in range(600):
            records.append({"file": f"f{i}", "indicators": [{"id": "A", "lost": "1"}]})  # tracked by the GC
            keep(len(records))
        assert gc.get_freeze_count() >= before + 512  # the records so far are left out of collections
    assert gc.get_freeze_count() == 0  # and the process collects as usual afterwards
