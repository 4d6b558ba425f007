"""The service records a finding with the decision and shows it beside the total (issue 13 §3)."""

from __future__ import annotations

from tests.conftest import ROOT
from tests.service.conftest import AS_ADMIN

POLICY_TEXT = (ROOT / "tests" / "policies" / "findings" / "ah-project.yaml").read_text(encoding="utf-8")
FACTS_TEXT = (ROOT / "tests" / "facts" / "ah-tangxi-cunji-2022.yaml").read_text(encoding="utf-8")
MESSAGE = "年度资金总额应不少于其中的本年财政拨款"


def test_a_decision_carries_its_findings_and_the_log_keeps_them(client):
    assert client.post("/policies", json={"text": POLICY_TEXT, "name": "ah.yaml"}, headers=AS_ADMIN).status_code == 201
    created = client.post("/policies/ah-project-findings/score",
                          json={"facts_text": FACTS_TEXT, "facts_name": "f.yaml"})
    assert created.status_code == 201, created.text
    decision = created.json()
    assert decision["total"] == "26.00"
    (finding,) = decision["findings"]
    assert finding["code"] == "facts.constraint" and MESSAGE in finding["message"]
    assert finding["location"] == {"file": "f.yaml", "line": 6, "col": 24}
    assert decision["result"]["findings"][0]["message"] == finding["message"]
    stored = client.get(f"/decisions/{decision['id']}").json()
    assert stored["findings"] == decision["findings"] and stored["result"] == decision["result"]
    listed = client.get("/decisions").json()
    assert [d["findings"] for d in listed if d["id"] == decision["id"]] == [decision["findings"]]


def test_a_decision_without_findings_has_an_empty_list(client):
    from tests.service.conftest import GZ_FACTS_TEXT

    decision = client.post("/policies/gz-dept-2021/score", json={"facts_text": GZ_FACTS_TEXT}).json()
    assert decision["findings"] == [] and "findings" not in decision["result"]
