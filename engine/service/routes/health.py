"""``/health``: is the service up, does the database answer."""

from __future__ import annotations

from fastapi import APIRouter

from engine.service import models
from engine.service.state import RegistryDep, StoreDep

router = APIRouter(tags=["服务"])


@router.get("/health", response_model=models.Health)
def health(store: StoreDep, registry: RegistryDep) -> models.Health:
    """服务与数据库是否正常。"""
    store.ping()
    return models.Health(status="ok", database="ok", policies=len(registry.all()))
