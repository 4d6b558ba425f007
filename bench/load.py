"""Load test of the HTTP service on loopback: N score requests at C concurrent clients.

Prints one line per figure: the machine, p50/p99 latency, throughput and the error count.
It starts ``jixiao serve`` itself on 127.0.0.1 (a fresh SQLite decision log in a temporary folder),
is bounded in request count and in time, and stops the server when done::

    .venv/bin/python bench/load.py                      # 10,000 requests, 32 clients, 1 worker
    .venv/bin/python bench/load.py --requests 2000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int, db: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(ROOT / "cli.py"), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--db", f"sqlite:///{db}", "--workers", str(workers), "--policies", str(ROOT / "policies")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        for _ in range(20):  # warm-up
            await client.post("/policies/gz-dept-2021/score", json=body)
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop issuing requests after this long")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="jixiao-load-") as folder:
        server = start_server(port, args.workers, Path(folder) / "load.sqlite3")
        try:
            latencies, errors, elapsed = asyncio.run(
                run_load(f"http://127.0.0.1:{port}", args.requests, args.clients, args.max_seconds))
        finally:
            server.terminate()
            server.wait(30)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    print(f"server: jixiao serve --workers {args.workers}, SQLite WAL decision log, loopback")
    print(f"requests: {len(latencies)} at {args.clients} concurrent clients in {elapsed:.1f} s")
    print(f"throughput: {len(latencies) / elapsed:.0f} requests/s")
    print(f"latency p50: {percentile(latencies, 0.50) * 1000:.1f} ms")
    print(f"latency p99: {percentile(latencies, 0.99) * 1000:.1f} ms")
    print(f"latency mean: {statistics.fmean(latencies) * 1000:.1f} ms")
    print(f"errors: {errors}")


if __name__ == "__main__":
    main()
