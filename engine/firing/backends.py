"""Which branches fire for these messages? (stage: evaluate; the only module that imports durable_rules).

:class:`DurableBackend` gives every compiled ruleset to durable_rules' rete engine once per process
(named by the policy digest), runs every evaluation in a fresh session id and deletes that session's
state in ``finally``, whatever went wrong. It drives the engine's action loop itself: each fired rule's
name says which branch of which probe fired and the message's ``seq`` says which message, so no Python
code runs inside the engine and nothing can be swallowed there (FINDINGS.md F5, F9).
:class:`NativeBackend` evaluates the same compiled tests in plain Python, as a differential oracle.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import json
import operator
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeAlias

import durable_rules_engine as _dre

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError
from engine.firing import limits
from engine.firing.conditions import Branch, Test
from engine.json_values import JsonObject, JsonValue
from engine.memo import per_policy

__all__ = ["Backend", "DurableBackend", "FieldValue", "FiringError", "Message", "NativeBackend", "default_backend",
           "last_session", "session_alive"]

FieldValue: TypeAlias = int | bool | str
"""A message field: a fact scaled to an exact integer, a boolean or an enum value."""
Message = tuple[str, Mapping[str, FieldValue]]
Fired = list[set[str]]

PROBE, SEQ, SID = "probe", "seq", "sid"  # reserved message fields; compiled inputs never use these names
_SETTLE_RULE, _SETTLE_PROBE = "settle", "$settle"  # one extra rule per ruleset, see _settle
_DURABLE_OPS = {">=": "$gte", ">": "$gt", "<": "$lt", "<=": "$lte", "!=": "$neq"}
_ORDER: dict[str, Callable[[int | str | Decimal, int | str | Decimal], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}
_NOT_HANDLED, _OBSERVED = 1, 2
_NO_STATE = "309"  # durable_rules' ERR_SID_NOT_FOUND: the session has no state
# One encoder for every evaluation's facts (json.dumps with options makes a new one per call), compact: the
# engine parses every byte and writes each fired rule's message back out in full
_FACTS_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


class FiringError(JixiaoError):
    """The firing engine failed or disagreed with its contract (a bug or a limit, never user input)."""


class Backend(Protocol):
    """Answers: which branches fire for each message?"""

    name: str

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Return, for each message, the names of the branches that fired."""
        ...


class NativeBackend:
    """The same compiled tests, evaluated in Python (differential oracle).

    Each branch's conjunction is turned once per policy into a predicate over a message's fields
    (:func:`_predicate`), which holds exactly when :func:`_holds` does.
    """

    name = "native"

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Evaluate every branch of each message's probe."""
        table = per_policy("native-branches", policy, lambda: _native_table(policy))
        out: Fired = []
        for key, fields in messages:  # loops, not comprehensions: a comprehension is a call per message
            found = set()
            for name, holds in table[key]:
                if holds(fields):
                    found.add(name)
            out.append(found)
        return out


Predicate = Callable[[Mapping[str, FieldValue]], bool]


def _native_table(policy: CompiledPolicy) -> dict[str, tuple[tuple[str, Predicate], ...]]:
    """Probe key → each branch's name and predicate, in the probe's order."""
    return {key: tuple((b.name, _predicate(b)) for b in probe.branches) for key, probe in policy.by_key.items()}


def _predicate(branch: Branch) -> Predicate:
    """The branch's conjunction as one predicate (the same truth as :func:`_holds`, without the dispatch)."""
    parts = [_test_of(t) if isinstance(t, Test) else _any_of(tuple(_test_of(x) for x in t.tests))
             for t in branch.cond]
    if not parts:
        return lambda fields: True
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda fields: first(fields) and second(fields)
    chain = tuple(parts)
    return lambda fields: all(p(fields) for p in chain)


def _any_of(tests: tuple[Predicate, ...]) -> Predicate:
    return lambda fields: any(t(fields) for t in tests)


_MISSING = object()


def _test_of(test: Test) -> Predicate:
    """One test as a predicate: :func:`_test` with its field, operator and bound bound now."""
    if test.other:
        return lambda fields: _test(test, fields)  # two fields of one message: rare, kept generic
    field, op, right = test.field, test.op, test.value
    if op == "==":
        kind = type(right)
        return lambda fields: (v := fields.get(field, _MISSING)) == right and type(v) is kind
    if op == "!=":
        return lambda fields: (v := fields.get(field, _MISSING)) is not _MISSING and v != right
    if isinstance(right, bool):
        return lambda fields: False
    # a missing field or a boolean never orders (True and False are the only booleans); the operator inline
    if op == ">=":
        return lambda fields: (v := fields.get(field, False)) is not False and v is not True \
            and v >= right  # type: ignore[operator]
    if op == ">":
        return lambda fields: (v := fields.get(field, False)) is not False and v is not True \
            and v > right  # type: ignore[operator]
    if op == "<=":
        return lambda fields: (v := fields.get(field, False)) is not False and v is not True \
            and v <= right  # type: ignore[operator]
    assert op == "<", op
    return lambda fields: (v := fields.get(field, False)) is not False and v is not True \
        and v < right  # type: ignore[operator]


def _holds(branch: Branch, fields: Mapping[str, FieldValue]) -> bool:
    return all(_test(t, fields) if isinstance(t, Test) else any(_test(x, fields) for x in t.tests)
               for t in branch.cond)


def _test(test: Test, fields: Mapping[str, FieldValue]) -> bool:
    if test.field not in fields or (test.other and test.other not in fields):
        return False
    left = fields[test.field]
    right = fields[test.other] if test.other else test.value
    if test.op == "==":
        return left == right and type(left) is type(right)
    if test.op == "!=":
        return left != right
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    assert right is not None  # an ordering test always has a bound or another field
    return _ORDER[test.op](left, right)


@dataclass(frozen=True, slots=True)
class _Ruleset:
    """One registered durable_rules ruleset: its handle and what each of its rule names means."""

    name: str
    handle: int
    fired: Mapping[str, tuple[str, str]]  # rule name → (probe key, branch name)
    packs: Mapping[str, tuple[str, str]]  # probe key → (its pack's probe name, its fields' prefix there)


class _Engine:
    """The process-wide durable_rules state: rulesets created once, one lock around every engine call."""

    def __init__(self) -> None:
        _keep_session_memory()
        self.lock = threading.Lock()
        self.rulesets: dict[str, _Ruleset] = {}
        self.tables: dict[str, tuple[_Ruleset, ...]] = {}
        self.sids = itertools.count(1)
        self.prefix = f"{os.getpid()}-"
        self.last_sid = ""

    def table(self, policy: CompiledPolicy) -> tuple[_Ruleset, ...]:
        """The policy's rulesets in ``policy.rulesets`` order, created on first use (call under the lock)."""
        found = self.tables.get(policy.digest)
        if found is None:
            found = tuple(self.ruleset(policy, name, keys) for name, keys in policy.rulesets)
            self.tables[policy.digest] = found
        return found

    def ruleset(self, policy: CompiledPolicy, name: str, keys: Sequence[str]) -> _Ruleset:
        if name in self.rulesets:  # names are unique per digest; durable_rules cannot redefine one
            return self.rulesets[name]
        rules: JsonObject = {}
        fired: dict[str, tuple[str, str]] = {}
        packs = _packs(policy, keys)
        for key in keys:
            probe, prefix = packs.get(key, (key, ""))
            for branch in policy.by_key[key].branches:
                rule = f"r{len(rules)}"  # plain names: the action loop reads them without parsing JSON
                rules[rule] = {"all": [{"m": _condition(probe, branch, prefix)}]}
                fired[rule] = (key, branch.name)
        rules[_SETTLE_RULE] = {"all": [{"m": {PROBE: _SETTLE_PROBE}}]}
        handle = _dre.create_ruleset(name, json.dumps(rules, ensure_ascii=False))
        made = _Ruleset(name, handle, fired, packs)
        self.rulesets[name] = made
        return made

    def new_sid(self) -> str:
        self.last_sid = f"{self.prefix}{next(self.sids)}"
        return self.last_sid


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


def _keep_session_memory() -> None:
    """Keep the memory durable_rules frees at ``delete_state`` for the next session (glibc only).

    Every session allocates about 8 KB of index arrays per rule and frees them when deleted. With
    glibc's default thresholds that block may be unmapped or trimmed and faulted back in at the
    next session: about 130 page faults and a quarter of a millisecond of system time per
    evaluation, depending on the heap's layout (FINDINGS.md F15). A 4 MB mmap threshold and a
    16 MB trim threshold keep at most 16 MB of free heap in the process.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to tune
        return
    mallopt(_M_MMAP_THRESHOLD, 4 << 20)
    mallopt(_M_TRIM_THRESHOLD, 16 << 20)


_PACK_PEAK = limits.MAX_TRUE_AT_ONCE // 2  # nodes that may hold at once for one pack message: far below 64
_PACK_FIELDS = limits.MAX_FIELDS // 2  # fields of one pack message: far below 255


def _packs(policy: CompiledPolicy, keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Probe key → (pack name, field prefix) for the probes sent once per evaluation, packed in order.

    durable_rules spends most of an assert on each message, not on each condition, so the probes
    that send exactly one message per evaluation (every probe but a targets probe's, one per target,
    and the grade, fired alone) travel together: one message per pack carries each probe's fields
    under its own prefix, and each branch's conditions read them there. The engine still decides
    every branch. A pack stays far below durable_rules' limits: the nodes that may hold at once for
    it are at most the sum over its probes (:func:`limits.true_at_once`, each checked at compile
    time), kept under half of 64, and its fields under half of 255; a probe over those on its own
    has a pack of its own, as it had a message of its own.
    """
    out: dict[str, tuple[str, str]] = {}
    made, peak, fields, count = 0, 0, 0, 0
    for key in keys:
        probe = policy.by_key[key]
        if probe.each_target or key == "grade":
            continue
        need, width = limits.true_at_once(probe), len(limits.message_fields(probe))
        if not made or peak + need > _PACK_PEAK or fields + width > _PACK_FIELDS:
            made, peak, fields, count = made + 1, 0, 0, 0
        out[key] = (f"$pack{made}", f"f{count}_")
        peak, fields, count = peak + need, fields + width, count + 1
    return out


def _condition(key: str, branch: Branch, prefix: str = "") -> JsonObject:
    parts: list[JsonValue] = [{PROBE: key}]
    for part in branch.cond:
        parts.append(_durable_test(part, prefix) if isinstance(part, Test)
                     else {"$or": [_durable_test(t, prefix) for t in part.tests]})
    return {PROBE: key} if len(parts) == 1 else {"$and": parts}


def _durable_test(test: Test, prefix: str = "") -> JsonObject:
    right: JsonValue = {"$m": prefix + test.other} if test.other else _scaled(test.value)
    if test.op == "==":
        return {prefix + test.field: right}
    return {_DURABLE_OPS[test.op]: {prefix + test.field: right}}


def _scaled(value: int | bool | str | Decimal | None) -> JsonValue:
    """A compiled test's bound: compile has scaled every decimal bound to an exact integer."""
    if isinstance(value, Decimal):
        raise TypeError(f"an unscaled bound reached the firing engine: {value}")  # json.dumps would refuse it too
    return value


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def shared_engine() -> _Engine:
    """The process's durable_rules engine, created on first use (importing jixiao changes nothing)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


class DurableBackend:
    """durable_rules fires the rules: fresh session per evaluation, state deleted afterwards.

    Thread-safe by one process-wide lock: durable_rules itself is not. To use several cores, use
    several processes (each has its own engine), as ``jixiao score`` does in batch mode.
    """

    name = "durable"

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Assert each ruleset's messages as facts in one fresh session and collect firings.

        Raises:
            FiringError: the engine did not handle a message, saw one twice, reported a failed
                action or an engine error; the session's state is deleted in every case.
        """
        where = policy.ruleset_of
        engine = shared_engine()
        with engine.lock:
            rulesets = engine.table(policy)
            sid = engine.new_sid()
            batches = _batches(rulesets, where, sid, messages)
            raw: list[tuple[_Ruleset, str]] = []
            used: list[_Ruleset] = []
            try:
                for position, batch in batches.items():
                    ruleset = rulesets[position]
                    used.append(ruleset)
                    raw.extend((ruleset, m) for m in _session(ruleset, sid, _FACTS_JSON(batch)))
            finally:
                for ruleset in used:
                    _delete_state(ruleset, sid)
        return _decode(raw, messages, rulesets, where)


def _batches(rulesets: Sequence[_Ruleset], where: Mapping[str, int], sid: str,
             messages: Sequence[Message]) -> dict[int, list[dict[str, FieldValue]]]:
    """Each ruleset's messages: one per pack (the fields of its probes, prefixed) and one per other message.

    Raises:
        FiringError: a packed probe's message came twice (``firing.observed``, as durable_rules says of
            a message asserted twice); nothing was asserted yet.
    """
    batches: dict[int, list[dict[str, FieldValue]]] = {}
    packs: dict[tuple[int, str], dict[str, FieldValue]] = {}
    seen: set[str] = set()
    for index, (key, fields) in enumerate(messages):
        position = where[key]
        slot = rulesets[position].packs.get(key)
        if slot is None:
            batches.setdefault(position, []).append({SID: sid, **fields, PROBE: key, SEQ: index})
            continue
        if key in seen:
            raise FiringError(ErrorCode.FIRING_OBSERVED,
                              f"规则集 {rulesets[position].name} 中有重复消息（属于程序缺陷）")
        seen.add(key)
        pack = packs.get((position, slot[0]))
        if pack is None:
            pack = packs[(position, slot[0])] = {SID: sid, PROBE: slot[0], SEQ: index}
            batches.setdefault(position, []).append(pack)
        prefix = slot[1]
        for name, value in fields.items():
            pack[prefix + name] = value
    return batches


def _session(ruleset: _Ruleset, sid: str, facts: str) -> list[str]:
    """Assert the facts and run the engine's action loop; each fired rule yields its message."""
    try:
        code, state = _dre.assert_facts(ruleset.handle, facts)
        if code in (_NOT_HANDLED, _OBSERVED):
            _settle(ruleset, sid)
        if code == _NOT_HANDLED:
            raise FiringError(ErrorCode.FIRING_NOT_HANDLED,
                              f"规则引擎未处理规则集 {ruleset.name} 中的消息（编译出的分支不完整，属于程序缺陷）")
        if code == _OBSERVED:
            raise FiringError(ErrorCode.FIRING_OBSERVED, f"规则集 {ruleset.name} 中有重复消息（属于程序缺陷）")
        started = _dre.start_action_for_state(ruleset.handle, state)
        if started is None:
            return []
        session, message = started
        if '"exception"' in session:  # a swallowed action failure (F5); jixiao runs no actions, but check
            raise FiringError(ErrorCode.FIRING_ACTION_FAILED,
                              f"规则引擎动作执行失败：{str(json.loads(session)['exception'])[:200]}")
        return _drain(ruleset, state, message)
    except (_dre.error, MemoryError) as err:
        raise FiringError(ErrorCode.FIRING_ENGINE, f"规则引擎在规则集 {ruleset.name} 中出错：{err}") from None


def _drain(ruleset: _Ruleset, state: int, message: str | None) -> list[str]:
    out: list[str] = []
    while message:
        out.append(message)
        message = _dre.complete_and_start_action(ruleset.handle, state)
    return out


def _settle(ruleset: _Ruleset, sid: str) -> None:
    """Run one handled action through a session whose assert was refused, so it can be deleted.

    durable_rules never initialises a new session's action context; ``delete_state`` frees it
    anyway, so deleting a session whose only assert was not handled frees a garbage pointer and
    can crash the process (FINDINGS.md F13). A handled sentinel fact sets the context properly.
    """
    code, state = _dre.assert_facts(ruleset.handle, json.dumps([{SID: sid, PROBE: _SETTLE_PROBE, SEQ: -1}]))
    started = _dre.start_action_for_state(ruleset.handle, state) if code == 0 else None
    if started is not None:
        _drain(ruleset, state, started[1])


def _decode(raw: Sequence[tuple[_Ruleset, str]], messages: Sequence[Message], rulesets: Sequence[_Ruleset],
            where: Mapping[str, int]) -> Fired:
    """Map each fired rule back to its message: by probe key when the key was sent once, else by ``seq``.

    Raises:
        FiringError: a packed probe's message fired no branch (``firing.not_handled``, as durable_rules
            says of a message no rule handles).
    """
    index: dict[str, int | None] = {}
    for i, (key, _) in enumerate(messages):
        index[key] = None if key in index else i
    out: Fired = [set() for _ in messages]
    for ruleset, message in raw:
        key, branch = ruleset.fired[message[2:message.index('"', 2)]]  # '{"r12":{"m":{…}}}'
        if key not in index:  # a probe of a pack this call sent no message for
            continue
        at = index[key]
        out[at if at is not None else _seq(message)].add(branch)
    for (key, _), fired in zip(messages, out, strict=True):
        if fired:
            continue
        ruleset = rulesets[where[key]]
        if key in ruleset.packs:
            raise FiringError(ErrorCode.FIRING_NOT_HANDLED,
                              f"规则引擎未处理规则集 {ruleset.name} 中的消息（编译出的分支不完整，属于程序缺陷）")
    return out


def _seq(message: str) -> int:
    ((_, body),) = json.loads(message).items()
    return int(body["m"][SEQ])


def _delete_state(ruleset: _Ruleset, sid: str) -> None:
    """Delete a session's state; a session that never got state (error 309) is already clean."""
    try:
        _dre.delete_state(ruleset.handle, sid)
    except _dre.error as err:
        if _NO_STATE not in str(err):
            raise FiringError(ErrorCode.FIRING_ENGINE, f"无法删除规则引擎会话 {sid} 的状态：{err}") from None


def session_alive(policy: CompiledPolicy, sid: str) -> bool:
    """Whether any of the policy's rulesets still holds state for session ``sid`` (for leak checks)."""
    engine = shared_engine()
    with engine.lock:
        for ruleset in engine.table(policy):
            try:
                _dre.get_state(ruleset.handle, sid)
            except _dre.error as err:
                if _NO_STATE in str(err):
                    continue
                raise
            return True
    return False


def last_session() -> str:
    """The id of the most recent durable_rules session of this process ('' before the first)."""
    return shared_engine().last_sid


def default_backend() -> Backend:
    """durable_rules, the chosen firing engine."""
    return DurableBackend()
