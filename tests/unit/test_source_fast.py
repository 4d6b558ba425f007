"""The YAML builder's inline path gives exactly what its general path gives, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import JixiaoError
from engine.source import parse_document
from tests.conftest import ROOT


def outcome(text: str, file: str, *, general: bool) -> object:
    """What parsing gives: the document's parts, or the error's problems."""
    try:
        doc = parse_document(text, file, general=general)
    except JixiaoError as err:
        return ("error", err.problems)
    return ("doc", doc.value, doc.positions, doc.key_positions, doc.styles)


def same(text: str, file: str = "t.yaml") -> None:
    fast, general = outcome(text, file, general=False), outcome(text, file, general=True)
    assert fast == general, text
    assert repr(fast) == repr(general), text  # Decimal('1.0') == Decimal('1.00'): the digits must agree too


FILES = sorted(p for p in ROOT.glob("**/*") if p.suffix in (".yaml", ".yml", ".json") and ".venv" not in p.parts
               and ".git" not in p.parts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_document_in_the_repository_reads_the_same(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (a bad-input case for the decoder)")
    same(text, path.name)


# the pieces a scalar or key is made of: numbers at and past the limits, look-alike digits, the YAML 1.1 words,
# quoting, anchors, aliases, tags, merge keys; keys repeat on purpose (duplicate keys are an error)
SCALAR = st.sampled_from([
    "0", "84.48", "-0.5", "+5", ".5", "1.", "1_000", "1__0", "1e3", "1E+3", "1e999", "1" * 25, "1" * 26, "9" * 101,
    "0." + "0" * 23 + "1", "0." + "0" * 30 + "1", "\uff18\uff14.\uff14\uff18", "\u0668\u0664\u066b\u0664\u0668",
    "八十", "①", "²", "yes", "no", "null", "~",
    "true", "False", "2021-12-31", "文本", '"引号 84"', "'单引号'", '"', "&a 1", "*a", "&b 文", "*b", "!!str 5",
    "!!int 5", "x" * 201, ""])
KEY = st.sampled_from(["a", "b", "名称", "<<", '"<<"', "&k a", "*k", "!!str k", "k" * 201, "1", "x y"])


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> str:
    """A block of YAML lines at ``depth`` (two spaces each): a mapping or a sequence, nested a little."""
    pad = "  " * depth
    lines = []
    as_list = draw(st.booleans())
    for _ in range(draw(st.integers(1, 4))):
        head = f"{pad}- " if as_list else f"{pad}{draw(KEY)}: "
        choice = draw(st.integers(0, 9))
        if choice < 6 or depth >= 3:
            lines.append(head + draw(SCALAR))
        elif choice < 8:
            anchor = draw(st.sampled_from(["", "&m ", "&n "]))
            lines.append(head.rstrip() + (" " + anchor.strip() if anchor else ""))
            lines.append(draw(block(depth + 1)))
        else:
            lines.append(head + draw(st.sampled_from(["[1, 文本, *a]", "{a: 1, b: 2}", "{a: 1, a: 2}", "[]", "{}",
                                                      "*m", "*n", "[*m]"])))
    return "\n".join(lines)


@settings(max_examples=400, deadline=None)
@given(block())
def test_generated_documents_read_the_same(text: str) -> None:
    same(text)


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 2]\nc: {d: 文本}\n",
    "base: &base {a: 1, b: 2}\nuse:\n  <<: *base\n  b: 3\n",
    "a: 1\na: 2\n",
    "a: \uff18\uff14.\uff14\uff18\n",  # full-width digits
    "--- 1\n--- 2\n",
    "a: " + "1" * 101 + "\n",
    "a: [" + ", ".join(["1"] * 30) + "]\n",
])
def test_examples_read_the_same(text: str) -> None:
    same(text)
