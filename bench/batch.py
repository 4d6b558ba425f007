"""Batch throughput in files per second: local on 1 core, local on all cores, Ray local (a script, never a test).

    .venv/bin/python bench/batch.py             # 3,000 Guangzhou fact files, each engine once
    .venv/bin/python bench/batch.py --quick     # 600 files
    .venv/bin/python bench/batch.py --no-ray    # without the Ray figure (ray not installed)

The files are perturbed copies of the Guangzhou seed facts (bench/bench.py's ``variants``), written
to a temporary directory. Each figure is wall-clock time of the whole batch as ``jixiao score DIR
--out …`` runs it after loading the policy: expanding nothing, reading every file, scoring it in the
workers, the records back in path order and every JSON line rendered; Ray's start-up (``ray.init``
of a fresh local instance) is printed on its own and not counted; starting the batch's actors is.
Before a figure is printed its records must equal the 1-core run's, and no file may have failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from bench.bench import POLICY, figure, machine, variants  # noqa: E402
from engine.commands import batch as jixiao_batch  # noqa: E402
from engine.json_values import JsonObject  # noqa: E402
from engine.render.batch_records import record_line  # noqa: E402


def local(policy: engine.CompiledPolicy, paths: list[str], jobs: int) -> tuple[float, list[JsonObject]]:
    """Seconds to score ``paths`` on ``jobs`` local processes, and the records."""
    start = time.perf_counter()
    records = jixiao_batch.score_files(policy, paths, engine.DurableBackend, jobs)
    "".join(record_line(r) for r in records)
    return time.perf_counter() - start, records


def on_ray(policy: engine.CompiledPolicy, paths: list[str], cores: int) -> tuple[float, float, list[JsonObject]]:
    """Seconds to start a local Ray instance, seconds to score ``paths`` on it, and the records."""
    import ray

    from engine.commands import ray_batch

    start = time.perf_counter()
    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    started = time.perf_counter() - start
    try:
        start = time.perf_counter()  # the actors are started by each batch: their start-up counts
        records = ray_batch.score_on_ray(policy, paths, engine.DurableBackend, None, lambda: None,
                                         jixiao_batch.score_task)
        "".join(record_line(r) for r in records)
        return started, time.perf_counter() - start, records
    finally:
        ray.shutdown()


def stages(policy: engine.CompiledPolicy, texts: list[str], count: int = 300) -> dict[str, float]:
    """CPU microseconds per file of each step a batch worker takes, in this process (one core)."""
    from engine.loader import document_from_bytes, facts_from_document
    from engine.render.batch_records import result_record

    data = [t.encode() for t in texts]
    backend = engine.DurableBackend()
    spent = dict.fromkeys(("parse", "validate", "evaluate", "record", "line"), 0.0)
    for i in range(count):
        clock = time.process_time()
        doc = document_from_bytes(data[i % len(data)], f"dept-{i:05d}.yaml")
        clock, spent["parse"] = time.process_time(), spent["parse"] + time.process_time() - clock
        facts = facts_from_document(doc, policy)
        clock, spent["validate"] = time.process_time(), spent["validate"] + time.process_time() - clock
        result = engine.evaluate(policy, facts, backend=backend)
        clock, spent["evaluate"] = time.process_time(), spent["evaluate"] + time.process_time() - clock
        record = result_record(result)
        clock, spent["record"] = time.process_time(), spent["record"] + time.process_time() - clock
        record_line(record)
        spent["line"] += time.process_time() - clock
    return {name: seconds / count * 1e6 for name, seconds in spent.items()}


def main() -> None:
    """Write the files, run each engine, check the records agree, print files/s."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="600 files instead of 3,000")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray figure")
    args = parser.parse_args()
    count = 600 if args.quick else 3_000
    machine()
    policy = engine.load_policy(POLICY)
    cores = jixiao_batch.default_jobs()
    texts = variants(200)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(count):
            path = Path(tmp) / f"dept-{i:05d}.yaml"
            path.write_text(texts[i % len(texts)], encoding="utf-8")
            paths.append(str(path))
        split = stages(policy, texts)
        figure("batch_cpu_us_per_file", f"{sum(split.values()):.0f} = " + " + ".join(
            f"{name} {us:.0f}" for name, us in split.items()), "(one core, CPU time: what bounds files/s)")
        one, reference = local(policy, paths, 1)
        assert not [r for r in reference if "error" in r], "a generated file failed"
        figure("batch_files_per_s_local_1_core", f"{count / one:.0f}", f"({count} files in {one:.2f} s)")
        every, records = local(policy, paths, cores)
        assert records == reference
        figure(f"batch_files_per_s_local_{cores}_cores", f"{count / every:.0f}",
               f"({count} files in {every:.2f} s; target ≥ 1000 on 2 cores)")
        if not args.no_ray:
            started, seconds, records = on_ray(policy, paths, cores)
            assert records == reference
            figure(f"batch_files_per_s_ray_local_{cores}_cpus", f"{count / seconds:.0f}",
                   f"({count} files in {seconds:.2f} s, the actors' start-up included; ray.init {started:.1f} s more)")


if __name__ == "__main__":
    main()
