"""Shared fixtures and hypothesis profiles (``ci`` is derandomised and loaded when CI is set)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import engine

ROOT = Path(__file__).resolve().parent.parent
GZ_POLICY = ROOT / "policies" / "gz-dept-2021.yaml"
GZ_FACTS = ROOT / "facts" / "gz-kjj-2021.yaml"

# ci: the same examples on every run. dev: random examples (each run explores more) that are just as
# healthy: the strategies construct valid values instead of filtering, so filter_too_much stays on as an
# alarm; too_slow measures wall-clock time on a shared machine, which no test may depend on.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=150,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=500, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _no_internal_errors(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """No input in the suite may reach the CLI's last line of defence, except where a fault is injected."""
    if request.node.get_closest_marker("internal_error"):
        yield
        return
    from engine.commands import failures

    reached: list[BaseException] = []
    report = failures.report_internal

    def spy(err: BaseException, command: str) -> str:
        reached.append(err)
        return report(err, command)

    monkeypatch.setattr(failures, "report_internal", spy)
    yield
    assert not reached, f"an input reached the last line of defence: {reached[0]!r}"


@pytest.fixture(scope="session")
def gz_policy() -> engine.CompiledPolicy:
    return engine.load_policy(GZ_POLICY)


@pytest.fixture(scope="session")
def gz_facts(gz_policy: engine.CompiledPolicy) -> engine.Facts:
    return engine.read_facts(GZ_FACTS, gz_policy)


# -- golden case files: pytest collects tests/cases/**/*.yaml, one item per case -----------------------
CASES_DIR = ROOT / "tests" / "cases"


class CaseFailed(Exception):
    """A golden case whose expectations did not hold."""


class CaseFileCollector(pytest.File):
    """A case file: one pytest item per case."""

    def collect(self):
        from engine.authoring.cases import load_case_file

        loaded = load_case_file(self.path)
        for index, case in enumerate(loaded.file.cases):
            yield CaseItem.from_parent(self, name=case.name, loaded=loaded, index=index)


class CaseItem(pytest.Item):
    """One golden case, run on durable_rules."""

    def __init__(self, *, loaded, index, **kwargs) -> None:
        super().__init__(**kwargs)
        self.loaded, self.index = loaded, index

    def runtest(self) -> None:
        from engine.authoring.cases import run_case

        outcome = run_case(self.loaded, self.index)
        if not outcome.passed:
            raise CaseFailed(outcome)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            outcome = excinfo.value.args[0]
            return "\n".join([f"{outcome.file}", f"case '{outcome.name}'", *(f"  {f}" for f in outcome.failures)])
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"case: {self.name}"


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and CASES_DIR in file_path.parents:
        return CaseFileCollector.from_parent(parent, path=file_path)
    return None
