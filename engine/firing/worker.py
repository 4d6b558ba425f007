"""A firing backend with a deadline: the engine runs in a worker process (stage: evaluate).

durable_rules is C code: past its limits a call may never return, and a ``SIGALRM`` handler does
not run while the C code loops (FINDINGS.md F10). Compile-time limits (``engine.firing.limits``) are the
first defence; :class:`ProcessBackend` is the second, for long-lived callers such as a service:
each ``fire`` is sent to a worker process, and a worker that misses the deadline is killed and
replaced (``firing.timeout``). The worker compiles nothing: it receives the compiled policy once.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

from engine.compile import CompiledPolicy
from engine.errors import ErrorCode, JixiaoError, Problem
from engine.firing.backends import Backend, DurableBackend, FiringError, Message

__all__ = ["ProcessBackend"]

Fired = list[set[str]]


def _serve(conn: Connection, factory: Callable[[], Backend]) -> None:
    """The worker: fire every request with its own backend until the pipe closes."""
    backend = factory()
    policies: dict[str, CompiledPolicy] = {}
    while True:
        try:
            digest, policy, messages = conn.recv()
        except EOFError:
            return
        if policy is not None:
            policies[digest] = policy
        try:
            conn.send(("ok", backend.fire(policies[digest], messages)))
        except JixiaoError as err:
            conn.send(("error", err.problem))
        except Exception as err:  # a bug in the engine wrapper: report it, keep serving
            conn.send(("crash", f"{type(err).__name__}: {err}"))


class _Worker:
    def __init__(self, factory: Callable[[], Backend]) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding engine locks
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, factory), daemon=True)
        self.process.start()
        child.close()
        self.known: set[str] = set()

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class ProcessBackend:
    """Fire in a worker process that is killed and replaced when it misses ``timeout`` seconds.

    Thread-safe (one request at a time per backend). Use as a context manager, or call
    :meth:`close`, to stop the worker.
    """

    name = "process"

    def __init__(self, factory: Callable[[], Backend] = DurableBackend, timeout: float = 5.0) -> None:
        """``factory`` builds the worker's backend (importable at top level); ``timeout`` in seconds."""
        self.factory, self.timeout = factory, timeout
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self.restarts = 0

    def fire(self, policy: CompiledPolicy, messages: Sequence[Message]) -> Fired:
        """Fire in the worker within the deadline.

        Raises:
            FiringError: ``firing.timeout`` when the worker missed the deadline (it is replaced),
                ``firing.engine`` when it died; any error the worker's backend raised, as is.
        """
        with self._lock:
            worker = self._worker = self._worker or _Worker(self.factory)
            first = policy.digest not in worker.known
            worker.conn.send((policy.digest, policy if first else None, [(k, dict(f)) for k, f in messages]))
            worker.known.add(policy.digest)
            if not worker.conn.poll(self.timeout):
                self._replace()
                raise FiringError(ErrorCode.FIRING_TIMEOUT,
                                  f"规则引擎在 {self.timeout:g} 秒内没有返回（可能卡死），已终止并替换工作进程")
            try:
                kind, payload = worker.conn.recv()
            except EOFError:
                self._replace()
                raise FiringError(ErrorCode.FIRING_ENGINE, "规则引擎工作进程意外退出，已替换") from None
        return _answer(kind, payload)

    def _replace(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
            self.restarts += 1

    def close(self) -> None:
        """Stop the worker process (a later ``fire`` starts a new one)."""
        with self._lock:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None

    def __enter__(self) -> ProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _answer(kind: str, payload: object) -> Fired:
    if kind == "ok":
        assert isinstance(payload, list)
        return payload
    if kind == "error":
        assert isinstance(payload, Problem)
        raise FiringError(payload.code, payload.message, payload.location, payload.field)
    raise FiringError(ErrorCode.FIRING_ENGINE, f"规则引擎工作进程出错：{payload}")
