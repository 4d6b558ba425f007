"""Roles: reader < scorer < admin; 401 without or with an unknown token, 403 with too small a role."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.service.access import Access, ConfigError, Role, parse_tokens
from engine.service.app import ServiceConfig, create_app
from tests.conftest import ROOT
from tests.service.conftest import AS_ADMIN, AS_READER, AS_SCORER, GZ_FACTS_TEXT

POLICY_TEXT = (ROOT / "policies" / "gz-dept-2021.yaml").read_text(encoding="utf-8")
NEW_VERSION = POLICY_TEXT.replace('version: "1.0.0-r1"', 'version: "1.0.2"')
DIFF = {"policy_a": {"id": "gz-dept-2021"}, "policy_b": {"id": "gz-dept-2021-r1p"}}
FACTS = {"facts_text": GZ_FACTS_TEXT}
CLAIMED_TEXT = (ROOT / "facts" / "gz-kjj-2021-claimed.yaml").read_text(encoding="utf-8")

# (method, path, body, the smallest role allowed, the status that role gets)
ENDPOINTS = [
    ("GET", "/policies", None, Role.READER, 200),
    ("GET", "/policies/gz-dept-2021", None, Role.READER, 200),
    ("GET", "/decisions", None, Role.READER, 200),
    ("GET", "/decisions/0123", None, Role.READER, 404),
    ("GET", "/status", None, Role.READER, 200),
    ("POST", "/policies/gz-dept-2021/score", FACTS, Role.SCORER, 201),
    ("POST", "/policies/gz-dept-2021/explain", FACTS, Role.SCORER, 200),
    ("POST", "/policies/gz-dept-2021/whatif", {**FACTS, "set": ["财政拨款收入预决算差异率=5"]}, Role.SCORER, 200),
    ("POST", "/diff", DIFF, Role.SCORER, 200),
    ("POST", "/checks", {"text": POLICY_TEXT}, Role.SCORER, 200),
    ("POST", "/policies", {"text": NEW_VERSION}, Role.ADMIN, 201),
    ("GET", "/reviews", None, Role.READER, 200),
    ("GET", "/reviews/0123", None, Role.READER, 404),
    ("POST", "/policies/gz-dept-2021/reviews", {"facts_text": CLAIMED_TEXT}, Role.SCORER, 201),
]
HEADERS = {Role.READER: AS_READER, Role.SCORER: AS_SCORER, Role.ADMIN: AS_ADMIN}


@pytest.fixture
def bare(config: ServiceConfig):
    """A client with no token of its own."""
    with TestClient(create_app(config)) as client:
        yield client


def call(client, method, path, body, headers):
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "needed", "ok"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])
def test_each_endpoint_needs_its_role(bare, method, path, body, needed, ok):
    for missing in ({}, {"Authorization": "Bearer not-a-configured-token"}, {"Authorization": "Basic YTpi"}):
        response = call(bare, method, path, body, missing)
        assert response.status_code == 401 and response.json()["error"]["code"] == "auth.required"
        assert response.headers["www-authenticate"] == "Bearer"  # RFC 9110: a 401 names its scheme
    for role, headers in HEADERS.items():
        response = call(bare, method, path, body, headers)
        if role >= needed:
            assert response.status_code == ok, (role, response.text[:200])
        else:
            assert response.status_code == 403, role
            problem = response.json()["error"]
            assert problem["code"] == "auth.forbidden" and needed.label in problem["message"]


def test_health_and_the_api_documentation_need_no_token(bare):
    assert bare.get("/health").status_code == 200
    assert bare.get("/openapi.json").status_code == 200 and bare.get("/docs").status_code == 200


def test_the_openapi_document_declares_bearer_tokens(bare):
    spec = bare.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/decisions"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/health"]["get"]


def test_a_token_differing_only_at_the_end_or_in_length_is_unknown(bare):
    token = AS_READER["Authorization"]
    for near in (token[:-1], token + "x", token[:-1] + "X", token.upper()):
        assert bare.get("/decisions", headers={"Authorization": near}).status_code == 401


def test_open_service_reads_and_scores_without_a_token_and_warns(tmp_path: Path, caplog):
    config = ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{tmp_path / 'open.sqlite3'}")
    with caplog.at_level(logging.WARNING, logger="jixiao.service"), TestClient(create_app(config)) as client:
        assert client.post("/policies/gz-dept-2021/score", json=FACTS).status_code == 201
        assert client.get("/decisions").status_code == 200
        refused = client.post("/policies", json={"text": NEW_VERSION}, headers=AS_ADMIN)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.disabled"
    assert any("no token configured" in r.getMessage() for r in caplog.records)


def test_tokens_from_a_file(tmp_path: Path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# who may read\nreader:file-reader-token-0001\n\nadmin:file-admin-token-00002  # ops\n",
                      encoding="utf-8")
    tokens.chmod(0o600)
    config = ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{tmp_path / 'f.sqlite3'}",
                           tokens_file=tokens)
    with TestClient(create_app(config)) as client:
        reader = {"Authorization": "Bearer file-reader-token-0001"}
        assert client.get("/decisions", headers=reader).status_code == 200
        assert client.post("/policies/gz-dept-2021/score", json=FACTS, headers=reader).status_code == 403
        admin = {"Authorization": "Bearer file-admin-token-00002"}
        assert client.post("/policies", json={"text": NEW_VERSION}, headers=admin).status_code == 201


def test_a_token_file_others_can_read_is_warned_about(tmp_path: Path, caplog):
    tokens = tmp_path / "tokens"
    tokens.write_text("reader:file-reader-token-0001\n", encoding="utf-8")
    tokens.chmod(0o644)
    config = ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
                           tokens_file=tokens)
    with caplog.at_level(logging.WARNING, logger="jixiao.service"):
        create_app(config).state.service.store.close()
    assert any("can be read by other users" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("text", "message"), [
    ("owner:abcdefabcdefabcdef", "未知角色「owner」"),
    ("readerabcdefabcdefabcdef", "应写成 角色:令牌"),
    ("reader:", "不能为空"),
    ("reader:has space inside it", "不能为空或含空格"),
    ("reader:令牌令牌令牌令牌令牌令牌令牌令牌", "ASCII"),
])
def test_a_bad_token_configuration_stops_start_up_with_a_chinese_message(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_tokens(text, "JIXIAO_TOKENS")


def test_the_same_token_under_two_roles_is_a_configuration_error():
    with pytest.raises(ConfigError, match="两个角色"):
        Access(parse_tokens("reader:same-token-0123456789,admin:same-token-0123456789", "JIXIAO_TOKENS"))


def test_a_bad_configuration_exits_with_status_2_and_one_line(monkeypatch, capsys, tmp_path):
    from engine.service.main import app_from_env

    monkeypatch.setenv("JIXIAO_TOKENS", "root:abcdefabcdefabcdef")
    monkeypatch.setenv("JIXIAO_DB", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(SystemExit) as exit_info:
        app_from_env()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "配置错误" in err and "未知角色「root」" in err and "Traceback" not in err
