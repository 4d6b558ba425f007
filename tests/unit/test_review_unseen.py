"""`jixiao review` of a form cut off in its source (issue 13 §4): an ``unseen`` row's max counts, its rule
score is unknown, and every review output says so. The Tangxi form (rows 3.4.1 and 4.1.1 unseen, 20 of its
100 points) is the case; its printed 执行率 score 0 against the rule's 10 is the one difference."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.errors import ErrorCode, JixiaoError
from engine.loader import read_document
from engine.source import parse_document
from engine.views.review import Review, review_document
from engine.views.review_findings import FindingKind
from tests.conftest import ROOT

MOF = ROOT / "policies" / "mof-project-2020.yaml"
TANGXI = ROOT / "facts" / "ah-tangxi-cunji-proj-2022.yaml"


def cli(*args: object) -> tuple[int, str]:
    run = CliRunner().invoke(main, [str(a) for a in args])
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    return run.exit_code, run.output


@pytest.fixture(scope="module")
def mof() -> engine.CompiledPolicy:
    return engine.load_policy(MOF)


def claiming(tmp_path: Path, extra: str, name: str = "tangxi.yaml") -> Path:
    """The Tangxi form with more lines in its claimed block."""
    path = tmp_path / name
    path.write_text(TANGXI.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def reviewed(path: Path, policy: engine.CompiledPolicy) -> Review:
    return review_document(policy, read_document(path))


def line(view: Review, ident: str | None) -> Any:
    return next(x for x in view.lines if x.id == ident)


def test_the_text_review_says_unseen_in_the_table_the_total_and_the_verdict():
    code, out = cli("review", MOF, TANGXI)
    assert code == 1  # the printed 执行率 0 differs from the rule's 10
    assert "结论：有差异：1 项，合计 −10.00 分；原表未见 20 分，无法复核" in out
    assert "规则总分：80 + 未见 20 / 100" in out and "80 / 100" not in out
    rows = {r.split()[1]: r.split()[3:] for r in out.splitlines() if r.split()[1:2]
            and r.split()[1] in ("3", "3.4", "3.4.1", "4.1.1", "100")}
    assert rows["3.4.1"] == ["—", "未见", "原表未见"] and rows["4.1.1"] == ["—", "未见", "原表未见"]
    assert rows["3"] == ["—", "20", "+", "未见", "10"] and rows["3.4"] == ["—", "0", "+", "未见", "10"]
    assert rows["100"] == ["80", "+", "未见", "20"]  # the total's row: 分值 100, 填报 —, then the rule's score


def test_the_json_review_gives_an_unseen_rows_score_as_null(mof):
    code, out = cli("review", MOF, TANGXI, "--format", "json")
    data = json.loads(out)
    assert code == 1 and (data["computed_total"], data["unseen_total"], data["difference"]) == ("80", "20", "-10.00")
    by_id = {x["id"]: x for x in data["lines"]}
    assert (by_id["3.4.1"]["computed"], by_id["3.4.1"]["unseen"], by_id["3.4.1"]["adjusted"]) == (None, True, None)
    assert (by_id["3"]["computed"], by_id["3"]["unseen"], by_id["3"]["unseen_points"]) == ("20", False, "10")
    assert (by_id["1"]["unseen"], by_id["1"]["unseen_points"]) == (False, None)
    assert by_id[None]["unseen_points"] == "20" and by_id[None]["difference"] is None


def test_markdown_and_html_say_unseen(tmp_path):
    for fmt in ("markdown", "html"):
        code, out = cli("review", MOF, TANGXI, "--format", fmt)
        assert code == 1 and "80 + 未见 20 / 100" in out and "未见" in out.split("3.4.1", 1)[1][:400], fmt


def test_a_claim_on_an_unseen_row_is_not_compared(mof, tmp_path):
    view = reviewed(claiming(tmp_path, "  可持续影响（摘录截断）: 7\n"), mof)
    assert view.claims.indicators["3.4.1"].value == 7
    assert [f.indicator for f in view.findings] == ["1"]  # only 执行率: 7 is neither right nor wrong
    assert line(view, "3.4.1").status == "原表未见，无法复核"
    assert view.difference == D(-10)  # the seen rows' difference; the unseen claim's is unknown


def test_a_claim_on_an_unseen_row_still_has_its_bounds(mof, tmp_path):
    view = reviewed(claiming(tmp_path, "  可持续影响（摘录截断）: 12\n"), mof)
    above = [f for f in view.findings if f.indicator == "3.4.1"]
    assert [(f.kind, f.expected) for f in above] == [(FindingKind.ABOVE_MAX, D(10))]  # its max counts


def test_a_parent_claim_over_unseen_rows_that_are_not_claimed_is_not_compared(mof, tmp_path):
    view = reviewed(claiming(tmp_path, "  效益指标: 30\n  total: 90\n"), mof)
    assert [f.indicator for f in view.findings] == ["1"]
    assert line(view, "3").status == "含未见 10 分，无法复核"
    assert line(view, None).status == "含未见 10 分，无法复核"  # 效益指标's 10 unseen points are claimed with it
    assert view.difference == D(-10)  # not 90 − 80: the unseen 20 points are not 0


def test_a_parent_whose_unseen_rows_are_claimed_is_compared_through_them(mof, tmp_path):
    agreeing = reviewed(claiming(tmp_path, "  可持续影响（摘录截断）: 10\n  效益指标: 30\n"), mof)
    assert [f.indicator for f in agreeing.findings] == ["1"] and line(agreeing, "3").status == "已见部分一致"
    off = reviewed(claiming(tmp_path, "  可持续影响（摘录截断）: 10\n  效益指标: 25\n", "off.yaml"), mof)
    (arithmetic,) = [f for f in off.findings if f.indicator == "3"]  # 10 + 10 + 10 on the form, not 25
    assert (arithmetic.kind, arithmetic.expected, arithmetic.difference) == (FindingKind.SUM, D(30), D(-5))
    seen = reviewed(claiming(tmp_path, "  社会效益指标: 9\n", "seen.yaml"), mof)
    assert any(f.indicator == "3.2" and f.kind is FindingKind.SUM for f in seen.findings)  # seen rows: as before


def test_a_parent_over_claimed_unseen_rows_says_where_a_difference_below_is(mof, tmp_path):
    path = claiming(tmp_path, "  可持续影响（摘录截断）: 10\n  效益指标: 20\n")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  对保障村(社区)两委机构正常运行的影响程度: 10\n",
                                 "  对保障村(社区)两委机构正常运行的影响程度: 0\n"), encoding="utf-8")
    view = reviewed(path, mof)
    assert [(f.indicator, f.kind) for f in view.findings] == [("1", FindingKind.RULE), ("3.1.1", FindingKind.RULE)]
    assert line(view, "3").status == "差异来自下级"  # 20 = 0 + 10 + 10 on the form, the 10 lost at 3.1.1


def test_a_reviewer_cannot_adjust_an_unseen_row(mof, tmp_path):
    doc = read_document(TANGXI)
    judged = parse_document(
        "reviewer: 王复核\nadjustments:\n  - indicator: '3.4.1'\n    deduct: 1\n    reason: 原表截断\n",
        str(tmp_path / "adjust.yaml"))
    with pytest.raises(JixiaoError) as caught:
        review_document(mof, doc, adjustments=judged)
    assert caught.value.code == ErrorCode.REVIEW_ADJUSTMENT and "原表未见" in str(caught.value)


def test_the_review_workbook_says_unseen(tmp_path):
    out = tmp_path / "r.xlsx"
    code, _ = cli("review", MOF, TANGXI, "--format", "xlsx", "-o", out)
    ws = openpyxl.load_workbook(out)["复核表"]
    rows = list(ws.iter_rows(values_only=True))
    assert code == 1 and "复核得分（按规则）：80 + 未见 20 / 100" in [r[0] for r in rows]
    header = next(i for i, r in enumerate(rows) if r[0] == "指标编号")
    body = {r[0]: dict(zip(rows[header], r, strict=True)) for r in rows[header + 1:] if r[1]}
    assert body["3.4.1"]["复核得分"] == "未见" and body["3.4.1"]["说明"] == "原表未见"
    assert body["3"]["复核得分"] == "20 + 未见 10" and body["2.1.1"]["复核得分"] == 8


def test_batch_records_carry_the_unseen_total(tmp_path):
    folder = tmp_path / "units"
    folder.mkdir()
    shutil.copy(TANGXI, folder / "tangxi.yaml")
    code, text = cli("review", MOF, folder, "--out", tmp_path / "r.jsonl")
    (record,) = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert code == 1 and (record["computed_total"], record["unseen_total"], record["difference"]) == ("80", "20",
                                                                                                      "-10.00")
    assert "80 + 未见 20" in text
    cli("review", MOF, folder, "--out", tmp_path / "r.csv")
    header, row = csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig")))
    assert dict(zip(header, row, strict=True))["unseen_total"] == "20"
    cli("review", MOF, folder, "--out", tmp_path / "r.xlsx")
    summary = list(openpyxl.load_workbook(tmp_path / "r.xlsx")["汇总"].iter_rows(values_only=True))
    assert summary[1][4] == "80 + 未见 20"
