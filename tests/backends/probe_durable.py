"""Run one raw durable_rules experiment and print its outcome (used in a subprocess, never imported).

    python tests/backends/probe_durable.py true_at_once 65    # 65 alpha nodes hold for one message
    python tests/backends/probe_durable.py children 512       # one node with 512 children
    python tests/backends/probe_durable.py sessions 1025      # live sessions without delete_state

It prints ``ok <firings>`` or ``error <message>``; a hang prints nothing (the caller's timeout).
"""

from __future__ import annotations

import json
import sys

import durable_rules_engine as dre


def _ruleset(rules: dict[str, object]) -> int:
    return int(dre.create_ruleset("probe", json.dumps({name: {"all": [{"m": c}]} for name, c in rules.items()})))


def _fire(handle: int, sid: str, facts: list[dict[str, object]]) -> int:
    code, state = dre.assert_facts(handle, json.dumps([{"sid": sid, **f} for f in facts]))
    started = dre.start_action_for_state(handle, state) if code == 0 else None
    fired = 0
    message = started[1] if started else None
    while message:
        fired += 1
        message = dre.complete_and_start_action(handle, state)
    return fired


def main(kind: str, n: int) -> None:
    if kind == "true_at_once":  # n distinct thresholds, all met by x = 0
        handle = _ruleset({f"r{i}": {"$and": [{"p": "k"}, {"$gte": {"x": -i}}]} for i in range(n)})
        print("ok", _fire(handle, "1", [{"p": "k", "x": 0}]))
    elif kind == "children":  # n rules whose first tests differ: the root gets n children
        handle = _ruleset({f"r{i}": {"$and": [{"p": f"k{i}"}, {"$gte": {"x": 0}}]} for i in range(n)})
        print("ok", _fire(handle, "1", [{"p": "k0", "x": 1}]))
    elif kind == "sessions":  # n sessions left alive
        handle = _ruleset({"r": {"$gte": {"x": 0}}})
        print("ok", sum(_fire(handle, str(i), [{"x": 1}]) for i in range(n)))


if __name__ == "__main__":
    try:
        main(sys.argv[1], int(sys.argv[2]))
    except (dre.error, MemoryError) as err:
        print("error", type(err).__name__, err)
