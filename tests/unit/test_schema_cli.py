"""`jixiao schema` and `jixiao check`: editor schemas generated from the models, checks on demand."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT


def _yaml_as_json(path: Path) -> object:
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_committed_schemas_are_current():
    for kind in ("policy", "facts", "case", "extends"):
        run = CliRunner().invoke(main, ["schema", kind])
        assert run.exit_code == 0
        assert (ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8") == run.output, (
            f"regenerate with: jixiao schema {kind} > schemas/{kind}.schema.json")


def _undescribed(node: object, path: str) -> list[str]:
    """Every property below ``node`` without a description (editors show it on hover)."""
    found = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            described = isinstance(prop, dict) and isinstance(prop.get("description"), str)
            if not (described and prop["description"].strip()):
                found.append(f"{path}.properties.{name}")
        for key, value in node.items():
            found += _undescribed(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _undescribed(value, f"{path}[{i}]")
    return found


@pytest.mark.parametrize("kind", ["policy", "facts", "case", "extends"])
def test_every_schema_property_has_a_description(kind):
    schema = json.loads(CliRunner().invoke(main, ["schema", kind]).output)
    assert _undescribed(schema, kind) == []


def test_the_description_walk_finds_a_property_without_one():
    assert _undescribed({"$defs": {"X": {"properties": {"a": {"type": "string"}, "b": {"description": "说明"}}}}},
                        "s") == ["s.$defs.X.properties.a"]


def test_bundled_files_validate_against_the_schemas():
    for kind, path in (("policy", GZ_POLICY), ("facts", GZ_FACTS)):
        schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
        jsonschema.validate(_yaml_as_json(path), schema)
        assert path.read_text(encoding="utf-8").startswith(
            f"# yaml-language-server: $schema=../schemas/{kind}.schema.json")


def test_schema_rejects_a_misspelt_key():
    schema = json.loads((ROOT / "schemas" / "facts.schema.json").read_text(encoding="utf-8"))
    bad = {"deparment": "x", "facts": {}}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(bad))
    assert errors


def test_check_passes_on_the_bundled_policy():
    run = CliRunner().invoke(main, ["check", str(GZ_POLICY), str(GZ_FACTS)])
    assert run.exit_code == 0, run.output
    assert "未发现问题" in run.output


def test_usage_error_exits_2():
    assert CliRunner().invoke(main, ["check"]).exit_code == 2
    assert CliRunner().invoke(main, ["schema", "nope"]).exit_code == 2


def test_missing_file_exits_1_with_its_name():
    run = CliRunner().invoke(main, ["score", str(GZ_POLICY), "nope.yaml"])
    assert run.exit_code == 1 and "nope.yaml" in run.output and "source.not_found" in run.output


def test_case_files_validate_against_the_case_schema():
    schema = json.loads((ROOT / "schemas" / "case.schema.json").read_text(encoding="utf-8"))
    for path in sorted((ROOT / "tests" / "cases").rglob("*.yaml")):
        jsonschema.validate(_yaml_as_json(path), schema)


def test_schema_properties_carry_descriptions_for_editors():
    for kind, where in (("policy", ("$defs", "Constraint")), ("case", ("$defs", "Case"))):
        schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
        for step in where:
            schema = schema[step]
        described = [name for name, prop in schema["properties"].items() if prop.get("description")]
        assert described == list(schema["properties"]), kind


def test_an_extends_document_validates_against_its_own_schema():
    schema = json.loads((ROOT / "schemas" / "extends.schema.json").read_text(encoding="utf-8"))
    child = _yaml_as_json(ROOT / "policies" / "gz-dept-2021-r1p.yaml")
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(child)) == []
    policy = json.loads((ROOT / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(policy).iter_errors(child))  # why it needs its own schema
    more = {"extends": "a.yaml", "constraints": [{"when": "a <= b", "message": "m", "severity": "warning"}],
            "indicators": {"A9": {"parent": "A", "after": "A8", "name": "新", "max": 1}, "A3": None},
            "facts": {"x": None, "y": {"range": [0, 1]}}}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(more)) == []
    for bad in ({"extends": "a.yaml", "indicatorz": {}}, {"indicators": {}},
                {"extends": "a.yaml", "indicators": {"A1": {"nmae": "x"}}}):
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad)), bad
