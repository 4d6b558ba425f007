"""Load test of the HTTP service on loopback beside a framework floor, in one invocation.

First the **floor**: a minimal FastAPI endpoint (``bench/floor_app.py``) on the same uvicorn
settings as ``jixiao serve`` (worker processes, uvloop/httptools), answering a fixed JSON body.
Then ``jixiao serve`` itself on 127.0.0.1 (a fresh SQLite decision log in a temporary folder, one
scorer token made for the run) under the same load of score requests; the answer is checked
against the golden total (94.622) before anything is timed. Prints the machine, the load generator,
p50/p99 latency, throughput and errors of both, and the ratio of the scored throughput to the
floor's. Bounded in request count and in time; the servers are stopped when done. When ``wrk`` is
installed (Debian package ``wrk``) it generates the load; otherwise an asyncio httpx client does::

    .venv/bin/python bench/load.py                      # 10,000 requests, 32 clients, a worker per core
    .venv/bin/python bench/load.py --body text          # the facts as fact-file text (YAML) instead of JSON
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
GOLDEN = "94.622"
SCORE_PATH = "/policies/gz-dept-2021/score"


def facts_json() -> object:
    """The seed facts as a JSON value, numbers written with their exact digits (what an API client sends)."""
    sys.path.insert(0, str(ROOT))
    from engine.source import parse_document

    return parse_document(FACTS, "gz-kjj-2021.yaml").value


def request_body(kind: str) -> bytes:
    """The score request: the facts as a JSON object (``json``) or as fact-file text (``text``)."""
    if kind == "text":
        return json.dumps({"facts_text": FACTS}, ensure_ascii=False).encode()
    raw: dict[str, str] = {}

    def number(value: object) -> str:  # a Decimal: a placeholder, replaced by its digits below
        key = f"@@{len(raw)}@@"
        raw[key] = str(value)
        return key

    text = json.dumps({"facts": facts_json()}, ensure_ascii=False, default=number)
    for key, digits in raw.items():
        text = text.replace(f'"{key}"', digits)
    return text.encode()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


TOKEN = secrets.token_urlsafe(24)  # a scorer token for this run: the load goes through the access check
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def start_server(port: int, workers: int, db: Path | None) -> subprocess.Popen[bytes]:
    """Start ``jixiao serve`` (or, without ``db``, the floor) with ``workers`` processes; return once /health answers.

    The floor is run by uvicorn with the options ``jixiao serve`` passes it (``engine/commands/main.py``).
    """
    if db is None:
        command = [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--host", "127.0.0.1", "--port", str(port),
                   "--workers", str(workers), "--log-level", "warning", "--timeout-graceful-shutdown", "5"]
    else:
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


async def run_load(url: str, body: bytes, requests: int, clients: int,
                   limit_s: float) -> tuple[list[float], int, float]:
    """Latencies (s), errors and elapsed seconds of ``requests`` score requests from ``clients`` concurrent clients."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    headers = {"Content-Type": "application/json"}
    deadline = time.monotonic() + limit_s
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal errors, issued
        while issued < requests and time.monotonic() < deadline:
            issued += 1
            start = time.perf_counter()
            try:
                response = await client.post(SCORE_PATH, content=body, headers=headers)
                ok = response.status_code == 201
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            errors += 0 if ok else 1

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers=AUTH) as client:
        for _ in range(20):  # warm-up
            await client.post(SCORE_PATH, content=body, headers=headers)
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, errors, elapsed


WRK_SCRIPT = """
local f = io.open(os.getenv("JIXIAO_LOAD_BODY"), "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("JIXIAO_LOAD_TOKEN")
request = function() return wrk.format() end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def run_wrk(url: str, body: bytes, requests: int, clients: int,
            limit_s: float) -> tuple[int, float, float, float, float, int]:
    """Requests, seconds, p50/p99/mean ms and errors, measured by wrk (2 threads).

    wrk runs for a fixed time and keeps every connection busy all of it, so a 3-second warm-up run
    measures the rate and the main run lasts about as long as ``requests`` take at that rate (at
    least 3 s). The rate is what was answered in that time: a thread that stopped early after a
    share of the requests would leave the rest of the fixed time idle and understate a fast server
    (the floor measured 990 requests/s that way, 3,000 requests over the 3-second minimum).
    """
    count, seconds, *_ = _wrk(url, body, clients, 3)
    return _wrk(url, body, clients, min(limit_s, max(3.0, requests / max(count / seconds, 1.0))))


def _wrk(url: str, body: bytes, clients: int, limit_s: float) -> tuple[int, float, float, float, float, int]:
    with tempfile.TemporaryDirectory(prefix="jixiao-wrk-") as folder:
        body_file, script = Path(folder) / "body.json", Path(folder) / "score.lua"
        body_file.write_bytes(body)
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        env = {**os.environ, "JIXIAO_LOAD_BODY": str(body_file), "JIXIAO_LOAD_TOKEN": TOKEN}
        out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(limit_s))}s", "--timeout", "30s", "-s",
                              str(script), f"{url}{SCORE_PATH}"],
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


Figures = tuple[int, float, float, float, float, int]  # requests, seconds, p50/p99/mean ms, errors


def measure(url: str, body: bytes, args: argparse.Namespace, use_wrk: bool) -> Figures:
    """Send the load to one running server."""
    if use_wrk:
        return run_wrk(url, body, args.requests, args.clients, args.max_seconds)
    latencies, errors, elapsed = asyncio.run(run_load(url, body, args.requests, args.clients, args.max_seconds))
    mean = statistics.fmean(latencies) * 1000
    return len(latencies), elapsed, percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000, mean, errors


def check_answer(url: str, body: bytes) -> None:
    """The service's answer to the load's request is the golden total, or nothing is timed."""
    response = httpx.post(f"{url}{SCORE_PATH}", content=body, headers={**AUTH, "Content-Type": "application/json"},
                          timeout=30)
    if response.status_code != 201 or response.json().get("total") != GOLDEN:
        raise SystemExit(f"wrong answer before timing: {response.status_code} {response.text[:300]}")


def run(args: argparse.Namespace, use_wrk: bool, body: bytes, *, floor: bool) -> Figures:
    """Start one server (the floor or ``jixiao serve``), load it, stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="jixiao-load-") as folder:
        server = start_server(port, args.workers, None if floor else Path(folder) / "load.sqlite3")
        try:
            if not floor:
                check_answer(url, body)
            return measure(url, body, args, use_wrk)
        finally:
            server.terminate()
            server.wait(30)


def show(name: str, figures: Figures, clients: int) -> float:
    """Print one server's figures; return its throughput."""
    count, elapsed, p50, p99, mean, errors = figures
    rate = count / elapsed
    print(f"{name}: {count} requests at {clients} concurrent clients in {elapsed:.1f} s: {rate:.0f} requests/s, "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, mean {mean:.1f} ms, errors {errors}")
    return rate


def main() -> None:
    """Run the floor, then the service, under the same load; print both and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="uvicorn worker processes")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop issuing requests after this long")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator (auto: wrk when installed)")
    parser.add_argument("--body", choices=["json", "text"], default="json",
                        help="facts as a JSON object (json) or as fact-file text, YAML (text)")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    body = request_body(args.body)
    floor = run(args, use_wrk, body, floor=True)
    scored = run(args, use_wrk, body, floor=False)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}, "
          f"load average before the run ended {load[0]:.2f}")
    print(f"servers: uvicorn --workers {args.workers} (uvloop, httptools), loopback; "
          f"jixiao serve with a SQLite WAL decision log (synchronous=FULL, group commit)")
    print(f"client: {'wrk (2 threads)' if use_wrk else 'python httpx asyncio (same machine)'}; "
          f"body: facts as {'a JSON object' if args.body == 'json' else 'fact-file text (YAML)'}, {len(body)} bytes")
    floor_rate = show("floor (fixed JSON answer)", floor, args.clients)
    rate = show("jixiao score (recorded)", scored, args.clients)
    print(f"ratio scored / floor: {rate / floor_rate:.3f}")


if __name__ == "__main__":
    main()
