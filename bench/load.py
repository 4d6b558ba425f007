"""Load test of the HTTP service on loopback: N score requests at C concurrent clients.

Prints one line per figure: the machine, the load generator, p50/p99 latency, throughput and the
error count. It starts ``jixiao serve`` itself on 127.0.0.1 (a fresh SQLite decision log in a
temporary folder, one scorer token made for the run), is bounded in request count and in time, and
stops the server when done. When ``wrk`` is installed (Debian package ``wrk``) it generates the
load, so that the client does not take the server's CPU; otherwise an asyncio httpx client does::

    .venv/bin/python bench/load.py                      # 10,000 requests, 32 clients, 2 workers
    .venv/bin/python bench/load.py --requests 2000 --workers 1 --client python
    .venv/bin/python bench/load.py --clients 200 --requests 1000000 --max-seconds 20   # 20 s at 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FACTS = (ROOT / "facts" / "gz-kjj-2021.yaml").read_text(encoding="utf-8")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TOKEN = secrets.token_urlsafe(24)  # a scorer token for this run: the load goes through the access check
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def start_server(port: int, workers: int, db: Path) -> subprocess.Popen[bytes]:
    """Start ``jixiao serve`` with ``workers`` processes and a SQLite decision log; return once /health answers."""
    command = [sys.executable, str(ROOT / "cli.py"), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--db", f"sqlite:///{db}", "--workers", str(workers), "--policies", str(ROOT / "policies")]
    env = {key: value for key, value in os.environ.items() if not key.startswith("JIXIAO_TOKEN")}
    env["JIXIAO_TOKENS"] = f"scorer:{TOKEN}"
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


async def run_load(url: str, requests: int, clients: int, limit_s: float) -> tuple[list[float], int, float]:
    """Latencies (s), errors and elapsed seconds of ``requests`` score requests from ``clients`` concurrent clients."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    body = {"facts_text": FACTS}
    deadline = time.monotonic() + limit_s
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors, issued
        while issued < requests and time.monotonic() < deadline:
            issued += 1
            start = time.perf_counter()
            try:
                response = await client.post("/policies/gz-dept-2021/score", json=body)
                ok = response.status_code == 201
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            errors += 0 if ok else 1

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers=AUTH) as client:
        for _ in range(20):  # warm-up
            await client.post("/policies/gz-dept-2021/score", json=body)
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


WRK_SCRIPT = """
local f = io.open(os.getenv("JIXIAO_LOAD_BODY"), "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("JIXIAO_LOAD_TOKEN")
local limit = tonumber(os.getenv("JIXIAO_LOAD_PER_THREAD")); local sent = 0
request = function() sent = sent + 1; if sent > limit then wrk.thread:stop() end; return wrk.format() end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def run_wrk(url: str, requests: int, clients: int, limit_s: float) -> tuple[int, float, float, float, float, int]:
    """Requests, seconds, p50/p99/mean ms and errors, measured by wrk (2 threads).

    wrk runs for a fixed time, so a 3-second warm-up run measures the rate and the main run lasts
    about as long as ``requests`` take (each thread also stops after its share).
    """
    count, seconds, *_ = _wrk(url, 10**9, clients, 3)
    return _wrk(url, requests, clients, min(limit_s, max(3.0, requests / max(count / seconds, 1.0))))


def _wrk(url: str, requests: int, clients: int, limit_s: float) -> tuple[int, float, float, float, float, int]:
    with tempfile.TemporaryDirectory(prefix="jixiao-wrk-") as folder:
        body, script = Path(folder) / "body.json", Path(folder) / "score.lua"
        body.write_text(json.dumps({"facts_text": FACTS}, ensure_ascii=False), encoding="utf-8")
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        env = {**os.environ, "JIXIAO_LOAD_BODY": str(body), "JIXIAO_LOAD_PER_THREAD": str(requests // 2),
               "JIXIAO_LOAD_TOKEN": TOKEN}
        out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(limit_s))}s", "--timeout", "30s", "-s",
                              str(script), f"{url}/policies/gz-dept-2021/score"],
                             capture_output=True, text=True, env=env, timeout=limit_s + 60, check=True).stdout
    found = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not found:
        raise SystemExit(f"could not read wrk's output:\\n{out}")
    count, micros, p50, p99, mean, errors = found.groups()
    return int(count), int(micros) / 1e6, float(p50), float(p99), float(mean), int(errors)


def percentile(values: list[float], share: float) -> float:
    """The value below which a ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    """Start the service, send the load, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop issuing requests after this long")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator (auto: wrk when installed)")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="jixiao-load-") as folder:
        server = start_server(port, args.workers, Path(folder) / "load.sqlite3")
        try:
            if use_wrk:
                count, elapsed, p50, p99, mean, errors = run_wrk(url, args.requests, args.clients, args.max_seconds)
            else:
                latencies, errors, elapsed = asyncio.run(run_load(url, args.requests, args.clients, args.max_seconds))
                count, mean = len(latencies), statistics.fmean(latencies) * 1000
                p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
        finally:
            server.terminate()
            server.wait(30)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    print(f"server: jixiao serve --workers {args.workers}, SQLite WAL decision log, loopback")
    print(f"client: {'wrk (2 threads)' if use_wrk else 'python httpx asyncio (same machine)'}")
    print(f"requests: {count} at {args.clients} concurrent clients in {elapsed:.1f} s")
    print(f"throughput: {count / elapsed:.0f} requests/s")
    print(f"latency p50: {p50:.1f} ms")
    print(f"latency p99: {p99:.1f} ms")
    print(f"latency mean: {mean:.1f} ms")
    print(f"errors: {errors}")


if __name__ == "__main__":
    main()
