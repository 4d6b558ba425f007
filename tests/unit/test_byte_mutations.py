"""Random byte mutations of the bundled policy and fact file, through the CLI: exit 0, or a located error.

Beside test_robustness.py (which edits whole lines with chosen junk), this flips, inserts, deletes
and repeats raw bytes, and splices in the tokens that once broke the reader (aliases, tags, NUL,
huge numbers, deep brackets, full-width digits, invalid UTF-8). Whatever comes out must be exit 0
or a Chinese error naming the mutated file (exit 1; 2 for usage), never a traceback.

Budgets, stated here and enforced without timing anything that is not a runaway:
- time: every run must end within ``SECONDS`` (an alarm fails the example; a run takes about 0.1 s);
- memory: the test process may grow by at most ``GROWTH_MB`` over all examples (ru_maxrss), and the
  subprocess runs are capped at ``ADDRESS_SPACE_MB`` of address space by the kernel (RLIMIT_AS).
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT

SECONDS = 20
GROWTH_MB = 400
ADDRESS_SPACE_MB = 2048
POLICY = GZ_POLICY.read_bytes()
FACTS = GZ_FACTS.read_bytes()
TOKENS = [b"&a ", b"*a", b"&a [*a, *a, *a, *a, *a, *a, *a, *a, *a]", b"!!str ", b"!!python/object:os.system ", b"\x00",
          b"\x07", b"\xff\xfe", b"\xef\xbb\xbf", b"1e999999999", b"9" * 200, b"-0", b"0x64", b"[" * 200, b"{" * 200,
          "８４.４８".encode(), "٩٩٫٦٦".encode(), "Ａ".encode(), b"\t", b"\r\n", b"---\n", b"...\n", b": ", b"- ",
          b"'", b'"', b"#", b"|\n", b">-\n", b"? ", b"<<: *a", b"%YAML 1.1\n", b"\\u0000",
          "\ud800".encode(errors="surrogatepass")]
MUTATION = st.tuples(st.sampled_from(["flip", "insert", "delete", "repeat", "token"]), st.integers(0, 1 << 20),
                     st.integers(0, 255), st.integers(1, 64), st.sampled_from(TOKENS))


def mutate(data: bytes, mutations: list[tuple[str, int, int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for op, where, byte, size, token in mutations:
        at = where % (len(out) + 1)
        if op == "flip" and out:
            out[at % len(out)] ^= byte or 1
        elif op == "insert":
            out[at:at] = bytes([byte]) * size
        elif op == "delete":
            del out[at:at + size]
        elif op == "repeat":
            out[at:at] = out[at:at + size] * min(size, 8)
        else:
            out[at:at] = token
    return bytes(out)


class Runaway(Exception):
    """A run that did not end within the time budget."""


@contextmanager
def time_budget(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Runaway(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def assert_located_or_fine(args: list[str], mutated: str) -> None:
    with time_budget(SECONDS):
        run = CliRunner().invoke(main, args)
    assert not isinstance(run.exception, Runaway), args
    assert "Traceback" not in run.output, run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert run.exit_code in (0, 1, 2), run.output
    if run.exit_code == 1:
        assert f"{mutated}:" in run.output or f"「{mutated}」" in run.output, run.output


@pytest.fixture(scope="module")
def memory_budget():
    before = peak_mb()
    yield
    assert peak_mb() - before < GROWTH_MB


@settings(max_examples=80)
@given(st.lists(MUTATION, min_size=1, max_size=6))
def test_mutated_policy_bytes_give_exit_0_or_a_located_error(tmp_path_factory, memory_budget, mutations):
    path = tmp_path_factory.mktemp("p") / "policy.yaml"
    path.write_bytes(mutate(POLICY, mutations))
    assert_located_or_fine(["check", str(path)], str(path))


@settings(max_examples=80)
@given(st.lists(MUTATION, min_size=1, max_size=6))
def test_mutated_fact_bytes_give_exit_0_or_a_located_error(tmp_path_factory, memory_budget, mutations):
    path = tmp_path_factory.mktemp("f") / "facts.yaml"
    path.write_bytes(mutate(FACTS, mutations))
    assert_located_or_fine(["score", str(GZ_POLICY), str(path), "--format", "json"], str(path))


def limit_address_space() -> None:
    cap = ADDRESS_SPACE_MB << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


@pytest.mark.parametrize("token", [TOKENS[2] * 3, b"[" * 5000, b"9" * 100_000, b"\x00"],
                         ids=["aliases", "brackets", "digits", "nul"])
def test_worst_tokens_in_a_separate_process_within_the_memory_cap(tmp_path, token):
    for name, data, args in (("policy.yaml", POLICY, ["check"]), ("facts.yaml", FACTS, ["score", str(GZ_POLICY)])):
        path = tmp_path / name
        middle = len(data) // 2
        path.write_bytes(data[:middle] + token + data[middle:])
        run = subprocess.run([sys.executable, "-c", "from engine.commands.main import main; main()", *args, str(path)],
                             capture_output=True, text=True, timeout=SECONDS * 3, cwd=ROOT, check=False,
                             preexec_fn=limit_address_space)
        assert run.returncode in (0, 1), run.stderr
        assert "Traceback" not in run.stdout + run.stderr and "MemoryError" not in run.stderr
        if run.returncode == 1:
            assert f"{path}:" in run.stderr, run.stderr
