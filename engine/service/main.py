"""Process entry point for uvicorn: the configuration comes from the environment (edge).

``jixiao serve`` sets these variables and starts uvicorn with ``factory=True``, so every worker
process builds its own app (and its own durable_rules engine):

- ``JIXIAO_POLICIES``: folder of bundled policies (default ``policies``)
- ``JIXIAO_DB``: database URL (default SQLite in ``jixiao-data/``)
- ``JIXIAO_TOKEN``: bearer token that may add policy versions (unset: adding is disabled)
- ``JIXIAO_MAX_BODY_BYTES``, ``JIXIAO_MAX_FACTS``: request limits
- ``JIXIAO_SCORING_SLOTS``: evaluations in flight per process (default 2; more waits in arrival order)
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from fastapi import FastAPI

from engine.service.app import ServiceConfig, create_app
from engine.service.store import default_url

__all__ = ["app_from_env", "config_from_env"]


def config_from_env() -> ServiceConfig:
    """Read the service configuration from ``JIXIAO_*`` environment variables."""
    data = Path(os.environ.get("JIXIAO_DATA", "jixiao-data"))
    url = os.environ.get("JIXIAO_DB")
    if not url:
        data.mkdir(parents=True, exist_ok=True)
        url = default_url(data.resolve())
    return ServiceConfig(
        policies_dir=Path(os.environ.get("JIXIAO_POLICIES", "policies")),
        db_url=url,
        token=os.environ.get("JIXIAO_TOKEN") or None,
        max_body_bytes=int(os.environ.get("JIXIAO_MAX_BODY_BYTES", "4000000")),
        max_facts=int(os.environ.get("JIXIAO_MAX_FACTS", "1000")),
        scoring_slots=int(os.environ.get("JIXIAO_SCORING_SLOTS", "2")),
    )


def app_from_env() -> FastAPI:
    """The application configured from the environment (uvicorn factory).

    The objects built at start-up (models, routes, compiled policies) live as long as the process;
    freezing them keeps the cyclic garbage collector from walking them on every full collection,
    which otherwise paused a request for up to ~60 ms on the reference machine.
    """
    app = create_app(config_from_env())
    gc.collect()
    gc.freeze()
    return app
