"""Service fixtures: an app on a fresh SQLite file, and a real server process for crash and load tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from engine.service.app import ServiceConfig, create_app
from tests.conftest import GZ_FACTS, ROOT

TOKEN = "test-token-not-for-production"  # the admin token, configured as JIXIAO_TOKEN
READER_TOKEN = "reader-token-for-tests-0001"
SCORER_TOKEN = "scorer-token-for-tests-0002"
TOKENS = f"reader:{READER_TOKEN},scorer:{SCORER_TOKEN}"  # as JIXIAO_TOKENS
AS_READER = {"Authorization": f"Bearer {READER_TOKEN}"}
AS_SCORER = {"Authorization": f"Bearer {SCORER_TOKEN}"}
AS_ADMIN = {"Authorization": f"Bearer {TOKEN}"}
GZ_FACTS_TEXT = GZ_FACTS.read_text(encoding="utf-8")


@pytest.fixture
def config(tmp_path: Path) -> ServiceConfig:
    return ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{tmp_path / 'd.sqlite3'}", token=TOKEN,
                         tokens=TOKENS, max_body_bytes=200_000, max_facts=100)


@pytest.fixture
def client(config: ServiceConfig) -> Iterator[TestClient]:
    """A client holding the scorer token; ``raise_server_exceptions=False``: a 500 is an answer to check."""
    with TestClient(create_app(config), headers=AS_SCORER, raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


START_SECONDS = 300


class Server:
    """``jixiao serve`` in a subprocess on loopback."""

    def __init__(self, db_url: str, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.db_url, self.port, self.env = db_url, port or free_port(), env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {**os.environ, "JIXIAO_TOKEN": TOKEN, "JIXIAO_TOKENS": TOKENS, **self.env}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's stderr, closed on stop/kill
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "serve", "--port", str(self.port), "--db", self.db_url,
             "--policies", str(ROOT / "policies")], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=self.log)
        # Ready is when /health answers; a server that exits fails at once with its output. The deadline
        # only stops a hang: start-up (imports, compiling the bundled policies, migrations) took over 30 s
        # on a 2-core machine under a load of 9, so it is far above any normal start.
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.log.seek(0)
        output = self.log.read().decode(errors="replace")
        self.stop()
        raise RuntimeError(f"server did not start: {output[-2000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown handlers run
        self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.log is not None and not self.log.closed:
            self.log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(f"sqlite:///{tmp_path / 'server.sqlite3'}").start()
    yield srv
    srv.stop()
