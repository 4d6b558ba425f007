"""Rendered reports for people, snapshot-tested: HTML and Markdown of score, explain, recover, what-if, sweep,
diff and review.

The snapshots live in ``__snapshots__/test_snapshots/`` as ``.html`` and ``.md`` files one can open. They
change only with ``pytest --snapshot-update``, never by hand. Paths are relative to the repository, so
the reports name no machine.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from engine.commands.main import main
from tests.conftest import ROOT

POLICY, R1P = "policies/gz-dept-2021.yaml", "policies/gz-dept-2021-r1p.yaml"
FACTS, VARIANT = "facts/gz-kjj-2021.yaml", "facts/gz-kjj-2021-variance-7pct.yaml"

CASES = {
    "score": ["score", POLICY, FACTS],
    "explain": ["explain", POLICY, FACTS],
    "recover": ["recover", POLICY, FACTS],
    "whatif": ["whatif", POLICY, FACTS, "--set", "财政拨款收入预决算差异率=5", "--set", "实际在用固定资产总额=11000"],
    "sweep": ["whatif", POLICY, FACTS, "--sweep", "财政拨款收入预决算差异率=0:12:0.5"],
    "diff-seed": ["diff", POLICY, R1P, FACTS],
    "diff-variant": ["diff", POLICY, R1P, VARIANT],
    "review-row": ["review", POLICY, "facts/gz-kjj-2021-claimed-row.yaml", "--report-only"],
    "review-adjusted": ["review", POLICY, "facts/gz-kjj-2021-claimed-sum.yaml", "--adjustments",
                        "reviews/gz-kjj-2021-adjustments.yaml", "--report-only"],
    "review-unseen": ["review", "policies/mof-project-2020.yaml", "facts/ah-tangxi-cunji-proj-2022.yaml",
                      "--report-only"],
}


class HtmlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "html"


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


def render(case: str, fmt: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(ROOT)
    run = CliRunner().invoke(main, [*CASES[case], "--format", fmt])
    assert run.exit_code == 0, run.output
    return run.output


@pytest.mark.parametrize("case", CASES)
def test_html(case, snapshot, monkeypatch):
    assert render(case, "html", monkeypatch) == snapshot.use_extension(HtmlSnapshot)


@pytest.mark.parametrize("case", CASES)
def test_markdown(case, snapshot, monkeypatch):
    assert render(case, "markdown", monkeypatch) == snapshot.use_extension(MarkdownSnapshot)
