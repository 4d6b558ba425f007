"""The decision log on PostgreSQL: a throwaway cluster when the server is installed, else a visible skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.service.app import ServiceConfig, create_app
from tests.conftest import ROOT
from tests.service.conftest import AS_ADMIN, GZ_FACTS_TEXT, TOKEN, free_port

SKIP = "PostgreSQL 不可用：未安装 PostgreSQL 服务器程序（initdb/pg_ctl），也没有设置 JIXIAO_TEST_PG_URL"


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]  # initdb refuses to run as root


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if os.environ.get("JIXIAO_TEST_PG_URL"):
        yield os.environ["JIXIAO_TEST_PG_URL"]
        return
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip(SKIP)
    data = Path(tempfile.mkdtemp(prefix="jixiao-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data / "db"), "-U", "jixiao", "--auth=trust",
                                 "-E", "UTF8", "--locale=C"]), **run)
    subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l", str(data / "log"),
                                 "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"]), **run)
    try:
        subprocess.run(_as_postgres([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "jixiao",
                                     "jixiao_test"]), **run)
        yield f"postgresql+psycopg://jixiao@127.0.0.1:{port}/jixiao_test"
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "-w",
                                     "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def test_decision_log_on_postgresql(pg_url):
    config = ServiceConfig(policies_dir=ROOT / "policies", db_url=pg_url, token=TOKEN)
    with TestClient(create_app(config), headers=AS_ADMIN) as client:
        first = client.post("/policies/gz-dept-2021/score", json={"facts_text": GZ_FACTS_TEXT}).json()
        assert first["total"] == "94.622"
    with TestClient(create_app(config), headers=AS_ADMIN) as again:  # migrations are idempotent; the record stays
        stored = again.get(f"/decisions/{first['id']}").json()
        assert stored["result_digest"] == first["result_digest"] and stored["facts"]["department"]
        second = again.post("/policies/gz-dept-2021/score", json={"facts_text": GZ_FACTS_TEXT}).json()
        assert second["result_digest"] == first["result_digest"]
        assert {d["id"] for d in again.get("/decisions").json()} >= {first["id"], second["id"]}
