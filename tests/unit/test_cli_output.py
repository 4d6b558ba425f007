"""``--output`` and batch ``--out``: refused targets, the umask, symbolic links, atomic replacement."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.commands import output as output_module
from engine.commands.main import main
from engine.commands.output import check_output, write_output
from engine.errors import ErrorCode, JixiaoError
from tests.conftest import GZ_FACTS, GZ_POLICY


def score(*args: object) -> tuple[int, str]:
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), *map(str, args)])
    assert "Traceback" not in run.output and "内部错误" not in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    return run.exit_code, run.output


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    os.umask(old)
    yield set_mask
    os.umask(old)


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_follows_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    out = tmp_path / "report.txt"
    assert score("--output", out)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert out.read_text(encoding="utf-8").startswith(CliRunner().invoke(main, ["score", str(GZ_POLICY),
                                                                               str(GZ_FACTS)]).output[:40])


def test_replacing_a_file_keeps_its_permissions(tmp_path, umask):
    umask(0o022)
    out = tmp_path / "report.txt"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    assert score("--output", out)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and out.read_text(encoding="utf-8") != "old"


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "reports" / "2021.txt"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.txt"
    link.symlink_to(target)
    assert score("--output", link)[0] == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert "94.622" in target.read_text(encoding="utf-8")
    assert entries(target.parent) == ["2021.txt"]


def test_a_dangling_link_creates_its_target(tmp_path):
    link = tmp_path / "latest.txt"
    link.symlink_to(tmp_path / "new.txt")
    assert score("--output", link)[0] == 0
    assert link.is_symlink() and "94.622" in (tmp_path / "new.txt").read_text(encoding="utf-8")


def test_a_link_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    code, out = score("--output", tmp_path / "a")
    assert code == 1 and "--output:1:10: output.unwritable: " in out and "循环" in out


def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, out = score("--output", fifo)
    assert code == 1 and "output.not_regular" in out and "命名管道" in out
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and entries(tmp_path) == ["pipe"]


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_a_device_is_refused(device):
    if not Path(device).exists():
        pytest.skip(f"{device} is missing on this system")
    code, out = score("--output", device)
    assert code == 1 and "output.not_regular" in out and "字符设备" in out
    assert stat.S_ISCHR(Path(device).stat().st_mode)


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_path_is_a_usage_error(name):
    code, out = score("--output", name)
    assert code == 2 and "输出路径为空" in out


def test_a_directory_or_a_trailing_slash_is_refused(tmp_path):
    code, out = score("--output", tmp_path)
    assert code == 1 and "output.not_regular" in out and "是目录" in out
    code, out = score("--output", f"{tmp_path}/new/")
    assert code == 1 and "output.not_regular" in out and "以 / 结尾" in out


def test_a_path_through_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, out = score("--output", tmp_path / "file" / "report.txt")
    assert code == 1 and "output.unwritable" in out and "不是目录" in out


def test_a_read_only_file_is_refused_before_any_work(tmp_path, monkeypatch):
    out = tmp_path / "report.txt"
    out.write_text("old", encoding="utf-8")
    real_access = os.access
    # as root every file is writable, so the check is shown by pretending to be another user
    monkeypatch.setattr(output_module.os, "access",
                        lambda p, m: False if Path(p) == out.resolve() else real_access(p, m))
    code, text = score("--output", out)
    assert code == 1 and "output.unwritable" in text and "只读" in text
    assert out.read_text(encoding="utf-8") == "old"


def test_a_failed_write_leaves_the_target_unchanged_and_no_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "report.txt"
    out.write_text("old", encoding="utf-8")

    def disk_full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output_module.os, "write", disk_full)
    code, text = score("--output", out)
    assert code == 1 and "--output:1:10: output.unwritable: " in text and "磁盘空间不足" in text
    assert out.read_text(encoding="utf-8") == "old" and entries(tmp_path) == ["report.txt"]


def test_a_target_that_became_a_fifo_after_the_check_is_not_replaced(tmp_path):
    out = tmp_path / "report.txt"
    target = check_output("--output", str(out))
    os.mkfifo(out)
    with pytest.raises(JixiaoError) as caught:
        write_output(target, "text")
    assert caught.value.code == ErrorCode.OUTPUT_NOT_REGULAR and stat.S_ISFIFO(out.lstat().st_mode)
    assert entries(tmp_path) == ["report.txt"]


def test_the_batch_out_file_follows_the_same_rules(tmp_path):
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), str(GZ_FACTS), "--out",
                                    str(tmp_path / "missing" / "r.jsonl")])
    assert run.exit_code == 1 and "--out:1:7: output.unwritable: " in run.output and "Traceback" not in run.output
    out = tmp_path / "r.jsonl"
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), str(GZ_FACTS), "--out", str(out)])
    assert run.exit_code == 0 and len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_a_bad_output_is_reported_before_the_policy_is_read(tmp_path):
    code, out = score("--output", "/dev/null", "--format", "json")
    assert code == 1 and "output.not_regular" in out and "policies" not in out


@pytest.mark.parametrize("command", [["explain"], ["recover"], ["whatif", "--set", "预算完成率=100"]])
def test_every_view_command_refuses_a_device(command):
    run = CliRunner().invoke(main, [command[0], str(GZ_POLICY), str(GZ_FACTS), *command[1:], "-o", "/dev/null"])
    assert run.exit_code == 1 and "output.not_regular" in run.output and "Traceback" not in run.output


@pytest.mark.parametrize("args", [
    ["score", GZ_POLICY, GZ_FACTS, "-o", "-"],
    ["score", GZ_POLICY, GZ_FACTS, GZ_FACTS, "--out", "-"],
    ["explain", GZ_POLICY, GZ_FACTS, "--output", "-"],
    ["table", GZ_POLICY, "-o", "-"],
])
def test_a_dash_is_standard_output_and_writes_no_file(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(main, [str(a) for a in args])
    assert run.exit_code == 0, run.output
    assert not (tmp_path / "-").exists() and not list(tmp_path.iterdir())
    assert "94.622" in run.output or "评分标准" in run.output or "分值" in run.output


def test_a_workbook_cannot_go_to_standard_output():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(GZ_FACTS), "--format", "xlsx", "-o", "-"])
    assert run.exit_code == 2 and "--output" in run.output
