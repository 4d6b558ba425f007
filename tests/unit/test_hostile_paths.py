"""Paths that are not ordinary files: refused with a Chinese error naming them, without hanging.

A FIFO blocks whoever opens it for reading until a writer comes, and /dev/zero never ends, so the
CLI cases run in a subprocess with a timeout: a regression fails this test instead of hanging it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import input_limits
from engine.errors import ErrorCode, JixiaoError
from engine.loader import load_policy, policy_from_text, read_bytes
from tests.conftest import GZ_POLICY, ROOT

BASE = ROOT / "tests" / "bad" / "base-policy.yaml"
CHILD = 'extends: {target}\npolicy: {{version: "2"}}\n'


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "policy.fifo"
    os.mkfifo(path)
    return path


def loop(tmp_path: Path) -> Path:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: no disk space used
        handle.truncate(input_limits.FILE_BYTES + 1)
    return path


def directory(tmp_path: Path) -> Path:
    path = tmp_path / "dir.yaml"
    path.mkdir()
    return path


KINDS = {
    "dev-zero": (lambda tmp: Path("/dev/zero"), ErrorCode.SOURCE_UNREADABLE, "字符设备"),
    "fifo": (fifo, ErrorCode.SOURCE_UNREADABLE, "命名管道"),
    "directory": (directory, ErrorCode.SOURCE_UNREADABLE, "目录"),
    "symlink-loop": (loop, ErrorCode.SOURCE_UNREADABLE, "符号链接循环"),
    "huge": (huge, ErrorCode.LIMIT_FILE_SIZE, "字节的上限"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_read_bytes_refuses_what_is_not_a_small_regular_file(tmp_path, kind):
    make, code, message = KINDS[kind]
    path = make(tmp_path)
    with pytest.raises(JixiaoError) as err:
        read_bytes(path)
    assert err.value.code == code
    assert str(path) in err.value.problem.message and message in err.value.problem.message


def test_a_nul_in_a_path_is_an_error_not_a_value_error():
    with pytest.raises(JixiaoError) as err:
        read_bytes("policies/a\0b.yaml")
    assert err.value.code == ErrorCode.SOURCE_UNREADABLE


def test_a_symlink_to_a_regular_file_is_followed(tmp_path):
    link = tmp_path / "link.yaml"
    link.symlink_to(GZ_POLICY)
    assert load_policy(link).meta.id == "gz-dept-2021"


def test_a_file_of_exactly_the_limit_is_read(tmp_path):
    path = tmp_path / "edge.yaml"
    path.write_bytes(b"#" * input_limits.FILE_BYTES)
    assert len(read_bytes(path)) == input_limits.FILE_BYTES


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from engine.commands.main import main; main()", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_cli_names_the_path_and_exits_1(tmp_path, kind):
    make, code, _ = KINDS[kind]
    path = make(tmp_path)
    if kind == "directory":  # click refuses a directory as POLICY itself (usage, exit 2); as FACTS it is ours
        run = run_cli("score", str(GZ_POLICY), str(path))
        assert run.returncode in (1, 2), run.stderr
    else:
        run = run_cli("check", str(path))
        assert run.returncode == 1, run.stderr
        assert str(code) in run.stderr and str(path) in run.stderr
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_extends_target_of_each_kind_is_policy_extends_at_the_extends_line(tmp_path, kind):
    make, _, message = KINDS[kind]
    target = make(tmp_path)
    child = tmp_path / "child.yaml"
    child.write_text(CHILD.format(target=target), encoding="utf-8")
    with pytest.raises(JixiaoError) as err:
        load_policy(child)
    assert err.value.code == ErrorCode.POLICY_EXTENDS
    assert err.value.location is not None and (err.value.location.file, err.value.location.line) == (str(child), 1)
    assert message in err.value.problem.message
    run = run_cli("check", str(child))
    assert run.returncode == 1 and f"{child}:1:" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("target", ['"base\\0.yaml"', '"base\\n.yaml"', "x" * 300])
def test_an_extends_name_with_control_characters_or_too_long_is_located(target):
    with pytest.raises(JixiaoError) as err:
        policy_from_text(CHILD.format(target=target), str(BASE.parent / "child.yaml"))
    assert err.value.code == ErrorCode.POLICY_EXTENDS and err.value.location.line == 1


def test_a_reader_that_raises_without_a_location_is_located_at_extends():
    def confined(name: str):
        raise JixiaoError(ErrorCode.POLICY_EXTENDS, f"extends 只能引用服务指标体系目录中的文件：「{name}」")

    with pytest.raises(JixiaoError) as err:
        policy_from_text(CHILD.format(target="../../etc/passwd"), "child.yaml", confined)
    assert err.value.code == ErrorCode.POLICY_EXTENDS and err.value.location.line == 1


def test_a_reader_that_raises_os_errors_is_located_at_extends():
    def broken(name: str):
        raise OSError(5, "Input/output error")

    with pytest.raises(JixiaoError) as err:
        policy_from_text(CHILD.format(target="base.yaml"), "child.yaml", broken)
    assert err.value.code == ErrorCode.POLICY_EXTENDS and err.value.location.line == 1
