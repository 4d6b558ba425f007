"""The static guards STYLE.md §6 promises, run as part of the one test command.

ruff (the STYLE selection), ``mypy --strict`` with the pydantic plugin over ``engine/`` and ``cli.py``,
and the import-linter contracts, each configured in ``pyproject.toml``. They run here, as subprocesses,
rather than as extra lines in ``.ci/run``, so that the README's test command (which ``.ci/run`` runs
verbatim) stays the one command that checks everything, and a developer who runs it locally sees the
same failures CI sees. A failing tool fails its test with the tool's own report.

Deselect them while iterating with ``-m "not guards"``.
"""

from __future__ import annotations

import ast
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


def _reexport_uses(path: Path) -> list[str]:
    """Imports of names that ``engine/__init__.py`` re-exports, rather than of their defining module."""
    submodules = {p.stem for p in (ROOT / "engine").iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(alias.name == "engine" for alias in node.names):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: import engine")
        elif isinstance(node, ast.ImportFrom) and node.module == "engine" and node.level == 0:
            found += [f"{path.relative_to(ROOT)}:{node.lineno}: from engine import {alias.name}"
                      for alias in node.names if alias.name not in submodules]
    return found


def test_engine_imports_from_the_defining_module() -> None:
    # STYLE §1: inside engine/, import from the defining module, never a name re-exported by engine/__init__.py
    modules = [p for p in sorted((ROOT / "engine").rglob("*.py")) if p != ROOT / "engine" / "__init__.py"]
    found = [line for path in modules for line in _reexport_uses(path)]
    assert not found, "\n".join(found)
