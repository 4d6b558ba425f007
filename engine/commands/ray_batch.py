"""Batch on a Ray cluster (edge: command line): score, review and fuzz, with the local path's output.

``--engine ray`` runs the same worker code as the local process pool (:mod:`engine.commands.batch`)
inside Ray actors, one per CPU of the cluster (or ``--jobs``):

- the compiled policy is put in Ray's object store once (``ray.put``) and each actor is built from it,
  with the firing backend and the task, when it starts: no file is read on a worker;
- fact files are read here, on the driver, in chunks, and their bytes sent with their names, so the
  workers need no shared file system and every error names the path the user gave;
- at most two chunks are in flight per actor; results come back as they finish and are put back in
  input order, so the records, and every byte written from them, are those of the local path.

Fuzz draws its documents here (hypothesis runs on the driver) and the actors check them. When every
document passes the report is rebuilt from their outcomes; when one fails, the run is replayed by the
local :func:`engine.authoring.fuzz.fuzz`, which shrinks the counterexample exactly as without Ray.

Only this module imports ray; :mod:`engine.commands.engines` imports it when ``--engine ray`` is given.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import ray
from ray.exceptions import RayActorError, RayError

import engine
from engine.authoring.fuzz import FuzzReport, Outcome, check_document, draw, fuzz, report_from
from engine.commands import batch as jixiao_batch
from engine.errors import ErrorCode, JixiaoError, Problem, SourceLocation
from engine.firing.backends import Backend
from engine.json_values import DocMapping, JsonObject
from engine.render.batch_records import error_record

__all__ = ["ADDRESS_OPTION", "connected", "fuzz_on_ray", "score_on_ray"]

ADDRESS_OPTION = "--address"
CHUNK_FILES = 32  # files per task: large enough that Ray's per-task cost is small beside scoring them
CHUNK_EXAMPLES = 8  # fuzz documents per task (checking one runs its invariants: tens of milliseconds)
IN_FLIGHT = 2  # tasks queued per actor: one running, one waiting, so no actor idles between chunks
CONNECT_SECONDS = 5.0
LOST = "评分工作进程意外退出，本文件未评分"

Item = TypeVar("Item")
Done = TypeVar("Done")


class _Scorer:
    """A Ray actor: a batch worker (policy, backend, task set up once) scoring chunks of files."""

    def __init__(self, policy: engine.CompiledPolicy, backend: Callable[[], Backend], task: jixiao_batch.Task):
        jixiao_batch.start_worker(policy, backend, task)

    def run(self, items: list[tuple[str, bytes | Problem]]) -> list[JsonObject]:
        """The records of one chunk of (path, bytes or the problem reading it)."""
        return [jixiao_batch.score_input(path, data) for path, data in items]


class _Checker:
    """A Ray actor checking chunks of generated documents against one compiled policy."""

    def __init__(self, policy: engine.CompiledPolicy):
        self.policy = policy

    def run(self, documents: list[DocMapping]) -> list[Outcome]:
        """The outcome of each document, in order."""
        return [check_document(self.policy, document) for document in documents]


class _Pool(Generic[Item, Done]):
    """Chunks sent to a fixed set of actors, at most ``IN_FLIGHT`` each; results kept by chunk number."""

    def __init__(self, actors: list[Any], lost: Callable[[list[Item]], list[Done]],
                 done: Callable[[list[Done]], None]) -> None:
        self.idle: deque[Any] = deque(actor for _ in range(IN_FLIGHT) for actor in actors)
        self.pending: dict[Any, tuple[int, list[Item], Any]] = {}
        self.results: list[list[Done] | None] = []
        self.lost, self.done = lost, done

    def submit(self, chunk: list[Item]) -> None:
        """Send one chunk, first waiting for a finished one when every actor has its share queued."""
        while not self.idle and self.pending:
            self._collect()
        self.results.append(None)
        if not self.idle:  # every actor has died: the rest is reported as not scored
            self._finish(len(self.results) - 1, self.lost(chunk))
            return
        actor = self.idle.popleft()
        self.pending[actor.run.remote(chunk)] = (len(self.results) - 1, chunk, actor)

    def gather(self) -> list[Done]:
        """Every result, in the order the chunks were submitted."""
        while self.pending:
            self._collect()
        return [done for chunk in self.results for done in chunk or ()]

    def _collect(self) -> None:
        (ref,), _ = ray.wait(list(self.pending), num_returns=1)
        index, chunk, actor = self.pending.pop(ref)
        try:
            results: list[Done] = ray.get(ref)
        except RayActorError:  # the worker process died (killed, out of memory): never sent work again
            self.idle = deque(a for a in self.idle if a is not actor)  # its other chunks fail as they come
            self._finish(index, self.lost(chunk))
            return
        self.idle.append(actor)
        self._finish(index, results)

    def _finish(self, index: int, results: list[Done]) -> None:
        self.results[index] = results
        self.done(results)


def score_on_ray(policy: engine.CompiledPolicy, paths: Sequence[str], backend: Callable[[], Backend], jobs: int | None,
                 progress: Callable[[], None], task: jixiao_batch.Task) -> list[JsonObject]:
    """Run ``task`` on every file on the connected Ray cluster; records in the order of ``paths``."""
    if not paths:
        return []
    policy_ref = ray.put(policy)
    count = min(_actor_count(jobs), -(-len(paths) // CHUNK_FILES))
    actor = ray.remote(num_cpus=1)(_Scorer)
    actors = [actor.remote(policy_ref, backend, task) for _ in range(count)]

    def lost(chunk: list[tuple[str, bytes | Problem]]) -> list[JsonObject]:
        return [error_record(path, Problem(ErrorCode.FIRING_ENGINE, LOST)) for path, _ in chunk]

    with jixiao_batch.kept_records(collect_first=True) as keep:
        arrived = 0

        def done(records: list[JsonObject]) -> None:
            nonlocal arrived
            _tick(records, progress)
            arrived += len(records)
            keep(arrived)

        pool: _Pool[tuple[str, bytes | Problem], JsonObject] = _Pool(actors, lost, done)
        for start in range(0, len(paths), CHUNK_FILES):
            pool.submit([(path, jixiao_batch.read_input(path)) for path in paths[start:start + CHUNK_FILES]])
        return pool.gather()


def fuzz_on_ray(policy: engine.CompiledPolicy, examples: int, seed: int | None, jobs: int | None) -> FuzzReport:
    """:func:`engine.authoring.fuzz.fuzz`'s report, the documents checked on the connected Ray cluster."""
    policy_ref = ray.put(policy)
    actor = ray.remote(num_cpus=1)(_Checker)
    actors = [actor.remote(policy_ref) for _ in range(min(_actor_count(jobs), -(-examples // CHUNK_EXAMPLES)))]
    pool: _Pool[DocMapping, Outcome] = _Pool(actors, lambda chunk: [Outcome(fails=True)] * len(chunk), lambda _: None)
    chunk: list[DocMapping] = []

    def collect(document: DocMapping) -> None:
        chunk.append(document)
        if len(chunk) == CHUNK_EXAMPLES:
            pool.submit(chunk.copy())
            chunk.clear()

    draw(policy, examples, seed, collect)
    if chunk:
        pool.submit(chunk)
    report = report_from(pool.gather())
    return report if report is not None else fuzz(policy, examples, seed)


def _tick(records: list[JsonObject], progress: Callable[[], None]) -> None:
    for _ in records:
        progress()


def _actor_count(jobs: int | None) -> int:
    if jobs is not None:
        return jobs
    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return max(1, int(resources.get("CPU", 1)))


@contextlib.contextmanager
def connected(address: str | None) -> Iterator[None]:
    """Connected to Ray for the block: to ``address``, or to a new local instance when it is None.

    A connection made before (``ray.init`` in the same process) is used as it is and left open; an
    ``address`` given is still checked first, so a wrong one is an error whatever the process state.

    Raises:
        JixiaoError: ``ray.address`` when no Ray cluster answers at ``address``, located on the option.
    """
    if address is not None and address != "auto":
        _check_address(address)
    if ray.is_initialized():
        yield
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError, RayError) as err:
        reason = f"无法连接 Ray 集群 {address}：{err}" if address else f"无法在本机启动 Ray 实例：{err}"
        raise _address_error(address or "", reason) from None
    try:
        yield
    finally:
        ray.shutdown()


def _check_address(address: str) -> None:
    """Refuse a malformed address, or one where nothing listens, before Ray waits on it."""
    hostport = address.removeprefix("ray://")
    host, colon, port = hostport.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _address_error(address, f"Ray 集群地址「{address}」应写成 主机:端口（如 10.0.0.5:6379）、"
                                      "ray://主机:10001 或 auto")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        hint = "（是否已在该机器上运行 ray start --head？）"
        raise _address_error(address, f"无法连接 Ray 集群 {address}：{reason}{hint}") from None


def _address_error(address: str, message: str) -> JixiaoError:
    """Located on the option's value (col 11 of ``--address ADDR``); a local start that failed has no option."""
    where = SourceLocation(ADDRESS_OPTION, 1, len(ADDRESS_OPTION) + 2) if address else None
    return JixiaoError(ErrorCode.RAY_ADDRESS, message, where, ADDRESS_OPTION if address else "")
