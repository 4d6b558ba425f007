"""The service's configuration: what the CLI and the environment decide (edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.firing.backends import Backend, DurableBackend

__all__ = ["ServiceConfig"]


@dataclass
class ServiceConfig:
    """What the service needs; the CLI builds it from options and the environment."""

    policies_dir: Path
    db_url: str
    token: str | None = None  # JIXIAO_TOKEN: an admin token (kept for compatibility)
    tokens: str = ""  # JIXIAO_TOKENS: "role:token" pairs separated by commas (engine.service.access)
    tokens_file: Path | None = None  # JIXIAO_TOKENS_FILE: one "role:token" per line
    max_body_bytes: int = 4_000_000  # above the 1 M-character text limit, which is a documented 422
    max_response_bytes: int = 4_000_000  # a score is ~10 kB, a 1,001-point sweep ~1 MB
    max_facts: int = 1_000
    backend: Backend = field(default_factory=DurableBackend)
    scoring_slots: int = 2  # evaluations running at once per process; the rest wait in arrival order
