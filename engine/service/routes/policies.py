"""Policies: list, read, check posted text, add a version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from engine.errors import JixiaoError
from engine.service import models, responses
from engine.service.access import ADMIN, READER, SCORER, Grant
from engine.service.errors import ApiError, error_item
from engine.service.json_body import CheckedRoute
from engine.service.registry import Entry
from engine.service.requests import compile_text, find_entry
from engine.service.state import ConfigDep, RegistryDep, StoreDep

router = APIRouter(tags=["指标体系"], route_class=CheckedRoute)

ERRORS = models.ERRORS
AUTH = models.AUTH_ERRORS


@router.get("/policies", response_model=list[models.PolicySummary], dependencies=[READER], responses=AUTH)
def list_policies(registry: RegistryDep) -> list[models.PolicySummary]:
    """全部指标体系及其版本（最后一个为默认版本）。"""
    return [models.PolicySummary(id=pid, issuer=entries[-1].policy.meta.issuer,
                                 versions=[responses.version_info(e) for e in entries])
            for pid, entries in registry.all()]


@router.get("/policies/{policy_id}", response_model=models.PolicyDetail, dependencies=[READER],
            responses={**ERRORS, **AUTH})
def get_policy(policy_id: str, registry: RegistryDep, version: str | None = None) -> models.PolicyDetail:
    """一个指标体系版本：身份、指标树和原文。"""
    return responses.detail(find_entry(registry, policy_id, version))


@router.post("/checks", response_model=models.CheckResponse, dependencies=[SCORER], responses={**ERRORS, **AUTH})
def check_policy(body: models.PolicyText, config: ConfigDep) -> models.CheckResponse:
    """静态检查一份指标体系（不保存）：一次返回全部问题。"""
    try:
        compiled = compile_text(config, body)
    except JixiaoError as err:
        return models.CheckResponse(ok=False, policy=None, problems=[error_item(p) for p in err.problems])
    return models.CheckResponse(ok=True, policy=responses.ref(compiled), problems=[])


@router.post("/policies", response_model=models.PolicyDetail, status_code=201,
             responses={**ERRORS, **AUTH, 409: {"model": models.ErrorResponse}})
def add_policy(body: models.PolicyText, grant: Annotated[Grant, ADMIN], config: ConfigDep,
               store: StoreDep, registry: RegistryDep) -> models.PolicyDetail:
    """添加一个指标体系版本（需要 admin 令牌）。同一 id 和版本只能添加一次。"""
    compiled = compile_text(config, body)
    if registry.find(compiled.meta.id, compiled.meta.version) is not None:
        raise ApiError(409, "policy.exists", f"指标体系 {compiled.meta.id} 版本 {compiled.meta.version} 已存在")
    meta = compiled.meta
    store.add_policy(meta.id, meta.version, compiled.digest, meta.name, body.text, grant.role.label)
    entry = Entry(compiled, body.text, "stored")
    registry.register(entry)
    return responses.detail(entry)
