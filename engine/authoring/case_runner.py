"""Run golden case files and measure coverage (edge: reads case files; used by the CLI and pytest)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.authoring.cases import CaseOutcome, load_case_file, run_case
from engine.authoring.coverage import Coverage, measure
from engine.authoring.invariants import RecordingBackend
from engine.compile import CompiledPolicy
from engine.errors import JixiaoError
from engine.firing.backends import DurableBackend
from engine.loader import load_policy

__all__ = ["RunReport", "case_files", "run_paths"]


@dataclass
class RunReport:
    """Outcomes, printable lines and coverage per policy."""

    outcomes: list[CaseOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """How many cases failed."""
        return sum(1 for o in self.outcomes if not o.passed)


def case_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every ``*.yaml`` case file under the given files and folders, sorted."""
    for path in paths:
        yield from sorted(path.rglob("*.yaml")) if path.is_dir() else [path]


def run_paths(paths: Iterable[Path]) -> RunReport:
    """Run every case and collect coverage of each policy the cases use."""
    report = RunReport()
    policies: dict[Path, tuple[CompiledPolicy, RecordingBackend]] = {}
    for path in case_files(paths):
        try:
            loaded = load_case_file(path)
        except JixiaoError as err:
            report.errors.append(str(err))
            report.lines.append(f"✗ {path}：用例文件无效\n{err}")
            continue
        compiled = _policy(policies, (path.parent / loaded.file.policy).resolve())
        for index in range(len(loaded.file.cases)):
            backend = compiled[1] if compiled else None
            outcome = run_case(loaded, index, backend=backend, policy=compiled[0] if compiled else None)
            report.outcomes.append(outcome)
            report.lines += _lines(outcome)
    report.lines.append(f"{len(report.outcomes)} 个用例：{len(report.outcomes) - report.failed} 个通过，"
                        f"{report.failed} 个失败" + (f"，{len(report.errors)} 个用例文件无效" if report.errors else ""))
    report.coverage = [measure(policy, recorder.fired) for policy, recorder in policies.values()]
    return report


def _policy(cache: dict[Path, tuple[CompiledPolicy, RecordingBackend]], path: Path
            ) -> tuple[CompiledPolicy, RecordingBackend] | None:
    if path not in cache:
        try:
            cache[path] = (load_policy(path), RecordingBackend(DurableBackend()))
        except JixiaoError:
            return None  # cases that expect a policy error load it themselves
    return cache[path]


def _lines(outcome: CaseOutcome) -> list[str]:
    if outcome.passed:
        return [f"✓ {outcome.file} · {outcome.name}"]
    return [f"✗ {outcome.file} · 用例「{outcome.name}」", *(f"    {f}" for f in outcome.failures)]
