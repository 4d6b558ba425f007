"""The framework floor of ``bench/load.py``: one FastAPI endpoint answering a fixed JSON body.

Served by uvicorn with the settings ``jixiao serve`` uses (worker processes, uvloop/httptools,
warnings only), it measures what HTTP, the framework and the load generator cost on this machine
with no scoring at all; the scored figures are quoted as a ratio to it.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.post("/policies/gz-dept-2021/score", status_code=201)
async def score() -> dict[str, str]:
    """A fixed answer; the request body is not read."""
    return {"total": "94.622"}


@app.get("/health")
async def health() -> dict[str, str]:
    """Whether the process answers."""
    return {"status": "ok"}
