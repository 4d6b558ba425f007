"""Fact files may be YAML or JSON; both keep exact decimals and their positions."""

from __future__ import annotations

import json
from decimal import Decimal

import yaml

import engine
from engine.source import parse_document
from tests.conftest import GZ_FACTS


def _as_json(text: str) -> str:
    data = yaml.safe_load(text)
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def test_json_fact_file_scores_the_same(gz_policy, tmp_path):
    path = tmp_path / "gz.json"
    path.write_text(_as_json(GZ_FACTS.read_text(encoding="utf-8")), encoding="utf-8")
    facts = engine.read_facts(path, gz_policy)
    result = engine.evaluate(gz_policy, facts)
    assert result.total == Decimal("94.622")
    rate = facts["政府采购执行率"]
    assert rate.value == Decimal("84.48")
    assert rate.location is not None and rate.location.file == str(path)
    line = path.read_text(encoding="utf-8").splitlines()[rate.location.line - 1]
    assert "84.48" in line


def test_json_numbers_are_exact(gz_policy):
    text = '{"department": "x", "facts": {"政府采购执行率": {"value": 0.1, "unit": "%"}}}'
    doc = parse_document(text, "f.json")
    assert doc.value["facts"]["政府采购执行率"]["value"] == Decimal("0.1")


def test_result_names_the_fact_file(gz_policy, gz_facts):
    result = engine.evaluate(gz_policy, gz_facts)
    assert result.facts_file.endswith("gz-kjj-2021.yaml") and len(result.facts_digest) == 64
    assert len(result.policy_digest) == 64
