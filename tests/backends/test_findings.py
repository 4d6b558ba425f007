"""The findings hold: durable_rules' limits reproduced raw (in a subprocess with a timeout), and the
machine-readable list of what it cannot express agrees with FINDINGS.md."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from engine.errors import ErrorCode
from engine.firing.limits import MAX_TRUE_AT_ONCE, RULESET_LIMIT
from tests.conftest import ROOT

HERE = ROOT / "tests" / "backends"
EXCEPTIONS = HERE / "durable_exceptions.yaml"


def _probe(kind: str, n: int, timeout: float = 60) -> str:
    """Outcome of one raw experiment, or 'hang' when it did not return within ``timeout`` seconds."""
    try:
        run = subprocess.run([sys.executable, str(HERE / "probe_durable.py"), kind, str(n)],
                             capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return "hang"
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def test_sixty_four_conditions_true_at_once_fire_and_sixty_five_fail_with_303():
    assert _probe("true_at_once", MAX_TRUE_AT_ONCE) == f"ok {MAX_TRUE_AT_ONCE}"
    over = _probe("true_at_once", MAX_TRUE_AT_ONCE + 1)
    assert over.startswith("error") and "error code: 303" in over


def test_the_1025th_live_session_raises_memory_error():
    assert _probe("sessions", 1024) == "ok 1024"
    assert _probe("sessions", 1025).startswith("error MemoryError")


@pytest.mark.slow
def test_a_node_with_512_children_hangs_and_jixiao_stays_far_below():
    assert _probe("children", 511) == "ok 1"
    assert _probe("children", 512, timeout=5) == "hang"
    assert RULESET_LIMIT <= 511 // 2


def _entries() -> list[dict[str, object]]:
    loaded = yaml.safe_load(EXCEPTIONS.read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return loaded


def test_the_exceptions_file_lists_every_finding_with_its_reason():
    entries = _entries()
    table = re.findall(r"^\| (F\d+) \|", (ROOT / "FINDINGS.md").read_text(encoding="utf-8"), flags=re.M)
    assert [e["id"] for e in entries] == table
    codes = {str(c) for c in ErrorCode}
    for entry in entries:
        assert set(entry) >= {"id", "finding", "reason", "jixiao"}, entry
        assert all(isinstance(entry[k], str) and entry[k] for k in ("finding", "reason", "jixiao")), entry
        assert entry.get("error_code") is None or entry["error_code"] in codes, entry


def test_every_test_named_in_the_exceptions_file_exists():
    for entry in _entries():
        for ref in entry.get("tests", []):
            path, _, name = str(ref).partition("::")
            assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), ref
