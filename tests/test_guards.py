"""The static guards STYLE.md §6 promises, run as part of the one test command.

ruff (the STYLE selection), ``mypy --strict`` with the pydantic plugin over ``engine/``, ``cli.py`` and ``bench/``,
and the import-linter contracts, each configured in ``pyproject.toml``. They run here, as subprocesses,
rather than as extra lines in ``.ci/run``, so that the README's test command (which ``.ci/run`` runs
verbatim) stays the one command that checks everything, and a developer who runs it locally sees the
same failures CI sees. A failing tool fails its test with the tool's own report.

Deselect them while iterating with ``-m "not guards"``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.guards


def _cache_dir(tool: str) -> Path:
    """A cache directory outside the work tree: inside the virtual environment, else under the temp dir."""
    if sys.prefix != sys.base_prefix:
        base = Path(sys.prefix) / "guard-cache"
    else:  # not a venv: keep one cache per checkout in the temp directory
        base = Path(tempfile.gettempdir()) / f"jixiao-guard-cache-{hashlib.sha256(bytes(ROOT)).hexdigest()[:12]}"
    path = base / tool
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, check=False)


def _check(run: subprocess.CompletedProcess[str], tool: str) -> None:
    if run.returncode != 0:
        pytest.fail(f"{tool} failed (exit {run.returncode}):\n{run.stdout}\n{run.stderr}", pytrace=False)


def test_ruff() -> None:
    run = _run(sys.executable, "-m", "ruff", "check", "--no-fix", "--output-format", "concise",
               "--cache-dir", str(_cache_dir("ruff")), ".")
    _check(run, "ruff check")


def test_mypy_strict() -> None:
    # files, strictness and the pydantic plugin come from [tool.mypy] in pyproject.toml
    run = _run(sys.executable, "-m", "mypy", "--cache-dir", str(_cache_dir("mypy")), "--no-error-summary")
    _check(run, "mypy --strict")


def test_import_contracts() -> None:
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    run = _run(sys.executable, "-c", script, "--no-logo", "--cache-dir", str(_cache_dir("import-linter")))
    _check(run, "lint-imports")
    assert "0 broken" in run.stdout, run.stdout
