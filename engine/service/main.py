"""Process entry point for uvicorn: the configuration comes from the environment (edge).

``jixiao serve`` sets these variables and starts uvicorn with ``factory=True``, so every worker
process builds its own app (and its own durable_rules engine):

- ``JIXIAO_POLICIES``: folder of bundled policies (default ``policies``)
- ``JIXIAO_DB``: database URL (default SQLite in ``jixiao-data/``)
- ``JIXIAO_TOKEN``: bearer token that may add policy versions (unset: adding is disabled)
- ``JIXIAO_MAX_BODY_BYTES``, ``JIXIAO_MAX_FACTS``: request limits
"""

from __future__ import annotations

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
    )


def app_from_env() -> FastAPI:
    """The application configured from the environment (uvicorn factory)."""
    return create_app(config_from_env())
