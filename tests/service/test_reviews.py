"""Reviews through the HTTP API: recorded like a score, listed and fetched by id, documented in OpenAPI."""

from __future__ import annotations

import json

from tests.conftest import ROOT
from tests.service.conftest import AS_READER

CLAIMED = (ROOT / "facts" / "gz-kjj-2021-claimed.yaml").read_text(encoding="utf-8")
ROW = (ROOT / "facts" / "gz-kjj-2021-claimed-row.yaml").read_text(encoding="utf-8")
ADJUSTMENTS = (ROOT / "reviews" / "gz-kjj-2021-adjustments.yaml").read_text(encoding="utf-8")


def review(client, **body):
    return client.post("/policies/gz-dept-2021/reviews", json=body)


def test_a_review_is_recorded_and_fetched_by_id(client):
    created = review(client, facts_text=ROW, facts_name="row.yaml")
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["agrees"], record["verdict"], record["difference"]) == (False, "有差异：1 项，合计 +0.310 分",
                                                                          "0.310")
    assert record["policy"]["id"] == "gz-dept-2021" and len(record["review_digest"]) == 64
    (finding,) = record["review"]["findings"]
    assert (finding["kind"], finding["indicator"], finding["claimed"]["source"]) == ("rule", "A2", "row.yaml:144")
    assert finding["deductions"][0]["rule"] == "A2.1.r1"
    assert record["actor"].startswith("anonymous@") and record["facts"] is None
    stored = client.get(f"/reviews/{record['id']}", headers=AS_READER).json()
    assert stored["review"] == record["review"] and stored["facts"]["claimed"]["采购管理"] == "2.00"
    assert stored["created_at"] == record["created_at"] and stored["created_at"].endswith("Z")
    listed = client.get("/reviews", headers=AS_READER).json()
    assert [r["id"] for r in listed] == [record["id"]] and listed[0]["review"] == record["review"]
    assert client.get("/decisions").json() == []  # a review is not a scoring decision
    assert client.get("/reviews/0123").json()["error"]["code"] == "review.not_found"


def test_the_same_review_gives_the_same_digest(client):
    first, second = (review(client, facts_text=CLAIMED).json() for _ in range(2))
    assert first["id"] != second["id"] and first["review_digest"] == second["review_digest"]
    assert first["agrees"] and first["verdict"] == "一致" and first["adjusted_total"] == "94.622"


def test_a_json_fact_document_with_adjustments_in_the_body(client):
    facts = json.loads(json.dumps(_yaml(CLAIMED), default=str))
    adjustments = {"reviewer": "王复核", "adjustments": [{"indicator": "A3.2", "deduct": 0.5, "reason": "公开不完整"}]}
    record = review(client, facts=facts, adjustments=adjustments).json()
    assert record["agrees"] and record["computed_total"] == "94.622" and record["adjusted_total"] == "94.122"
    (applied,) = record["review"]["adjustments"]
    assert (applied["indicator"], applied["delta"], applied["reviewer"], applied["judgement"]) == (
        "A3.2", "-0.500", "王复核", True)
    assert applied["source"].startswith("request.json:")
    stored = client.get(f"/reviews/{record['id']}").json()
    assert stored["adjustments"]["adjustments"][0]["reason"] == "公开不完整"


def test_adjustment_text_and_its_errors_are_located(client):
    ok = review(client, facts_text=CLAIMED, adjustments_text=ADJUSTMENTS).json()
    assert ok["adjusted_total"] == "91.622" and len(ok["review"]["adjustments"]) == 2
    bad = review(client, facts_text=CLAIMED, adjustments_text=ADJUSTMENTS.replace("indicator: B1", "indicator: B9"),
                 adjustments_name="r.yaml")
    assert bad.status_code == 422
    problem = bad.json()["error"]
    assert problem["code"] == "review.adjustment" and problem["location"]["file"] == "r.yaml"
    assert review(client, facts_text=CLAIMED, adjustments_text=ADJUSTMENTS,
                  adjustments={"adjustments": []}).status_code == 400
    assert [r["id"] for r in client.get("/reviews").json()] == [ok["id"]]  # nothing recorded for the refused ones


def test_identity_and_missing_claims_are_located_errors(client):
    other_year = CLAIMED.replace("fiscal_year: 2021", "fiscal_year: 2020")
    refused = review(client, facts_text=other_year, facts_name="f.yaml")
    assert refused.status_code == 422
    problem = refused.json()["error"]
    assert problem["code"] == "facts.identity" and problem["location"] == {"file": "f.yaml", "line": 6, "col": 14}
    forced = review(client, facts_text=other_year, force=True).json()
    assert forced["review"]["forced"][0]["field"] == "fiscal_year"
    unclaimed = review(client, facts_text=(ROOT / "facts" / "gz-kjj-2021.yaml").read_text(encoding="utf-8"))
    assert unclaimed.status_code == 422 and unclaimed.json()["error"]["code"] == "facts.missing"


def test_scoring_checks_the_identity_too(client):
    other = CLAIMED.replace('policy_version: "1.0.0-r1"', 'policy_version: "0.9"')
    refused = client.post("/policies/gz-dept-2021/score", json={"facts_text": other})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "facts.identity"
    forced = client.post("/policies/gz-dept-2021/score", json={"facts_text": other, "force": True}).json()
    assert forced["total"] == "94.622" and forced["forced"][0]["stated"] == "0.9"


def test_openapi_documents_reviews(client):
    spec = client.get("/openapi.json").json()
    assert {"/policies/{policy_id}/reviews", "/reviews", "/reviews/{review_id}"} <= set(spec["paths"])
    post = spec["paths"]["/policies/{policy_id}/reviews"]["post"]
    assert "201" in post["responses"] and "422" in post["responses"]
    schemas = spec["components"]["schemas"]
    assert {"adjustments", "adjustments_text", "force", "facts_text"} <= set(schemas["ReviewRequest"]["properties"])
    assert {"verdict", "agrees", "review", "review_digest"} <= set(schemas["ReviewDecision"]["properties"])


def _yaml(text: str) -> object:
    import yaml

    return yaml.safe_load(text)
