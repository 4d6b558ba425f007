"""Backends for tests that must run in a worker process (importable at top level)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from engine.compile import CompiledPolicy
from engine.firing.backends import DurableBackend, Message

HANG = 777_777_777  # a scaled value no real fact file uses: the fake hangs when it sees it


class HangingBackend:
    """durable_rules, except that a message carrying :data:`HANG` never returns (a stand-in for
    durable_rules looping in C, which no signal can interrupt)."""

    name = "hanging"

    def __init__(self) -> None:
        self.inner = DurableBackend()

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> list[set[str]]:
        if any(HANG in fields.values() for _, fields in messages):
            time.sleep(3600)
        return self.inner.fire(policy, messages)
