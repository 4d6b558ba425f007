"""Whatever is wrong in a fact or policy file, the user sees a located error, never a traceback."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY

FACT_LINES = GZ_FACTS.read_text(encoding="utf-8").splitlines()
POLICY_LINES = GZ_POLICY.read_text(encoding="utf-8").splitlines()
JUNK = st.sampled_from(["", "-", "：", "[", "{", "yes", "1e999", "-0", "84.48%", "null", "  x: 1", "\t", "'",
                        "99999999999999999999", "0.000000000001", "!!python/object:os.system", "*a", "&a b"])


def edit(lines: list[str], index: int, junk: str, mode: int) -> str:
    index %= len(lines)
    out = list(lines)
    if mode == 0:
        del out[index]
    elif mode == 1:
        head, sep, _ = out[index].partition(": ")
        out[index] = f"{head}{sep or ': '}{junk}"
    else:
        out.insert(index, junk)
    return "\n".join(out) + "\n"


@settings(max_examples=60)
@given(st.integers(0, 10_000), JUNK, st.integers(0, 2))
def test_edited_fact_file_never_crashes(tmp_path_factory, index, junk, mode):
    path = tmp_path_factory.mktemp("f") / "facts.yaml"
    path.write_text(edit(FACT_LINES, index, junk, mode), encoding="utf-8")
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), str(path)])
    assert run.exit_code in (0, 1), run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    if run.exit_code == 1:
        assert str(path) in run.output


@settings(max_examples=60)
@given(st.integers(0, 10_000), JUNK, st.integers(0, 2))
def test_edited_policy_never_crashes(tmp_path_factory, index, junk, mode):
    path = tmp_path_factory.mktemp("p") / "policy.yaml"
    path.write_text(edit(POLICY_LINES, index, junk, mode), encoding="utf-8")
    run = CliRunner().invoke(main, ["check", str(path)])
    assert run.exit_code in (0, 1), run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
