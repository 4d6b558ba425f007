"""A real server process: concurrent scoring is correct, and acknowledged decisions survive kill -9."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import yaml

import engine
from tests.conftest import GZ_POLICY
from tests.service.conftest import AS_SCORER, GZ_FACTS_TEXT, Server


def variant(i: int) -> str:
    """The seed's facts with two figures changed, so every request has its own answer."""
    rate = Decimal("60") + Decimal(i % 400) / 10  # 60.0 … 99.9
    done = Decimal("95") + Decimal(i % 50) / 10   # 95.0 … 99.9
    text = GZ_FACTS_TEXT.replace("    value: 84.48\n", f"    value: {rate}\n")
    return text.replace("    value: 99.66\n", f"    value: {done}\n")


def expected_total(text: str) -> str:
    policy = engine.load_policy(GZ_POLICY)
    facts = engine.facts_from_text(text, "v.yaml", policy)
    return str(engine.evaluate(policy, facts, backend=engine.NativeBackend()).total)


def test_concurrent_requests_with_different_facts(server):
    texts = [variant(i) for i in range(160)]
    want = [expected_total(t) for t in texts]

    def post(i: int) -> tuple[int, str, str]:
        with httpx.Client(base_url=server.url, timeout=30, headers=AS_SCORER) as client:
            response = client.post("/policies/gz-dept-2021/score", json={"facts_text": texts[i]})
            body = response.json()
            return response.status_code, body["total"], body["id"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(post, range(len(texts))))
    assert [status for status, _, _ in got] == [201] * len(texts)
    assert [total for _, total, _ in got] == want
    assert len(set(want)) > 50  # the answers really differ
    with httpx.Client(base_url=server.url, headers=AS_SCORER) as client:
        stored = client.get(f"/decisions/{got[7][2]}").json()
    assert stored["total"] == want[7] and yaml.safe_load(texts[7])["department"] == stored["department"]


def test_acknowledged_decisions_survive_kill_9(tmp_path: Path):
    db = tmp_path / "crash.sqlite3"
    server = Server(f"sqlite:///{db}").start()
    acknowledged: list[tuple[str, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def hammer(seed: int) -> None:
        i = seed
        # a generous timeout: on a loaded machine a slow answer is not a dead server
        with httpx.Client(base_url=server.url, timeout=60, headers=AS_SCORER) as client:
            while not stop.is_set():
                try:
                    response = client.post("/policies/gz-dept-2021/score", json={"facts_text": variant(i)})
                except httpx.HTTPError:
                    return  # the server died under us: that request was never acknowledged
                if response.status_code == 201:
                    body = response.json()
                    with lock:
                        acknowledged.append((body["id"], body["total"]))
                i += 7

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    while True:  # kill while requests are in flight, once some have been acknowledged
        with lock:
            if len(acknowledged) >= 40:
                break
        assert any(t.is_alive() for t in threads), f"the clients stopped after {len(acknowledged)} answers"
        threading.Event().wait(0.01)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(10)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restarted = Server(f"sqlite:///{db}").start()
    try:
        with httpx.Client(base_url=restarted.url, timeout=10, headers=AS_SCORER) as client:
            for decision_id, total in acknowledged:
                response = client.get(f"/decisions/{decision_id}")
                assert response.status_code == 200, decision_id
                assert response.json()["total"] == total
    finally:
        restarted.stop()


def _raw_request(server, head: bytes, body_parts: list[bytes]) -> tuple[int, dict]:
    """Send bytes as they are (no client library re-encodes the headers) and read the JSON answer."""
    import json
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in header.lower():
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    return int(header.split(b" ", 2)[1]), json.loads(body)


def _head(extra: bytes, length: int | None) -> bytes:
    framing = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    return (b"POST /policies/gz-dept-2021/score HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nAuthorization: " + AS_SCORER["Authorization"].encode() + b"\r\n"
            + framing.encode() + extra)


def test_raw_header_bytes_and_a_chunked_body_on_a_real_server(tmp_path: Path):
    import json

    server = Server(f"sqlite:///{tmp_path / 'raw.sqlite3'}", env={"JIXIAO_MAX_BODY_BYTES": "20000"}).start()
    try:
        body = json.dumps({"facts_text": GZ_FACTS_TEXT}).encode()
        status, decision = _raw_request(server, _head("X-Actor: 张三\r\n\r\n".encode(), len(body)), [body])
        assert status == 201 and decision["actor"].startswith("张三@")  # raw UTF-8, not Latin-1 mojibake
        status, error = _raw_request(server, _head(b"X-Actor: \xff\xfe\r\n\r\n", len(body)), [body])
        assert status == 400 and error["error"]["code"] == "request.actor"
        # chunked, no Content-Length: 30 kB against a limit of 20 kB (small enough that the server has
        # read every byte when it answers, so closing the connection cannot reset it under the answer)
        chunk = b" " * 10_000
        parts = [b"".join([f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"] * 3 + [b"0\r\n\r\n"])]
        status, error = _raw_request(server, _head(b"\r\n", None), parts)
        assert status == 413 and error["error"]["code"] == "request.too_large"  # was a 400
    finally:
        server.stop()
