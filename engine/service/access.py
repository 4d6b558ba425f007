"""Who may do what: bearer tokens with roles, checked in constant time (edge).

Three roles, each including the one before: **reader** reads policies and recorded decisions,
**scorer** also scores, explains, compares and checks, **admin** also adds policy versions.
Tokens come from ``JIXIAO_TOKENS`` (``role:token`` separated by commas), from the file named by
``JIXIAO_TOKENS_FILE`` (one ``role:token`` per line, ``#`` comments) and, for compatibility, from
``JIXIAO_TOKEN`` (an admin token).

With no token configured the service is **open**, as before roles existed: anyone who reaches the
port reads and scores, nobody adds policy versions, and start-up logs a warning. That keeps
``jixiao serve`` usable at once for one person on their own machine; as soon as one token is
configured, every endpoint but ``/health`` and the API documentation needs one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import stat
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.service.config import ServiceConfig
from engine.service.errors import ApiError
from engine.service.state import StateDep

__all__ = ["ADMIN", "READER", "SCORER", "Access", "ConfigError", "Grant", "Role", "access_from_config", "checked_grant",
           "parse_tokens", "require"]

LOG = logging.getLogger("jixiao.service")
MIN_TOKEN = 16


class Role(IntEnum):
    """A role; a larger one may do everything a smaller one may."""

    READER = 1
    SCORER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The role's name in configuration and messages."""
        return self.name.lower()


class ConfigError(ValueError):
    """A token configuration that cannot be used (the service does not start)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """What a request may do: the role of its token, or the open service's implicit role."""

    role: Role
    authenticated: bool


def parse_tokens(text: str, source: str) -> list[tuple[Role, str]]:
    """``role:token`` pairs, separated by commas or new lines; ``#`` starts a comment.

    >>> [(r.label, t) for r, t in parse_tokens("reader:r-0123456789abcdef, admin:a-0123456789abcdef", "env")]
    [('reader', 'r-0123456789abcdef'), ('admin', 'a-0123456789abcdef')]
    >>> parse_tokens("owner:x", "JIXIAO_TOKENS")
    Traceback (most recent call last):
    ...
    engine.service.access.ConfigError: JIXIAO_TOKENS 第 1 项：未知角色「owner」，可用：reader、scorer、admin
    """
    pairs = []
    items = [item.strip() for line in text.splitlines() for item in line.split("#", 1)[0].split(",")]
    for number, item in enumerate((i for i in items if i), 1):
        role_name, colon, token = item.partition(":")
        role = Role.__members__.get(role_name.strip().upper())
        if role is None or not colon:
            roles = "、".join(r.label for r in Role)
            what = f"未知角色「{role_name.strip()}」" if colon else "应写成 角色:令牌"
            raise ConfigError(f"{source} 第 {number} 项：{what}，可用：{roles}")
        pairs.append((role, _checked_token(token.strip(), f"{source} 第 {number} 项")))
    return pairs


def _checked_token(token: str, where: str) -> str:
    if not token or not all("!" <= ch <= "~" for ch in token):
        raise ConfigError(f"{where}：令牌只能由可见的 ASCII 字符组成，不能为空或含空格")
    if len(token) < MIN_TOKEN:
        LOG.warning("%s: a token of %d characters is easy to guess; use at least %d", where, len(token), MIN_TOKEN)
    return token


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("latin-1", "replace")).digest()


class Access:
    """The configured tokens, kept as SHA-256 digests and compared in constant time."""

    def __init__(self, grants: Iterable[tuple[Role, str]]) -> None:
        """Index the tokens; the same token under two roles is a configuration error."""
        self._tokens: list[tuple[bytes, Role]] = []
        seen: dict[bytes, Role] = {}
        for role, token in grants:
            digest = _digest(token)
            if seen.get(digest, role) != role:
                raise ConfigError(f"同一令牌配置了两个角色：{seen[digest].label} 和 {role.label}")
            seen[digest] = role
            self._tokens.append((digest, role))

    @property
    def is_open(self) -> bool:
        """Whether no token is configured (the open, single-user service)."""
        return not self._tokens

    def role_of(self, token: str) -> Role | None:
        """The role of a presented token; every configured token is compared, so timing tells nothing."""
        given = _digest(token)
        found: Role | None = None
        for digest, role in self._tokens:
            if hmac.compare_digest(given, digest):
                found = role
        return found

    def grant(self, credentials: HTTPAuthorizationCredentials | None) -> Grant:
        """What the presenter of ``credentials`` may do; 401 without a token or with an unknown one."""
        if self.is_open:
            return Grant(Role.SCORER, authenticated=False)
        role = self.role_of(credentials.credentials) if credentials else None
        if role is None:
            raise ApiError(401, "auth.required", "需要有效的令牌：Authorization: Bearer <令牌>", field="Authorization",
                           headers={"WWW-Authenticate": "Bearer"})
        return Grant(role, authenticated=True)


def access_from_config(config: ServiceConfig) -> Access:
    """The tokens of ``JIXIAO_TOKEN``, ``JIXIAO_TOKENS`` and ``JIXIAO_TOKENS_FILE``; warns when there are none."""
    grants = [(Role.ADMIN, _checked_token(config.token, "JIXIAO_TOKEN"))] if config.token else []
    grants += parse_tokens(config.tokens, "JIXIAO_TOKENS")
    if config.tokens_file is not None:
        grants += parse_tokens(_read_tokens_file(config.tokens_file), str(config.tokens_file))
    access = Access(grants)
    if access.is_open:
        LOG.warning("no token configured (JIXIAO_TOKENS, JIXIAO_TOKENS_FILE, JIXIAO_TOKEN): anyone who can reach "
                    "the port reads every decision and scores; adding policy versions is disabled. "
                    "Fit only for one person on their own machine.")
    return access


def _read_tokens_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"无法读取令牌文件 {path}：{err}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        LOG.warning("token file %s can be read by other users (mode %o); chmod 600 it", path, mode & 0o777)
    return text


BEARER = HTTPBearer(auto_error=False, description="令牌及其角色（reader、scorer、admin）由服务管理员配置")


def require(needed: Role) -> Callable[..., Awaitable[Grant]]:
    """A dependency that lets a request through only with a role of at least ``needed`` (401/403)."""

    async def check(state: StateDep,  # async: a plain function dependency would be run in the thread pool
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> Grant:
        return checked_grant(state.access, credentials, needed)

    check.__name__ = f"require_{needed.label}"
    return check


def checked_grant(access: Access, credentials: HTTPAuthorizationCredentials | None, needed: Role) -> Grant:
    """What the presenter of ``credentials`` may do, if at least ``needed``; else the 401 or 403."""
    grant = access.grant(credentials)
    if grant.role < needed:
        if not grant.authenticated:
            raise ApiError(403, "auth.disabled",
                           "服务未配置令牌（JIXIAO_TOKENS 或 JIXIAO_TOKEN），不能添加指标体系")
        raise ApiError(403, "auth.forbidden",
                       f"令牌的角色是 {grant.role.label}，这项操作需要 {needed.label} 或更高的角色")
    return grant


READER = Depends(require(Role.READER))
SCORER = Depends(require(Role.SCORER))
ADMIN = Depends(require(Role.ADMIN))
