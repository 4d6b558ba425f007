"""The last line of defence: a bug in any command is one Chinese line and a log file, never a traceback.

The faults here are injected. That no real input reaches this line is checked for the whole suite by
the autouse fixture in tests/conftest.py: a test that is not marked ``internal_error`` fails when the
line is printed.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import engine
from engine import decimals
from engine.commands import views
from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY

pytestmark = pytest.mark.internal_error


def invoke(args: list[str], log_dir) -> tuple[int, str]:
    run = CliRunner().invoke(main, args, env={"JIXIAO_LOG_DIR": str(log_dir)})
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert "Traceback" not in run.output
    return run.exit_code, run.output


def test_a_bug_is_one_located_line_and_the_traceback_goes_to_the_log(tmp_path, monkeypatch):
    def broken(value, *args, **kwargs):
        raise ZeroDivisionError("injected fault")

    monkeypatch.setattr(decimals, "fmt", broken)
    code, out = invoke(["score", str(GZ_POLICY), str(GZ_FACTS)], tmp_path)
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith("内部错误：jixiao score 出错（engine/") and "ZeroDivisionError: injected fault" in line
    (log,) = tmp_path.iterdir()
    assert f"详情已写入 {log}" in line
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "injected fault" in text and "argv:" in text


@pytest.mark.parametrize("command", [["explain", str(GZ_POLICY), str(GZ_FACTS)],
                                     ["whatif", str(GZ_POLICY), str(GZ_FACTS), "--set", "预算完成率=100"],
                                     ["check", str(GZ_POLICY)],
                                     ["diff", str(GZ_POLICY), str(GZ_POLICY), str(GZ_FACTS)]])
def test_every_command_is_covered(tmp_path, monkeypatch, command):
    def broken(*args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(engine, "load_policy", broken)
    code, out = invoke(command, tmp_path)
    assert code == 1 and out.startswith(f"内部错误：jixiao {command[0]} 出错") and len(out.splitlines()) == 1


def test_an_unwritable_log_directory_still_gives_one_line(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setattr(engine, "load_policy", lambda *a: 1 / 0)
    code, out = invoke(["check", str(GZ_POLICY)], blocker / "logs")
    assert code == 1 and "详情未能写入日志" in out and len(out.splitlines()) == 1


def test_a_broken_pipe_ends_quietly(tmp_path, monkeypatch):
    def closed(text, output):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(views, "emit", closed)
    monkeypatch.setattr("engine.commands.main.emit", closed)
    code, out = invoke(["score", str(GZ_POLICY), str(GZ_FACTS)], tmp_path)
    assert code == 1 and out == "" and not list(tmp_path.iterdir())
