"""Build small policies and fact files in memory, and score them on both backends."""

from __future__ import annotations

import textwrap
from decimal import Decimal

import engine
from engine.trace import Result

HEADER = """\
policy: {{id: t-{kind}, name: 测试, issuer: 测试, fiscal_year: 2021, version: "1"}}
rounding: {{score: {{places: 3, mode: {mode}}}, display: {{min_places: 2, max_places: 3}}}}
total: {{max: {max}}}
"""


def policy_text(rule: str, facts: str, *, max: str = "5", mode: str = "half_up", kind: str = "k",
                extra: str = "", grading: str = "") -> str:
    """One L1 indicator with one leaf carrying ``rule`` (YAML), plus ``extra`` sibling leaves."""
    leaf = "- id: L1\n  name: 被测指标\n  max: " + max + "\n  rule:\n" + textwrap.indent(textwrap.dedent(rule), "    ")
    children = textwrap.indent(leaf + textwrap.dedent(extra), "      ")
    total = Decimal(max) + sum((Decimal(line.split(":")[1]) for line in textwrap.dedent(extra).splitlines()
                               if line.startswith("  max:")), Decimal(0))
    return (HEADER.format(kind=kind, mode=mode, max=total) + (textwrap.dedent(grading) if grading else "")
            + "facts:\n" + textwrap.indent(textwrap.dedent(facts), "  ")
            + f"indicators:\n  - id: L0\n    name: 一级\n    max: {total}\n    children:\n" + children)


def facts_text(values: dict[str, object]) -> str:
    """A fact file with ``name: {value, unit}`` (unit only for tuples ``(value, unit)``)."""
    lines = ["department: 测试单位", "facts:"]
    for name, value in values.items():
        if isinstance(value, tuple):
            lines.append(f"  {name}: {{value: {value[0]}, unit: \"{value[1]}\"}}")
        elif isinstance(value, bool):
            lines.append(f"  {name}: {str(value).lower()}")
        else:
            lines.append(f"  {name}: {value}")
    return "\n".join(lines) + "\n"


def score_both(policy: str, facts: dict[str, object] | str) -> Result:
    """Score on durable_rules and on the native oracle; they must agree exactly."""
    compiled = engine.policy_from_text(policy, "policy.yaml")
    text = facts if isinstance(facts, str) else facts_text(facts)
    parsed = engine.facts_from_text(text, "facts.yaml", compiled)
    durable = engine.evaluate(compiled, parsed, backend=engine.DurableBackend())
    native = engine.evaluate(compiled, parsed, backend=engine.NativeBackend())
    assert durable == native
    return durable


def leaf(result: Result) -> engine.IndicatorScore:
    return result.node("L1")
