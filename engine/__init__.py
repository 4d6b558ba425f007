"""jixiao: score Chinese public-budget performance self-evaluations and explain every lost point.

The pipeline is load → validate → check → compile → evaluate → trace → render::

    from engine import load_policy, read_facts, evaluate, render_text
    policy = load_policy("policies/gz-dept-2021.yaml")       # compile once
    result = evaluate(policy, read_facts("facts/gz-kjj-2021.yaml", policy))
    print(render_text(result))
"""

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, PolicyErrors, Problem, SourceLocation
from engine.evaluate import evaluate
from engine.facts import Facts
from engine.firing.backends import DurableBackend, NativeBackend
from engine.loader import facts_from_text, load_policy, policy_from_text, read_facts
from engine.render.json import render_json
from engine.render.markdown import render_markdown
from engine.render.text import render_text
from engine.schema import json_schema
from engine.trace import Deduction, IndicatorScore, Result

__all__ = [
    "CompiledPolicy", "Deduction", "DurableBackend", "ErrorCode", "Facts", "IndicatorScore", "JixiaoError",
    "NativeBackend", "PolicyErrors", "Problem", "Result", "SourceLocation", "evaluate", "facts_from_text",
    "json_schema", "load_policy", "policy_from_text", "read_facts", "render_json", "render_markdown", "render_text",
]
