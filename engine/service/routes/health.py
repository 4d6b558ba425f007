"""``/health`` (is the service up, does the database answer) and ``/status`` (what could not be loaded)."""

from __future__ import annotations

from fastapi import APIRouter

from engine.service import models
from engine.service.access import READER
from engine.service.errors import error_item
from engine.service.json_body import CheckedRoute
from engine.service.state import RegistryDep, StoreDep

router = APIRouter(tags=["服务"], route_class=CheckedRoute)


@router.get("/health", response_model=models.Health)
def health(store: StoreDep, registry: RegistryDep) -> models.Health:
    """服务与数据库是否正常；有未能载入的指标体系时为 degraded（详见 /status）。"""
    store.ping()
    rejected = len(registry.rejected)
    return models.Health(status="degraded" if rejected else "ok", database="ok", policies=len(registry.all()),
                         rejected=rejected)


@router.get("/status", response_model=models.Status, dependencies=[READER], responses=models.AUTH_ERRORS)
def status(registry: RegistryDep) -> models.Status:
    """启动时载入了哪些指标体系，哪些未能载入及其原因（文件、行、字段）。"""
    return models.Status(policies=len(registry.all()), rejected=[
        models.RejectedDocument(source=r.source, name=r.name, problems=[error_item(p) for p in r.problems])
        for r in registry.rejected])
