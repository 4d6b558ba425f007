"""``jixiao review POLICY DIR …``: one summary row per unit, sorted by the size of the difference, the same
bytes for any ``--jobs``, as text, JSON Lines and CSV."""

from __future__ import annotations

import csv
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_POLICY, ROOT
from tests.variants import SEED_TEXT, variant

CLAIMED_BLOCK = (ROOT / "facts" / "gz-kjj-2021-claimed.yaml").read_text(encoding="utf-8").split("\nclaimed:\n")[1]


def unit(i: int) -> str:
    """Unit ``i``: varied facts (every 10th the seed's) with the seed's printed scores as its claims."""
    facts = SEED_TEXT if i % 10 == 0 else variant(i)
    text = facts.replace("department: 广州市科学技术局", f"department: 单位{i:03d}") + "claimed:\n" + CLAIMED_BLOCK
    if i % 50 == 7:
        text = text.replace("  total: 94.622", "  totl: 94.622")  # cannot be reviewed
    return text


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("units")
    for i in range(210):
        (folder / f"u{i:03d}.yaml").write_text(unit(i), encoding="utf-8")
    return folder


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["review", str(GZ_POLICY), *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout


def test_the_summary_is_sorted_and_the_same_bytes_for_any_jobs(units, tmp_path):
    runs = {jobs: run(units, "--jobs", jobs, "--out", tmp_path / f"j{jobs}.jsonl") for jobs in (1, 2)}
    code, text = run(units, "--jobs", 3, "--out", tmp_path / "j3.csv")
    assert runs[1] == runs[2] == (code, text) and code == 1
    assert (tmp_path / "j1.jsonl").read_bytes() == (tmp_path / "j2.jsonl").read_bytes()
    records = [json.loads(line) for line in (tmp_path / "j1.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 210
    reviewed = [r for r in records if "error" not in r]
    sizes = [abs(Decimal(r["difference"])) for r in reviewed]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1] == 0
    for a, b in itertools.pairwise(reviewed):
        assert abs(Decimal(a["difference"])) > abs(Decimal(b["difference"])) or a["file"] < b["file"]
    errors = records[len(reviewed):]
    assert [Path(r["file"]).name for r in errors] == ["u007.yaml", "u057.yaml", "u107.yaml", "u157.yaml", "u207.yaml"]
    assert all(r["error"]["code"] == "facts.unknown" for r in errors)
    seed = [r for r in reviewed if r["department"] in ("单位000", "单位010")]
    assert [(r["difference"], r["findings"], r["verdict"]) for r in seed] == [("0.000", 0, "一致")] * 2
    rows = list(csv.reader(io.StringIO((tmp_path / "j3.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:5] == ["file", "department", "claimed_total", "computed_total", "difference"]
    assert [row[0] for row in rows[1:]] == [r["file"] for r in records]
    lines = text.splitlines()
    assert lines[0] == "自评得分批量复核汇总" and "文件数：210" in text and "无法复核 5 个" in text
    body = [line.split()[:2] for line in lines if line.startswith(str(units))]
    assert body == [[r["file"], r.get("department", "—")] for r in records]


def test_report_only_keeps_exit_code_0_when_units_differ(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    for i in (1, 2):
        (folder / f"u{i}.yaml").write_text(unit(i), encoding="utf-8")
    assert run(folder)[0] == 1
    code, text = run(folder, "--report-only")
    assert code == 0 and "有差异 2 个" in text
    (folder / "u3.yaml").write_text(unit(7), encoding="utf-8")
    assert run(folder, "--report-only")[0] == 1  # a file that cannot be reviewed is still an error
