"""Process entry point for uvicorn: the configuration comes from the environment (edge).

``jixiao serve`` sets these variables and starts uvicorn with ``factory=True``, so every worker
process builds its own app (and its own durable_rules engine):

- ``JIXIAO_POLICIES``: folder of bundled policies (default ``policies``)
- ``JIXIAO_DB``: database URL (default SQLite in ``jixiao-data/``)
- ``JIXIAO_TOKENS``: ``role:token`` pairs, comma-separated (roles reader, scorer, admin)
- ``JIXIAO_TOKENS_FILE``: a file of ``role:token`` lines (``#`` comments); keep it mode 600
- ``JIXIAO_TOKEN``: an admin token (compatibility); with no token at all the service is open
  for reading and scoring and adding policy versions is disabled (see docs/service-security.md)
- ``JIXIAO_MAX_BODY_BYTES``, ``JIXIAO_MAX_RESPONSE_BYTES``, ``JIXIAO_MAX_FACTS``: request and response limits
- ``JIXIAO_SCORING_SLOTS``: evaluations in flight per process (default 2; more waits in arrival order)
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path

from fastapi import FastAPI

from engine.service.access import ConfigError
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
    tokens_file = os.environ.get("JIXIAO_TOKENS_FILE")
    return ServiceConfig(
        policies_dir=Path(os.environ.get("JIXIAO_POLICIES", "policies")),
        db_url=url,
        token=os.environ.get("JIXIAO_TOKEN") or None,
        tokens=os.environ.get("JIXIAO_TOKENS", ""),
        tokens_file=Path(tokens_file) if tokens_file else None,
        max_body_bytes=_number("JIXIAO_MAX_BODY_BYTES", 4_000_000),
        max_response_bytes=_number("JIXIAO_MAX_RESPONSE_BYTES", 4_000_000),
        max_facts=_number("JIXIAO_MAX_FACTS", 1_000),
        scoring_slots=_number("JIXIAO_SCORING_SLOTS", 2),
    )


def _number(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"环境变量 {name} 应为正整数，得到「{text}」")
    return int(text)


def app_from_env() -> FastAPI:
    """The application configured from the environment (uvicorn factory).

    A configuration that cannot be used stops the process with one Chinese line (exit status 2).
    The objects built at start-up (models, routes, compiled policies) live as long as the process;
    freezing them keeps the cyclic garbage collector from walking them on every full collection,
    which otherwise paused a request for up to ~60 ms on the reference machine.
    """
    _log_to_stderr()
    try:
        app = create_app(config_from_env())
    except ConfigError as err:
        sys.stderr.write(f"jixiao serve: 配置错误：{err}\n")
        raise SystemExit(2) from None
    gc.collect()
    gc.freeze()
    return app


def _log_to_stderr() -> None:
    """Warnings and incidents of the service go to stderr (uvicorn configures only its own loggers)."""
    logger = logging.getLogger("jixiao")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
