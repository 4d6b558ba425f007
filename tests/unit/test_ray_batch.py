"""``--engine ray``: batch score, batch review and fuzz on a local Ray instance give the local path's bytes.

One Ray instance (2 CPUs, no dashboard) is started for the session and shut down at its end; the
commands find it connected and use it. Each comparison runs the same command line with
``--engine local`` and ``--engine ray`` and compares exit code, standard output, standard error and
every file written, byte for byte.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
import engine.commands
from engine.commands.batch import score_task
from engine.commands.main import main
from tests.conftest import GZ_POLICY, ROOT
from tests.unit.test_review_batch import unit
from tests.variants import variant

ray = pytest.importorskip("ray")

BAD = ROOT / "tests" / "bad"


@pytest.fixture(scope="session")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def departments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """69 fact files (three chunks of work), some of which cannot be scored, for different reasons."""
    folder = tmp_path_factory.mktemp("departments")
    for i in range(64):
        (folder / f"d{i:03d}.yaml").write_text(variant(i), encoding="utf-8")
    for name in ("facts-unknown-fact.yaml", "facts-malformed-yaml.yaml", "facts-empty-file.yaml",
                 "facts-missing-fact.yaml", "facts-malformed-json.json"):
        shutil.copy(BAD / name, folder / name)
    return folder


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def both_ways(tmp_path: Path, command: list[object], out: str | None) -> tuple[int, str, str]:
    """Run ``command`` locally and on Ray (writing ``out`` in each case); assert the same bytes; the local run."""
    runs, written = {}, {}
    for name in ("local", "ray"):
        extra = ["--out", tmp_path / f"{name}-{out}"] if out else []
        runs[name] = invoke(*command, *extra, "--engine", name)
        if out:
            written[name] = (tmp_path / f"{name}-{out}").read_bytes()
    assert runs["ray"] == runs["local"]
    if out:
        assert written["ray"] == written["local"] and written["local"]
    return runs["local"]


@pytest.mark.usefixtures("local_ray")
@pytest.mark.parametrize("out", ["scores.jsonl", "scores.xlsx"])
def test_batch_score_on_ray_is_byte_identical(departments, tmp_path, out):
    missing = departments / "missing.yaml"  # named, not there: read on the driver, reported on its line
    code, stdout, stderr = both_ways(tmp_path, ["score", GZ_POLICY, departments, missing], out)
    assert code == 1 and "│ 文件数     │ 70 " in stdout and "│ 失败       │ 6 " in stdout
    assert f"{departments / 'facts-unknown-fact.yaml'}:15:1: facts.missing" in stderr
    assert f"{missing}:1:1: source.not_found: 文件不存在" in stderr


@pytest.mark.usefixtures("local_ray")
def test_batch_score_to_standard_output_on_ray_is_byte_identical(departments, tmp_path):
    code, stdout, _ = both_ways(tmp_path, ["score", GZ_POLICY, departments, "--backend", "native", "--jobs", "1"],
                                None)
    assert code == 1 and len(stdout.splitlines()) == 69


@pytest.mark.usefixtures("local_ray")
@pytest.mark.parametrize("out", ["review.jsonl", "review.csv"])
def test_batch_review_on_ray_is_byte_identical(tmp_path, out):
    folder = tmp_path / "units"
    folder.mkdir()
    for i in range(40):
        (folder / f"u{i:03d}.yaml").write_text(unit(i), encoding="utf-8")
    code, stdout, _ = both_ways(tmp_path, ["review", GZ_POLICY, folder], out)
    assert code == 1 and "文件数：40" in stdout


@pytest.mark.usefixtures("local_ray")
@pytest.mark.parametrize(("policy", "code"), [(GZ_POLICY, 0), (ROOT / "tests" / "fuzz" / "broken-monotone.yaml", 1)])
def test_fuzz_on_ray_is_byte_identical(tmp_path, policy, code):
    command = ["fuzz", policy, "--examples", "20", "--seed", "7"]
    runs = {name: invoke(*command, "--engine", name) for name in ("local", "ray")}
    assert runs["ray"][:2] == runs["local"][:2] and runs["local"][0] == code
    # standard error ends with the seconds taken; the rest of it is the same
    assert [e.split("用时")[0] for e in (runs["ray"][2], runs["local"][2])] == [runs["local"][2].split("用时")[0]] * 2
    if code:
        assert "want_total" in runs["local"][1]


@pytest.mark.usefixtures("local_ray")
def test_an_unreachable_address_is_a_located_error(tmp_path):
    code, stdout, stderr = invoke("score", GZ_POLICY, ROOT / "facts", "--engine", "ray", "--address", "127.0.0.1:1",
                                  "--out", tmp_path / "x.jsonl")
    assert code == 1 and not stdout and not (tmp_path / "x.jsonl").exists()
    assert "--address:1:11: ray.address: 无法连接 Ray 集群 127.0.0.1:1" in stderr


def test_address_needs_the_ray_engine():
    code, _, stderr = invoke("score", GZ_POLICY, ROOT / "facts", "--address", "127.0.0.1:6379")
    assert code == 2 and "--address 只用于 --engine ray" in stderr


def test_without_ray_installed_the_engine_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    monkeypatch.delitem(sys.modules, "engine.commands.ray_batch", raising=False)
    monkeypatch.delattr(engine.commands, "ray_batch", raising=False)
    for command in (["score", GZ_POLICY, ROOT / "facts"], ["review", GZ_POLICY, ROOT / "facts"], ["fuzz", GZ_POLICY]):
        code, stdout, stderr = invoke(*command, "--engine", "ray")
        assert code == 2 and not stdout and "--engine ray 需要安装 Ray：pip install 'jixiao[ray]'" in stderr


def dies_on_d005(policy, backend, path, data):
    """A task whose worker process dies on one file (as if killed or out of memory)."""
    if path.endswith("d005.yaml"):
        os._exit(1)
    return score_task(policy, backend, path, data)


@pytest.mark.usefixtures("local_ray")
def test_a_worker_that_dies_loses_only_its_chunks(departments, gz_policy, monkeypatch):
    from engine.commands import ray_batch

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import the tests
    monkeypatch.setattr(ray_batch, "CHUNK_FILES", 4)
    paths = sorted(str(p) for p in departments.glob("d0*.yaml"))[:24]
    try:
        records = ray_batch.score_on_ray(gz_policy, paths, engine.DurableBackend, 2, lambda: None, score_task)
        lost = ray_batch.score_on_ray(gz_policy, paths, engine.DurableBackend, 2, lambda: None, dies_on_d005)
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert [r.get("file") or r["facts"]["file"] for r in lost] == paths
    failed = [r for r in lost if "error" in r]
    assert {r["error"]["message"] for r in failed} == {ray_batch.LOST} and failed[0]["file"] == paths[4]
    assert len(failed) <= 12 and lost[:4] == records[:4]  # the other actor finished its chunks
    assert [r for r in lost if "error" not in r] == [r for r, s in zip(records, lost, strict=True) if "error" not in s]
