"""Who may do what: bearer tokens checked in constant time (edge)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header

from engine.service.errors import ApiError
from engine.service.state import ConfigDep

__all__ = ["require_admin"]


def require_admin(config: ConfigDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The actor adding a policy version; only a holder of the configured token may."""
    if not config.token:
        raise ApiError(403, "auth.disabled", "服务未配置令牌（JIXIAO_TOKEN），不能添加指标体系")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), config.token.encode()):
        raise ApiError(401, "auth.required", "需要有效的令牌：Authorization: Bearer <令牌>")
    return "token"
