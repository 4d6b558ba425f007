"""The service's fast paths answer exactly what the slow ones did: the score's JSON, JSON facts, group commit."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from engine.service import models
from engine.service.store import DecisionRecord, Store
from tests.service.conftest import GZ_FACTS_TEXT


def test_the_score_answer_is_what_the_response_model_serialises(client):
    response = client.post("/policies/gz-dept-2021/score", json={"facts_text": GZ_FACTS_TEXT})
    assert response.status_code == 201 and response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer == models.Decision.model_validate(answer).model_dump(mode="json")
    assert answer["total"] == "94.622" and answer["result"]["total"] == "94.622"
    stored = client.get(f"/decisions/{answer['id']}").json()
    assert {**stored, "facts": None} == {**answer, "forced": []}  # the stored decision: the same, with its facts


def test_json_facts_score_as_the_fact_file_does(client):
    facts = yaml.safe_load(GZ_FACTS_TEXT)  # floats here are written back with the same digits by json.dumps
    body = json.dumps({"facts": facts}, ensure_ascii=False, default=str)
    by_json = client.post("/policies/gz-dept-2021/score", content=body.encode(),
                          headers={"Content-Type": "application/json"}).json()
    by_text = client.post("/policies/gz-dept-2021/score", json={"facts_text": GZ_FACTS_TEXT}).json()
    assert by_json["total"] == by_text["total"] == "94.622"
    assert scores(by_json["result"]["indicators"]) == scores(by_text["result"]["indicators"])


def scores(nodes: list[dict]) -> list[tuple]:
    """Each indicator's score and computation, the tree walked in order (locations differ: they name each input)."""
    return [(n["id"], n["score"], n["computation"], scores(n["children"])) for n in nodes]


def test_a_json_facts_error_points_into_the_request(client):
    body = '{"facts": {"department": "x", "fiscal_year": 2021,\n "facts": {"预算完成率": {"value": "\uff18\uff14"}}}}'
    response = client.post("/policies/gz-dept-2021/score", content=body.encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "source.number" and error["location"] == {"file": "request.json", "line": 2, "col": 31}


def _record(number: int, record_id: str | None = None) -> DecisionRecord:
    return DecisionRecord(record_id or f"{number:032x}", datetime.now(UTC), "t", "d", "p", "1", "x", "f", "r",
                          str(number), "{}", "{}")


def test_group_commit_answers_each_decision_after_its_commit(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    try:
        futures = []
        lock = threading.Lock()

        def submit(start: int) -> None:
            for n in range(start, start + 50):
                future = store.writer.submit(_record(n))
                with lock:
                    futures.append(future)

        threads = [threading.Thread(target=submit, args=(k * 50,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = [future.result(timeout=60) for future in futures]
        assert sorted(int(r.total) for r in records) == list(range(200))
        for record in records:  # each acknowledged decision is there to read
            assert store.decision(record.id) == record
    finally:
        store.close()


def test_a_refused_decision_fails_alone(tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    try:
        store.writer.submit(_record(1, "a" * 32)).result(timeout=60)
        store.writer.stop()  # in one group or not, only the decision the database refuses fails
        futures = [store.writer.submit(_record(n, "a" * 32 if n == 3 else None)) for n in (2, 3, 4)]
        assert futures[0].result(timeout=60).total == "2" and futures[2].result(timeout=60).total == "4"
        with pytest.raises(Exception, match="UNIQUE"):
            futures[1].result(timeout=60)
        assert store.decision("a" * 32).total == "1"
    finally:
        store.close()
