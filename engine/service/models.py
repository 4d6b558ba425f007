"""Request and response models of the HTTP API (English field names, Chinese messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from engine.service.store import utc


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Model):
    """A 1-based position in a named file (or in the request body)."""

    file: str
    line: int
    col: int


class ErrorItem(_Model):
    """One problem, exactly as the command line reports it."""

    code: str = Field(examples=["facts.unknown"])
    message: str = Field(examples=["未知事实「预决算差异」，是否为「财政拨款收入预决算差异率」？"])
    location: Location | None = None
    field: str = ""


class ErrorResponse(_Model):
    """Every error response: the first problem and all problems (sorted, capped)."""

    error: ErrorItem
    problems: list[ErrorItem]


class Health(_Model):
    """Liveness and readiness: ``degraded`` when some policy document could not be loaded (see ``/status``)."""

    status: Literal["ok", "degraded"]
    database: Literal["ok"]
    policies: int
    rejected: int = Field(description="未能载入的指标体系文件或已存版本的个数，详见 /status")


class RejectedDocument(_Model):
    """A bundled file or stored version the service could not load, with its problems."""

    source: Literal["bundled", "stored"]
    name: str
    problems: list[ErrorItem]


class Status(_Model):
    """What the service loaded at start-up, and what it could not load."""

    policies: int
    rejected: list[RejectedDocument]


class PolicyRef(_Model):
    """Which policy version a result was computed under."""

    id: str
    version: str
    digest: str


class VersionInfo(_Model):
    """One version of a policy."""

    version: str
    digest: str
    source: Literal["bundled", "stored"]
    name: str
    fiscal_year: int


class PolicySummary(_Model):
    """A policy and its versions (the last one is the default)."""

    id: str
    issuer: str
    versions: list[VersionInfo]


class IndicatorInfo(_Model):
    """A node of a policy's indicator tree."""

    id: str
    name: str
    max: str | None
    rule: str | None = None
    kind: str | None = None
    provenance: str | None = None
    children: list[IndicatorInfo] = []


class PolicyDetail(_Model):
    """One policy version: identity, indicator tree and source text."""

    id: str
    name: str
    issuer: str
    fiscal_year: int
    version: str
    digest: str
    source: Literal["bundled", "stored"]
    indicators: list[IndicatorInfo]
    text: str


class PolicyText(_Model):
    """Policy text (YAML or JSON) to check or to add."""

    text: str = Field(max_length=1_000_000)
    name: str = Field(default="policy.yaml", max_length=200)


class CheckResponse(_Model):
    """The outcome of the static checks."""

    ok: bool
    policy: PolicyRef | None
    problems: list[ErrorItem]


class FactsRequest(_Model):
    """Facts for a view: a fact document (``facts``) or fact-file text (``facts_text``)."""

    facts: dict[str, Any] | None = Field(default=None, description="事实文件的内容（JSON 对象），数值按书写精确读取")
    facts_text: str | None = Field(default=None, description="事实文件原文（YAML 或 JSON）")
    facts_name: str = Field(default="facts.yaml", max_length=200, description="用于错误定位的文件名")
    version: str | None = Field(default=None, description="指标体系版本；不写则用最新版本")


class ScoreRequest(FactsRequest):
    """Facts to score: a fact document (``facts``) or fact-file text (``facts_text``)."""

    force: bool = Field(default=False, description="事实文件写明的指标体系（policy）、版本（policy_version）或年度"
                                                   "（fiscal_year）与所用指标体系不符时仍然处理，并在结果中注明"
                                                   "（默认为错误 facts.identity）")


class Decision(_Model):
    """A recorded decision: who scored what, under which policy version, with which facts, and the result."""

    id: str
    created_at: datetime = Field(description="UTC，RFC 3339，微秒精度，以 Z 结尾：2021-12-31T08:00:00.000000Z")
    actor: str
    department: str
    policy: PolicyRef
    facts_digest: str
    result_digest: str
    total: str
    findings: list[ErrorItem] = Field(
        default=[], description="事实文件的发现（severity: warning 的约束不成立）：与得分一并记录，不阻止评分")
    result: dict[str, Any]
    facts: dict[str, Any] | None = None
    forced: list[dict[str, str]] = Field(default=[], description="force 放行的身份不符（只在评分的响应中；"
                                                                  "所存事实中仍写着原来的指标体系、版本或年度）")

    @field_serializer("created_at")
    def _utc_z(self, moment: datetime) -> str:
        return timestamp(moment)


def timestamp(moment: datetime) -> str:
    """One format for every timestamp the API returns: UTC, microseconds, ``Z``.

    >>> from datetime import timedelta, timezone
    >>> timestamp(datetime(2021, 12, 31, 16, 0, tzinfo=timezone(timedelta(hours=8))))
    '2021-12-31T08:00:00.000000Z'
    """
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ExplainRequest(FactsRequest):
    """Facts to explain: why not full marks, and what would recover the points."""

    indicator: str | None = Field(default=None, description="只看这个指标及其下级")
    recover: bool = Field(default=True, description="附上逐条验证过的挽回建议")


class WhatIfRequest(FactsRequest):
    """Facts and changes: ``set`` as in ``jixiao whatif --set``, or one ``sweep``."""

    set: list[str] = Field(default=[], max_length=50, description="NAME=VALUE，值的写法与事实文件相同")
    sweep: str | None = Field(default=None, description="NAME=FROM:TO:STEP")


class ReviewRequest(ScoreRequest):
    """A fact file with its claimed scores (``claimed``) to review, and optionally the reviewer's adjustments."""

    adjustments: dict[str, Any] | None = Field(
        default=None, description="复核调整（JSON 对象，格式同 --adjustments 文件：reviewer、adjustments 列表）")
    adjustments_text: str | None = Field(default=None, description="复核调整文件原文（YAML 或 JSON）")
    adjustments_name: str = Field(default="adjustments.yaml", max_length=200, description="用于错误定位的文件名")


class ReviewDecision(_Model):
    """A recorded review: who reviewed what, under which policy version, with which facts, and the whole review."""

    id: str
    created_at: datetime = Field(description="UTC，RFC 3339，微秒精度，以 Z 结尾：2021-12-31T08:00:00.000000Z")
    actor: str
    department: str
    policy: PolicyRef
    facts_digest: str
    review_digest: str = Field(description="所存复核结果（review）的 JSON 文本的 SHA-256")
    agrees: bool = Field(description="填报得分与规则得分一致（舍入差异不计）")
    verdict: str = Field(examples=["有差异：1 项，合计 +0.310 分"])
    difference: str | None = Field(description="填报总分 − 规则总分")
    computed_total: str
    adjusted_total: str = Field(description="复核调整后总分（没有复核调整时等于规则总分）")
    review: dict[str, Any] = Field(description="完整的复核结果，与 jixiao review --format json 相同")
    facts: dict[str, Any] | None = None
    adjustments: dict[str, Any] | None = None

    @field_serializer("created_at")
    def _utc_z(self, moment: datetime) -> str:
        return timestamp(moment)


class PolicyVersionRef(_Model):
    """A policy version by id (and version; the latest when omitted)."""

    id: str
    version: str | None = None


class DiffRequest(_Model):
    """Two policy versions, and optionally facts to compare their scores on."""

    policy_a: PolicyVersionRef
    policy_b: PolicyVersionRef
    facts: dict[str, Any] | None = None
    facts_text: str | None = None
    facts_name: str = Field(default="facts.yaml", max_length=200)


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
    415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
"""The error statuses every route documents (``responses=`` of a route)."""

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}}
"""The statuses of a route that needs a token (``engine.service.access``)."""
