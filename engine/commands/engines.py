"""Where a batch runs (edge: command line): ``--engine local`` (this machine's processes) or ``--engine ray``.

``score``, ``review`` and ``fuzz`` take the two options below and call :func:`run_files` or
:func:`run_fuzz`; both engines give the same records in the same order, so every output written from
them is the same bytes. Ray is an optional extra (``pip install 'jixiao[ray]'``): it is imported only
when ``--engine ray`` is given, and its absence is a usage error, not a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import click

import engine
from engine.commands import batch as jixiao_batch
from engine.commands.failures import DataError
from engine.errors import JixiaoError
from engine.firing.backends import Backend
from engine.json_values import JsonObject

if TYPE_CHECKING:  # hypothesis is imported only by the fuzz command
    from engine.authoring.fuzz import FuzzReport

__all__ = ["Engine", "engine_options", "run_files", "run_fuzz"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Engine:
    """The ``--engine`` and ``--address`` a command was given."""

    name: str = "local"
    address: str | None = None


def _ray() -> ModuleType:
    try:
        from engine.commands import ray_batch
    except ImportError as err:
        raise click.UsageError(f"--engine ray 需要安装 Ray：pip install 'jixiao[ray]'（缺少 {err.name or 'ray'}）"
                               ) from None
    return ray_batch


def _engine(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value == "ray" and not ctx.resilient_parsing:
        _ray()
    return value


def engine_options(command: F) -> F:
    """Add ``--engine`` and ``--address`` to a command (they arrive as ``engine`` and ``address``)."""
    address = click.option("--address", default=None, metavar="ADDR",
                           help="--engine ray：Ray 集群的地址（如 10.0.0.5:6379、ray://主机:10001 或 auto）；"
                                "不写则在本机启动一个临时的 Ray 实例。")
    where = click.option("--engine", "engine_name", type=click.Choice(["local", "ray"]), default="local",
                         show_default=True, callback=_engine, is_eager=False,
                         help="在哪里运行：local（本机多进程）或 ray（Ray 集群，结果与 local 逐字节相同）。")
    return where(address(command))


def engine_from(name: str, address: str | None) -> Engine:
    """The engine for these option values (``--address`` only goes with ``--engine ray``)."""
    if address is not None and name != "ray":
        raise click.UsageError("--address 只用于 --engine ray")
    return Engine(name, address)


def _arguments(where: Engine) -> dict[str, list[str]]:
    return {"--address": [f"--address {where.address}"]} if where.address is not None else {}


def run_files(where: Engine, policy: engine.CompiledPolicy, paths: Sequence[str], backend: Callable[[], Backend],
              jobs: int | None, progress: Callable[[], None], task: jixiao_batch.Task) -> list[JsonObject]:
    """Run a batch task on every file, here or on Ray; records in the order of ``paths``."""
    if where.name == "local":
        return jixiao_batch.score_files(policy, paths, backend, jobs or jixiao_batch.default_jobs(), progress, task)
    ray_batch = _ray()
    try:  # Ray reports a dead worker on standard output: keep that for the command's own output
        with contextlib.redirect_stdout(sys.stderr), ray_batch.connected(where.address):
            records: list[JsonObject] = ray_batch.score_on_ray(policy, paths, backend, jobs, progress, task)
            return records
    except JixiaoError as err:
        raise DataError(err, _arguments(where)) from None


def run_fuzz(where: Engine, policy: engine.CompiledPolicy, examples: int, seed: int | None) -> FuzzReport:
    """The fuzz report, the documents checked here or on Ray."""
    from engine.authoring.fuzz import fuzz

    if where.name == "local":
        return fuzz(policy, examples, seed)
    ray_batch = _ray()
    try:
        with contextlib.redirect_stdout(sys.stderr), ray_batch.connected(where.address):
            report: FuzzReport = ray_batch.fuzz_on_ray(policy, examples, seed, None)
            return report
    except JixiaoError as err:
        raise DataError(err, _arguments(where)) from None
