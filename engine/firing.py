"""Which branches fire for these messages? (stage: evaluate; the only module that imports durable).

:class:`DurableBackend` registers each compiled ruleset once per process (named by the policy
digest), runs every evaluation in a fresh session id and deletes that session's state in
``finally``; its actions only record ``(message index, branch)``. :class:`NativeBackend`
evaluates the same compiled tests in plain Python, as a differential oracle.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from durable import engine as durable_engine

from engine.compile import CompiledPolicy
from engine.conditions import Branch, Test
from engine.errors import ErrorCode, JixiaoError

__all__ = ["Backend", "DurableBackend", "FiringError", "Message", "NativeBackend", "default_backend"]

Message = tuple[str, Mapping[str, Any]]
Fired = list[set[str]]

PROBE, SEQ = "probe", "seq"  # reserved message fields; compiled inputs never use these names
_DURABLE_OPS = {">=": "$gte", ">": "$gt", "<": "$lt", "<=": "$lte", "!=": "$neq"}


class FiringError(JixiaoError):
    """The firing engine failed or disagreed with its contract (a bug, never user input)."""


class Backend(Protocol):
    """Answers: which branches fire for each message?"""

    name: str

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Return, for each message, the names of the branches that fired."""
        ...


class NativeBackend:
    """The same compiled tests, evaluated in Python (differential oracle)."""

    name = "native"

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Evaluate every branch of each message's probe."""
        return [{b.name for b in policy.by_key[key].branches if _holds(b, fields)} for key, fields in messages]


def _holds(branch: Branch, fields: Mapping[str, Any]) -> bool:
    return all(_test(t, fields) if isinstance(t, Test) else any(_test(x, fields) for x in t.tests)
               for t in branch.cond)


def _test(test: Test, fields: Mapping[str, Any]) -> bool:
    if test.field not in fields:
        return False
    left = fields[test.field]
    right = fields.get(test.other) if test.other else test.value
    if test.other and test.other not in fields:
        return False
    if test.op == "==":
        return bool(left == right and type(left) is type(right))
    if test.op == "!=":
        return bool(left != right)
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    return {">=": left >= right, ">": left > right, "<": left < right, "<=": left <= right}[test.op]


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A host without the two timer threads the stock ``Host`` starts (jixiao uses no timers)."""

    def _run(self) -> None:
        return None


class _Engine:
    """The process-wide durable_rules host: rulesets registered once, one lock for every call."""

    def __init__(self) -> None:
        self.host = _QuietHost()
        self.lock = threading.Lock()
        self.registered: set[str] = set()
        self.fired: list[tuple[int, str]] = []
        self.sids = itertools.count(1)
        self.prefix = f"{os.getpid()}-"

    def register(self, policy: CompiledPolicy) -> None:
        definitions = {name: self.definition(policy, keys) for name, keys in policy.rulesets
                       if name not in self.registered}
        if definitions:
            self.host.set_rulesets(definitions)
            self.registered.update(definitions)

    def definition(self, policy: CompiledPolicy, keys: Sequence[str]) -> dict[str, Any]:
        rules: dict[str, Any] = {}
        for key in keys:
            for j, branch in enumerate(policy.by_key[key].branches):
                rules[f"{key}|{j}|{branch.name}"] = {"all": [{"m": _condition(key, branch)}],
                                                     "run": self.recorder(branch.name)}
        return rules

    def recorder(self, branch: str) -> Callable[[Any], None]:
        def record(c: Any) -> None:
            self.fired.append((int(c.m[SEQ]), branch))
        return record


def _condition(key: str, branch: Branch) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{PROBE: key}]
    for part in branch.cond:
        parts.append(_durable_test(part) if isinstance(part, Test)
                     else {"$or": [_durable_test(t) for t in part.tests]})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _durable_test(test: Test) -> dict[str, Any]:
    right = {"$m": test.other} if test.other else test.value
    if test.op == "==":
        return {test.field: right}
    return {_DURABLE_OPS[test.op]: {test.field: right}}


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _shared_engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


class DurableBackend:
    """durable_rules fires the rules: fresh session per evaluation, state deleted afterwards."""

    name = "durable"

    def __init__(self) -> None:
        """Use the process-wide durable_rules host (its rulesets are process-global)."""
        self._engine = _shared_engine()

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Assert each ruleset's messages as facts in one fresh session and collect firings."""
        batches = _batches(policy, messages)
        engine = self._engine
        with engine.lock:
            engine.register(policy)
            sid = f"{engine.prefix}{next(engine.sids)}"
            engine.fired = []
            used: list[str] = []
            try:
                for ruleset, batch in batches.items():
                    used.append(ruleset)
                    self._assert(ruleset, [{"sid": sid, **m} for m in batch])
                fired = engine.fired
            finally:
                engine.fired = []
                for ruleset in used:
                    _delete_state(engine.host, ruleset, sid)
        out: Fired = [set() for _ in messages]
        for index, branch in fired:
            out[index].add(branch)
        return out

    def _assert(self, ruleset: str, batch: list[dict[str, Any]]) -> None:
        try:
            state = self._engine.host.assert_facts(ruleset, batch)
        except durable_engine.MessageNotHandledException:
            raise FiringError(ErrorCode.FIRING_NOT_HANDLED,
                              f"规则引擎未处理规则集 {ruleset} 中的消息（编译出的分支不完整，属于程序缺陷）") from None
        except durable_engine.MessageObservedException:
            raise FiringError(ErrorCode.FIRING_OBSERVED, f"规则集 {ruleset} 中有重复消息（属于程序缺陷）") from None
        if isinstance(state, dict) and "exception" in state:
            raise FiringError(ErrorCode.FIRING_ACTION_FAILED,
                              f"规则引擎动作执行失败：{str(state['exception'])[:200]}")


def _delete_state(host: _QuietHost, ruleset: str, sid: str) -> None:
    """Delete a session's state; a session that never got state (error 309) is already clean."""
    try:
        host.delete_state(ruleset, sid)
    except Exception as err:  # durable_rules_engine.error is not importable by name
        if "309" not in str(err):
            raise


def _batches(policy: CompiledPolicy, messages: Sequence[Message]) -> dict[str, list[dict[str, Any]]]:
    where = {key: name for name, keys in policy.rulesets for key in keys}
    batches: dict[str, list[dict[str, Any]]] = {}
    for index, (key, fields) in enumerate(messages):
        batches.setdefault(where[key], []).append({**fields, PROBE: key, SEQ: index})
    return batches


def default_backend() -> Backend:
    """durable_rules, the chosen firing engine."""
    return DurableBackend()
