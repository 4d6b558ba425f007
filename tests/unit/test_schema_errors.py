"""pydantic errors in a policy are located at the offending field, even inside a rule (a tagged union)."""

from __future__ import annotations

import pytest

import engine
from engine.errors import ErrorCode, JixiaoError
from tests.helpers import policy_text

RATE = '率: {type: decimal, unit: "%", range: [0, 100]}\n'


@pytest.mark.parametrize(("rule", "line", "field"), [
    ("id: r\nkind: per_point\nfact: 率\nthreshold: 5\ndirection: above\npoints: many\nwording: w\n"
     "provenance: official\n", 20, "rule.points"),
    ("id: r\nkind: bands\nfact: 率\nbands:\n  - {when: \"≤ 5\", points: 5}\n  - {when: \"> 5\", points: x}\n"
     "wording: w\nprovenance: official\n", 20, "rule.bands[1].points"),
])
def test_a_bad_rule_field_is_located_at_the_field(rule, line, field):
    with pytest.raises(JixiaoError) as caught:
        engine.policy_from_text(policy_text(rule, RATE), "p.yaml")
    problem = next(p for p in caught.value.problems if p.field.endswith(field))
    assert problem.code == ErrorCode.POLICY_SCHEMA
    assert problem.location.line == line
