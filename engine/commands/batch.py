"""Batch scoring edge: expand fact paths, score them over a process pool, show progress and a summary.

durable_rules keeps its state per process and serialises calls inside one, so batch mode scales
with processes: each worker receives the compiled policy once (its initializer) and scores whole
fact files. Records come back in sorted path order whatever the number of workers. Workers are
forked (cheap to start; nothing is running in other threads at that moment: the progress bar
refreshes from the main thread).
"""

from __future__ import annotations

import contextlib
import gc
import glob
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import engine
from engine.commands.failures import DataError, report_internal
from engine.errors import ErrorCode, JixiaoError, Problem
from engine.firing.backends import Backend
from engine.identity import check_identity, forced_records
from engine.json_values import JsonObject
from engine.loader import document_from_bytes, facts_from_document, read_bytes
from engine.render.batch_records import Summary, error_record, result_record

__all__ = ["default_jobs", "expand", "is_batch", "kept_records", "read_input", "score_files", "score_input",
           "score_task", "start_worker", "summary_table", "with_progress"]

FACT_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
_LOCK_PREFIX = "~$"  # the lock file Excel and WPS leave beside a workbook that is open: never a fact file
_GLOB = frozenset("*?[")


def is_batch(args: Sequence[str]) -> bool:
    """Batch mode: several arguments, or a directory or a glob among them."""
    return len(args) > 1 or any(Path(a).is_dir() or _GLOB & set(a) for a in args)


def batch_inputs(policy: str | Path, args: Sequence[str],
                 out: str | None = None) -> tuple[engine.CompiledPolicy, list[str]]:
    """The compiled policy and the fact files a batch command was given (usage error when there are none).

    ``out`` is the command's result file: a results workbook written into a folder that is scored is not a fact file.
    """
    paths = expand(args, skip=out)
    if not paths:
        raise click.UsageError(f"没有找到事实文件：{' '.join(args)}")
    try:
        return engine.load_policy(policy), paths
    except JixiaoError as err:
        raise DataError(err) from None


def expand(args: Sequence[str], *, skip: str | None = None) -> list[str]:
    """Fact files named by paths, directories (their fact files) and globs, sorted, without duplicates.

    A directory gives its ``.yaml``, ``.yml``, ``.json`` and ``.xlsx`` files, but not an open workbook's lock
    file (``~$…``) nor ``skip`` (the command's own output). A path that does not exist is kept, so that it is
    reported as a bad file with the others.
    """
    skipped = Path(skip).resolve() if skip else None

    def in_folder(path: Path) -> bool:
        return (path.is_file() and path.suffix in FACT_SUFFIXES and not path.name.startswith(_LOCK_PREFIX)
                and (skipped is None or path.resolve() != skipped))

    found: set[str] = set()
    for arg in args:
        if _GLOB & set(arg):
            # Path.glob takes only relative patterns; users also write absolute ones
            found.update(p for p in glob.glob(arg, recursive=True) if Path(p).is_file())  # noqa: PTH207
        elif Path(arg).is_dir():
            found.update(str(p) for p in Path(arg).iterdir() if in_folder(p))
        else:
            found.add(arg)
    return sorted(found)


Task = Callable[[engine.CompiledPolicy, Backend, str, bytes], JsonObject]
_POLICY: engine.CompiledPolicy | None = None
_BACKEND: Backend | None = None
_TASK: Task | None = None


def score_task(policy: engine.CompiledPolicy, backend: Backend, path: str, data: bytes, *,
               force: bool = False) -> JsonObject:
    """The default task: score one fact file (named ``path``, its bytes ``data``) and return its record.

    A file meant for another policy or year is refused unless ``force``.
    """
    doc = document_from_bytes(data, path)
    forced = check_identity(doc, policy, force=force)
    record = result_record(engine.evaluate(policy, facts_from_document(doc, policy), backend=backend))
    return {**record, "forced": forced_records(forced)} if forced else record


def start_worker(policy: engine.CompiledPolicy, backend: Callable[[], Backend], task: Task) -> None:
    """Set up this process as a batch worker: the compiled policy, a firing backend and the task, once."""
    global _POLICY, _BACKEND, _TASK
    _POLICY, _BACKEND, _TASK = policy, backend(), task


def read_input(path: str) -> bytes | Problem:
    """The bytes of a fact file, or the problem that stops it being read (reported on its line)."""
    try:
        return read_bytes(path)
    except JixiaoError as err:
        return err.problem


def score_input(path: str, data: bytes | Problem) -> JsonObject:
    """Run this worker's task on one file's bytes; any error becomes that file's error record."""
    assert _POLICY is not None and _BACKEND is not None and _TASK is not None
    if isinstance(data, Problem):
        return error_record(path, data)
    try:
        return _TASK(_POLICY, _BACKEND, path, data)
    except JixiaoError as err:
        return error_record(path, err.problem)
    except Exception as err:  # a bug must not stop the other files: report it on this file's line, log it
        return error_record(path, Problem(ErrorCode.FIRING_ENGINE, report_internal(err, "jixiao score（批量）")))


def _score(path: str) -> JsonObject:
    return score_input(path, read_input(path))


def score_files(policy: engine.CompiledPolicy, paths: Sequence[str], backend: Callable[[], Backend],
                jobs: int, progress: Callable[[], None] = lambda: None,
                task: Task = score_task) -> list[JsonObject]:
    """Run ``task`` (default: score) on every file; ``jobs`` processes (1: in this process).

    Records come in the order of ``paths``; ``task`` must be a module-level function (or a
    ``functools.partial`` of one) so that a worker process can receive it.
    """
    records: list[JsonObject] = []
    if jobs <= 1 or len(paths) <= 1:
        start_worker(policy, backend, task)
        with kept_records() as keep:
            for path in paths:
                records.append(_tick(_score(path), progress))
                keep(len(records))
        return records
    chunk = max(1, min(16, len(paths) // (jobs * 16)))  # small chunks: no worker idles at the end
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with kept_records() as keep, ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=start_worker,
                                                     initargs=(policy, backend, task)) as pool:
        try:
            for record in pool.map(_score, paths, chunksize=chunk):
                records.append(_tick(record, progress))
                keep(len(records))
        except BrokenProcessPool:
            message = "评分工作进程意外退出，本文件未评分"
            records += [error_record(p, Problem(ErrorCode.FIRING_ENGINE, message)) for p in paths[len(records):]]
    return records


_KEEP_EVERY = 256  # records between two freezes: a freeze is a few pointer moves, the walks it saves are not


@contextlib.contextmanager
def kept_records(*, collect_first: bool = False) -> Iterator[Callable[[int], None]]:
    """While a batch collects its records, keep the cyclic garbage collector from walking them again and again.

    A batch holds every record until the end (they are written in path order), so the collecting
    process fills up with small dicts and lists, and each full collection walks all of them: for
    3,000 Guangzhou records that was about three quarters of the collecting process's CPU time.
    Records are plain trees (reference counting frees them), so ``keep(count)``, called as they
    arrive, freezes what is alive every few hundred records (``gc.freeze``: those objects are left
    out of later collections; garbage made afterwards is collected as before) and the block's end
    thaws it all, so a process that goes on after the batch collects as usual. What is alive when
    the block starts is frozen at once, before the pool forks its workers, as the ``gc.freeze``
    documentation advises: a worker's collections then never walk (or copy) what it inherited.

    ``collect_first``: collect all garbage before the first freeze (one full collection, about
    0.1-0.2 s here), so that none is frozen: the Ray driver asks for it, because garbage frozen
    until the end keeps what it holds, such as an actor of an earlier batch in this process with
    its CPU reserved, for which this batch's actors would wait. A local batch keeps what it froze
    a little longer instead (its memory, until the end).
    """
    if collect_first:
        gc.collect()
    gc.freeze()
    last = 0

    def keep(count: int) -> None:
        nonlocal last
        if count - last >= _KEEP_EVERY:
            gc.freeze()
            last = count

    try:
        yield keep
    finally:
        gc.unfreeze()


def _tick(record: JsonObject, progress: Callable[[], None]) -> JsonObject:
    progress()
    return record


@contextlib.contextmanager
def with_progress(console: Console, total: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar on a terminal (yields the per-file callback); nothing otherwise."""
    if not console.is_terminal:
        yield lambda: None
        return
    columns = (TextColumn("评分"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    # no refresh thread: worker processes are forked while the bar is shown
    with Progress(*columns, console=console, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("score", total=total)
        step = max(1, total // 200)

        def tick() -> None:
            bar.advance(task)
            if bar.tasks[0].completed % step == 0:
                bar.refresh()

        yield tick


def summary_table(summary: Summary) -> Table:
    """The end-of-batch table: count, ok/failed, mean/min/max total, indicators losing most."""
    table = Table(title="批量评分汇总", show_header=False)
    table.add_column("项目")
    table.add_column("值")
    rows = [("文件数", str(summary.count)), ("成功", str(summary.ok)), ("失败", str(summary.failed))]
    if summary.ok:
        rows += [("平均总分", f"{summary.mean}"), ("最低总分", f"{summary.min}"), ("最高总分", f"{summary.max}")]
    for rank, lost in enumerate(summary.most_lost, 1):
        rows.append((f"扣分最多 {rank}", f"{lost.indicator} {lost.name}：共扣 {lost.points} 分（{lost.files} 个文件）"))
    for row in rows:
        table.add_row(*row)
    return table


def default_jobs() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
