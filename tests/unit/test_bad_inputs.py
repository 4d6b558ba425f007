"""Every bad input in tests/bad/ is caught with its code, file, line and a message substring.

Each case file starts with an ASCII/UTF-8 comment header (a JSON case has a ``.want`` file beside it):
``# code:``, ``# line:``, ``# message:``, and for fact files ``# policy:`` (relative to the case).

A bad command line is a ``cli-*.args`` file: the header gives ``# code:``, ``# location:`` (an argument
is located as ``--set:2:7``), ``# message:`` and optionally ``# exit:`` (default 1); the last line is the
command line, split like a shell would, with ``{root}`` (the repository) and ``{tmp}`` (a fresh
directory) filled in.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.commands.main import main
from engine.errors import ErrorCode, JixiaoError
from engine.identity import check_identity
from engine.loader import facts_from_document, read_document
from engine.views.review import review_document

ROOT = Path(__file__).resolve().parent.parent.parent
BAD = ROOT / "tests" / "bad"
CASES = sorted(p for p in BAD.glob("*") if p.suffix in (".yaml", ".json", ".xlsx") and p.name != "base-policy.yaml")
CLI_CASES = sorted(BAD.glob("cli-*.args"))
# Codes that no policy or fact file can cause: they mean a bug in jixiao (or a limit tested in
# tests/backends), so they have no bad-input file.
INTERNAL = {ErrorCode.EVAL_AMBIGUOUS, ErrorCode.FIRING_NOT_HANDLED, ErrorCode.FIRING_OBSERVED,
            ErrorCode.FIRING_ACTION_FAILED, ErrorCode.FIRING_ENGINE, ErrorCode.FIRING_TIMEOUT,
            ErrorCode.SOURCE_NOT_FOUND,
            # what the file *is* (a device, a FIFO, a loop of links, more than 4 MB): no file in a repository
            # can be it, and as an ``extends`` target it is policy.extends; tests/unit/test_hostile_paths.py
            ErrorCode.SOURCE_UNREADABLE, ErrorCode.LIMIT_FILE_SIZE}


def want(case: Path) -> dict[str, str]:
    header = case.with_suffix(".want").read_bytes() if case.suffix == ".json" else case.read_bytes()
    text = header.decode("utf-8", errors="replace")
    return dict(re.findall(r"^# (case|code|line|message|policy|review): (.*)$", text, flags=re.MULTILINE))


def load(case: Path, expected: dict[str, str]) -> None:
    """A policy (checked and compiled), a fact file (scored, as ``jixiao score`` does, identity included)
    or, with ``# review:``, a reviewer's adjustments file for that fact file."""
    if "review" in expected:
        policy = engine.load_policy(case.parent / expected["policy"])
        review_document(policy, read_document(case.parent / expected["review"]), adjustments=read_document(case))
    elif "policy" in expected:
        policy = engine.load_policy(case.parent / expected["policy"])
        doc = read_document(case)
        check_identity(doc, policy)
        engine.evaluate(policy, facts_from_document(doc, policy))
    else:
        engine.load_policy(case)


def test_there_are_at_least_forty_distinct_bad_inputs():
    assert len(CASES) >= 40
    assert len({case.read_bytes() for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_bad_input_is_located(case):
    expected = want(case)
    with pytest.raises(JixiaoError) as err:
        load(case, expected)
    found = [(str(p.code), p.location.file if p.location else None, p.location.line if p.location else None,
              p.message) for p in err.value.problems]
    assert any(code == expected["code"] and file == str(case) and line == int(expected["line"])
               and expected["message"] in message for code, file, line, message in found), found


def cli_case(case: Path) -> tuple[dict[str, str], list[str]]:
    text = case.read_text(encoding="utf-8")
    header = dict(re.findall(r"^# (case|code|location|message|exit): (.*)$", text, flags=re.MULTILINE))
    (command,) = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return header, shlex.split(command)


def test_every_input_error_code_has_a_bad_file():
    covered = {want(case)["code"] for case in CASES} | {cli_case(case)[0]["code"] for case in CLI_CASES}
    assert covered == {str(c) for c in ErrorCode} - {str(c) for c in INTERNAL}


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda p: p.stem)
def test_bad_command_line_is_located(case, tmp_path, monkeypatch):
    import uvicorn

    def must_not_start(*args, **kwargs):
        raise AssertionError("the service must not start on a bad command line")

    monkeypatch.setattr(uvicorn, "run", must_not_start)
    expected, args = cli_case(case)
    args = [a.replace("{root}", str(ROOT)).replace("{tmp}", str(tmp_path)) for a in args]
    before = sorted(tmp_path.rglob("*"))
    run = CliRunner().invoke(main, args, env={"JIXIAO_DB": None, "JIXIAO_POLICIES": None})
    assert run.exit_code == int(expected.get("exit", "1")), run.output
    assert "Traceback" not in run.output and "内部错误" not in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert f"{expected['location']}: {expected['code']}: " in run.output, run.output
    assert expected["message"] in run.output
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, not even a temporary file


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_cli_reports_without_traceback(case, tmp_path):
    expected = want(case)
    out = tmp_path / "out.json"
    if "review" in expected:
        args = ["review", str(case.parent / expected["policy"]), str(case.parent / expected["review"]),
                "--adjustments", str(case), "--format", "json", "-o", str(out)]
    elif "policy" in expected:
        args = ["score", str(case.parent / expected["policy"]), str(case), "--format", "json", "-o", str(out)]
    else:
        args = ["check", str(case)]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 1, run.output
    assert "Traceback" not in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert f"{case}:{expected['line']}:" in run.output and expected["code"] in run.output
    assert not out.exists()  # nothing written


def test_problems_are_sorted_and_capped(tmp_path):
    broken = (BAD / "base-policy.yaml").read_text(encoding="utf-8")
    for field in ("threshold", "direction", "wording", "fact", "floor"):
        broken = broken.replace(f"          {field}:", f"          {field}x:")
    path = tmp_path / "many.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(JixiaoError) as err:
        engine.load_policy(path)
    problems = err.value.problems
    assert len(problems) > 5
    assert list(problems) == sorted(problems, key=lambda p: p.sort_key())
