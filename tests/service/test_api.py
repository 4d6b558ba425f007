"""Every endpoint and error path of the HTTP API, through FastAPI's TestClient."""

from __future__ import annotations

import json

from engine.service.app import create_app
from tests.conftest import ROOT
from tests.service.conftest import AS_ADMIN, GZ_FACTS_TEXT

AUTH = AS_ADMIN
NO_TOKEN = {"Authorization": ""}


def score(client, **body):
    return client.post("/policies/gz-dept-2021/score", json=body)


def test_health(client):
    assert client.get("/health").json() == {"status": "ok", "database": "ok", "policies": 6, "rejected": 0}
    assert client.get("/status").json() == {"policies": 6, "rejected": []}


def test_list_and_get_policies(client):
    policies = client.get("/policies").json()
    assert [p["id"] for p in policies] == ["cq-dept-2021", "gz-dept-2021", "gz-dept-2021-r1p", "hunan-dept",
                                           "mof-project-2020", "mof-project-2020-whole-points"]
    assert all(p["versions"][0]["source"] == "bundled" for p in policies)
    detail = client.get("/policies/gz-dept-2021").json()
    assert detail["version"] == "1.0.0-r1" and len(detail["digest"]) == 64 and detail["text"].startswith("#")
    assert detail["indicators"][0]["children"][0]["children"][0]["rule"] == "A1.1.r1"


def test_unknown_policy_is_404_with_a_suggestion(client):
    body = client.get("/policies/gz-dept-2012").json()
    assert body["error"]["code"] == "policy.not_found" and "gz-dept-2021" in body["error"]["message"]
    assert client.get("/policies/gz-dept-2021", params={"version": "9"}).status_code == 404


def test_score_fact_text_and_fetch_the_decision(client):
    created = score(client, facts_text=GZ_FACTS_TEXT, facts_name="gz.yaml")
    assert created.status_code == 201
    decision = created.json()
    assert decision["total"] == "94.622" and decision["result"]["total"] == "94.622"
    assert decision["policy"]["id"] == "gz-dept-2021" and len(decision["result_digest"]) == 64
    stored = client.get(f"/decisions/{decision['id']}").json()
    assert stored["result"] == decision["result"] and stored["facts"]["department"] == "广州市科学技术局"
    assert stored["actor"].startswith("anonymous@")
    named = client.post("/policies/gz-dept-2021/score", json={"facts_text": GZ_FACTS_TEXT},
                        headers={"X-Actor": "%E5%AE%A1%E6%A0%B8%E5%91%98"}).json()  # 审核员, percent-encoded
    assert named["actor"].startswith("审核员@")


def test_same_policy_and_facts_give_the_same_result_digest(client):
    first = score(client, facts_text=GZ_FACTS_TEXT).json()
    second = score(client, facts_text=GZ_FACTS_TEXT).json()
    assert first["id"] != second["id"] and first["result_digest"] == second["result_digest"]
    assert first["facts_digest"] == second["facts_digest"]


def test_score_json_object_keeps_exact_decimals(client):
    import yaml

    facts = yaml.safe_load(GZ_FACTS_TEXT)
    facts["facts"]["政府采购执行率"]["value"] = "__RATE__"
    text = json.dumps({"facts": facts}, ensure_ascii=False, default=str).replace('"__RATE__"', "84.4800000000000001")
    # 84.4800000000000001 is not a double: read as a float it would become 84.48
    response = client.post("/policies/gz-dept-2021/score", content=text.encode(),
                           headers={"content-type": "application/json", "X-Actor": "%E5%AE%A1%E6%A0%B8%E5%91%98"})
    assert response.status_code == 422  # more places than the policy declares: proof the digits were kept
    problem = response.json()["error"]
    assert problem["code"] == "facts.precision" and problem["location"]["file"] == "request.json"


def test_fact_errors_are_located_like_the_cli(client):
    bad = GZ_FACTS_TEXT.replace("  财政拨款收入预决算差异率:\n", "  预决算差异:\n")
    body = score(client, facts_text=bad, facts_name="gz.yaml").json()
    codes = {p["code"] for p in body["problems"]}
    assert codes == {"facts.unknown", "facts.missing"}
    unknown = next(p for p in body["problems"] if p["code"] == "facts.unknown")
    assert unknown["location"]["file"] == "gz.yaml" and unknown["location"]["line"] > 1
    assert "是否为「财政拨款收入预决算差异率」" in unknown["message"]
    assert client.get("/decisions").json() == []  # nothing recorded


def test_request_shape_errors(client):
    assert score(client).json()["error"]["code"] == "request.facts"
    assert score(client, facts={}, facts_text="x").status_code == 400
    invalid = client.post("/policies/gz-dept-2021/score", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "request.invalid"
    assert score(client, facts_text="a: [").json()["error"]["code"] == "source.syntax"


def test_limits(client):
    big = client.post("/checks", json={"text": "x" * 300_000})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request.too_large"
    many = {"department": "x", "facts": {f"f{i}": 1 for i in range(150)}}
    response = score(client, facts=many)
    assert response.status_code == 413 and response.json()["error"]["code"] == "request.too_many_facts"


def test_check_policy(client):
    ok = client.post("/checks", json={"text": client.get("/policies/gz-dept-2021").json()["text"]}).json()
    assert ok["ok"] and ok["policy"]["id"] == "gz-dept-2021"
    bad = client.post("/checks", json={"text": "policy: {id: x}\n", "name": "x.yaml"}).json()
    assert not bad["ok"] and bad["problems"][0]["code"] == "policy.schema"
    assert bad["problems"][0]["location"]["file"] == "x.yaml"


def test_adding_a_policy_version_needs_the_token(client):
    text = client.get("/policies/gz-dept-2021").json()["text"].replace('version: "1.0.0-r1"', 'version: "1.0.1"')
    assert client.post("/policies", json={"text": text}, headers=NO_TOKEN).status_code == 401
    assert client.post("/policies", json={"text": text}, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.post("/policies", json={"text": text}).status_code == 403  # the client's scorer token
    created = client.post("/policies", json={"text": text}, headers=AUTH)
    assert created.status_code == 201 and created.json()["version"] == "1.0.1" and created.json()["source"] == "stored"
    assert client.post("/policies", json={"text": text}, headers=AUTH).json()["error"]["code"] == "policy.exists"
    gz = next(p for p in client.get("/policies").json() if p["id"] == "gz-dept-2021")
    versions = [v["version"] for v in gz["versions"]]
    assert versions == ["1.0.0-r1", "1.0.1"]
    decision = score(client, facts_text=GZ_FACTS_TEXT, version="1.0.1").json()
    assert decision["policy"]["version"] == "1.0.1" and decision["total"] == "94.622"


def test_added_versions_survive_a_restart(config, client):
    text = client.get("/policies/gz-dept-2021").json()["text"].replace('version: "1.0.0-r1"', 'version: "2.0"')
    client.post("/policies", json={"text": text}, headers=AUTH)
    from fastapi.testclient import TestClient

    with TestClient(create_app(config), headers=AUTH) as again:
        assert again.get("/policies/gz-dept-2021", params={"version": "2.0"}).json()["source"] == "stored"


def test_without_a_token_adding_is_disabled(config):
    from fastapi.testclient import TestClient

    config.token, config.tokens = None, ""
    with TestClient(create_app(config)) as anonymous:
        response = anonymous.post("/policies", json={"text": "x"}, headers=AUTH)
        assert response.status_code == 403 and response.json()["error"]["code"] == "auth.disabled"
        assert anonymous.get("/decisions").status_code == 200  # open: reading and scoring need no token


def test_missing_decision_is_404(client):
    assert client.get("/decisions/0123").json()["error"]["code"] == "decision.not_found"


def test_list_decisions(client):
    for _ in range(3):
        score(client, facts_text=GZ_FACTS_TEXT)
    listed = client.get("/decisions", params={"policy_id": "gz-dept-2021", "limit": 2}).json()
    assert len(listed) == 2 and listed[0]["facts"] is None


def test_openapi_documents_the_models(client):
    spec = client.get("/openapi.json").json()
    assert {"/health", "/policies", "/policies/{policy_id}/score", "/decisions/{decision_id}"} <= set(spec["paths"])
    assert "ErrorResponse" in spec["components"]["schemas"]


def test_posted_policies_may_extend_only_policies_of_the_service(client):
    child = 'extends: gz-dept-2021.yaml\npolicy:\n  id: gz-next\n  name: 下一年度\n  version: "2022"\n'
    checked = client.post("/checks", json={"text": child, "name": "next.yaml"}).json()
    assert checked["ok"] and checked["policy"]["id"] == "gz-next"
    for target in ("/etc/passwd", "../../../../etc/hostname", "../tests/bad/base-policy.yaml"):
        escaping = client.post("/checks", json={"text": f"extends: {target}\npolicy: {{id: x}}\n"}).json()
        assert not escaping["ok"] and escaping["problems"][0]["code"] == "policy.extends"
        assert "只能引用服务指标体系目录中的文件" in escaping["problems"][0]["message"]


def test_explain_view(client):
    view = client.post("/policies/gz-dept-2021/explain", json={"facts_text": GZ_FACTS_TEXT}).json()
    assert view["view"] == "explain"
    text = json.dumps(view, ensure_ascii=False)
    assert "财政拨款收入预决算差异率" in text and "5.00%" in text  # the recover suggestion
    assert client.get("/decisions").json() == []  # a view records nothing
    missing = client.post("/policies/gz-dept-2021/explain", json={"facts_text": GZ_FACTS_TEXT, "indicator": "Z9"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "indicator.not_found"


def test_whatif_view(client):
    body = {"facts_text": GZ_FACTS_TEXT, "set": ["财政拨款收入预决算差异率=5"]}
    view = client.post("/policies/gz-dept-2021/whatif", json=body).json()
    assert view["view"] == "whatif" and "100.622" in json.dumps(view)
    bad = client.post("/policies/gz-dept-2021/whatif", json={"facts_text": GZ_FACTS_TEXT, "set": ["预算完成率=abc"]})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "facts.type"
    assert bad.json()["error"]["location"]["file"] == "--set"
    sweep = client.post("/policies/gz-dept-2021/whatif",
                        json={"facts_text": GZ_FACTS_TEXT, "sweep": "政府采购执行率=80:100:5"}).json()
    assert sweep["view"] == "sweep"
    assert client.post("/policies/gz-dept-2021/whatif", json={"facts_text": GZ_FACTS_TEXT}).status_code == 400


def test_diff_view(client):
    variant = (ROOT / "facts" / "gz-kjj-2021-variance-7pct.yaml").read_text(encoding="utf-8")
    body = {"policy_a": {"id": "gz-dept-2021"}, "policy_b": {"id": "gz-dept-2021-r1p"}, "facts_text": variant}
    view = client.post("/diff", json=body).json()
    assert view["view"] == "diff" and "97.622" in json.dumps(view) and "98.622" in json.dumps(view)
    structural = client.post("/diff", json={"policy_a": {"id": "gz-dept-2021"}, "policy_b": {"id": "gz-dept-2021-r1p"}})
    assert structural.status_code == 200 and "A1.2.r1p" in json.dumps(structural.json(), ensure_ascii=False)
