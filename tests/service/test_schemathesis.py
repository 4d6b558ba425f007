"""schemathesis generates requests from the OpenAPI spec: no input may produce a 5xx."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from engine.service.app import ServiceConfig, create_app
from tests.conftest import ROOT
from tests.service.conftest import TOKEN

_DB = Path(tempfile.mkdtemp(prefix="jixiao-st-")) / "d.sqlite3"
APP = create_app(ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{_DB}", token=TOKEN,
                               max_facts=50))
# A body beyond the size limit is rejected with 413 before it is parsed: that is a rejection too.
CONFIG = SchemathesisConfig.from_str(f"""
headers = {{ Authorization = "Bearer {TOKEN}" }}

# A schema-valid request can still be a bad policy or fact file (text ""): a located 4xx is the answer.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "415", "422"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "409", "413", "415", "422"]
""")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case):
    case.call_and_validate()  # no 5xx, responses match their documented schemas and status codes
