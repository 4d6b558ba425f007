"""Random byte mutations of the bundled policy and facts, POSTed to ``/checks`` and to scoring.

Every answer is 2xx, or 4xx JSON whose problems are all located (file, line and column inside the
posted document or the request body), never a 5xx and never a trace. The mutated bytes go into the
JSON body as they are (only ``"``, ``\\`` and control bytes escaped), so a mutation that breaks UTF-8
reaches the service's body decoding; three examples in four drop the broken bytes, so that most
reach the YAML parser, the schema and the engine.

Budgets, generous on purpose so that only a hang or a blow-up fails them (a request takes
~10-60 ms here): each request within :data:`SECONDS_PER_REQUEST` seconds of wall time, and the
test process's peak RSS growing by at most :data:`RSS_GROWTH_MB` MB over the whole run.
Deterministic in CI through the ``ci`` hypothesis profile of tests/conftest.py.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st

from engine.service.app import ServiceConfig, create_app
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT
from tests.service.conftest import AS_SCORER, SCORER_TOKEN

SECONDS_PER_REQUEST = 10.0
RSS_GROWTH_MB = 300
POLICY = GZ_POLICY.read_bytes()
FACTS = GZ_FACTS.read_bytes()
# bytes that matter to YAML, numbers and expressions, drawn more often than arbitrary ones
SPECIAL = [*b":-[]{}&*!|>'\"#%@`,?\t\n\r 0123456789.eE+x\\", 0, 0xEF, 0xBB, 0xBF, 0xFF, 0xE4]


@st.composite
def mutations(draw: st.DrawFn, original: bytes) -> bytes:
    """1-4 replacements, insertions, deletions, repeated or cut slices of ``original``."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "repeat", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = draw(st.one_of(st.sampled_from(SPECIAL), st.integers(0, 255)))
        if kind == "replace" and data:
            data[at] = byte
        elif kind == "insert":
            data[at:at] = bytes([byte]) * draw(st.sampled_from([1, 1, 2, 40]))
        elif kind == "delete":
            del data[at: at + draw(st.integers(1, 8))]
        elif kind == "repeat":
            piece = data[at: at + draw(st.integers(1, 64))]
            data[at:at] = piece * draw(st.integers(1, 3))
        else:  # cut the tail, keeping at least half
            del data[len(data) // 2 + at // 2:]
    if draw(st.sampled_from([True, True, True, False])):  # mostly keep it UTF-8, so that it reaches the parser
        return data.decode("utf-8", errors="ignore").encode()
    return bytes(data)


def json_string(data: bytes) -> bytes:
    """``data`` as a JSON string, its non-ASCII bytes left as they are (invalid UTF-8 stays invalid)."""
    out = bytearray(b'"')
    for byte in data:
        if byte in (0x22, 0x5C):
            out += b"\\" + bytes([byte])
        elif byte < 0x20 or byte == 0x7F:
            out += b"\\u%04x" % byte
        else:
            out.append(byte)
    return bytes(out + b'"')


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("mutations") / "m.sqlite3"
    config = ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{db}", tokens=f"scorer:{SCORER_TOKEN}")
    with TestClient(create_app(config), headers=AS_SCORER, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def rss_budget() -> Iterator[None]:
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    yield
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 - start
    assert grown <= RSS_GROWTH_MB, f"peak RSS grew by {grown} MB (budget {RSS_GROWTH_MB} MB)"


def post(client: TestClient, path: str, body: bytes):
    start = time.monotonic()
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    elapsed = time.monotonic() - start
    assert elapsed <= SECONDS_PER_REQUEST, f"{path} took {elapsed:.1f} s"
    return response


def _line_breaks(data: bytes) -> int:
    """An upper bound on the lines a YAML reader sees: it breaks lines at \\n, \\r, NEL, LS and PS too."""
    return sum(data.count(mark) for mark in (b"\n", b"\r", "\x85".encode(), "\u2028".encode(), "\u2029".encode()))


def assert_located(response, document: bytes, name: str, body: bytes) -> None:
    """2xx or a located 4xx: every problem names the posted document (or the body) and a line inside it."""
    assert response.status_code < 500, response.text[:500]
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    if response.status_code < 400 and payload.get("ok", True):
        event(f"{response.status_code}")
        return
    problems = payload["problems"]
    assert problems, payload
    event(f"{response.status_code} {problems[0]['code']}")  # --hypothesis-show-statistics
    lines = {name: _line_breaks(document) + 2, "request.json": _line_breaks(body) + 2}
    for problem in problems:
        assert problem["code"] and problem["code"] != "internal.error", problem
        where = problem["location"]
        assert where is not None, problem
        if where["file"] in lines:  # else a bundled parent named by a mutated ``extends``
            assert 1 <= where["line"] <= lines[where["file"]], problem
        assert where["col"] >= 1, problem


@given(facts=mutations(FACTS))
def test_mutated_facts_to_scoring(service, rss_budget, facts):
    body = b'{"facts_name": "facts.yaml", "facts_text": ' + json_string(facts) + b"}"
    assert_located(post(service, "/policies/gz-dept-2021/score", body), facts, "facts.yaml", body)


@given(policy=mutations(POLICY))
def test_mutated_policy_to_checks(service, rss_budget, policy):
    body = b'{"name": "policy.yaml", "text": ' + json_string(policy) + b"}"
    assert_located(post(service, "/checks", body), policy, "policy.yaml", body)


def test_the_json_escaping_keeps_the_bytes():
    assert json.loads(json_string(b'a"\\\n\x00z' + "预算".encode())) == 'a"\\\n\x00z预算'
    assert json_string(b"\xff") == b'"\xff"'  # not UTF-8: the service must answer 415, located
