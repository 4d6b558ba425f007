"""Packaging: the library alone installs no web stack or database driver; `serve` says what is missing.

The fresh-venv check itself (install without extras, score, `pip list`) is too slow for the suite;
these tests pin what it relies on: what `[project].dependencies` lists, the message `jixiao serve`
gives when the `service` extra is not installed, and that the README's two commands are the ones CI runs.
"""

from __future__ import annotations

import sys
import tomllib

import pytest
from click.testing import CliRunner

from engine.commands.main import main
from tests.conftest import ROOT

SERVICE_ONLY = {"fastapi", "uvicorn", "sqlalchemy", "alembic", "psycopg", "starlette", "httpx"}


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings (``"uvicorn[standard]>=0.30"`` → ``"uvicorn"``)."""
    names = set()
    for requirement in requirements:
        name = requirement
        for stop in "[<>=!~; ":
            name = name.split(stop, 1)[0]
        names.add(name.lower())
    return names


def test_core_dependencies_have_no_service_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _names(project["dependencies"])
    assert core.isdisjoint(SERVICE_ONLY), core & SERVICE_ONLY
    service = _names(project["optional-dependencies"]["service"])
    assert {"fastapi", "uvicorn", "sqlalchemy", "alembic", "psycopg"} <= service
    assert "jixiao[service]" in project["optional-dependencies"]["test"]


@pytest.mark.parametrize("missing", ["uvicorn", "fastapi"])
def test_serve_without_the_service_extra_says_how_to_install_it(monkeypatch, missing):
    # A None entry in sys.modules makes `import missing` raise ModuleNotFoundError, as when it is not installed.
    # engine.service.main is forgotten for the test so that `serve` imports it (and so FastAPI) again.
    monkeypatch.setitem(sys.modules, missing, None)
    monkeypatch.delitem(sys.modules, "engine.service.main", raising=False)
    if "engine.service" in sys.modules:
        monkeypatch.delattr(sys.modules["engine.service"], "main", raising=False)
    run = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert run.exit_code == 1, run.output
    assert "需要安装服务组件：pip install 'jixiao[service]'" in run.output
    assert f"缺少 {missing}" in run.output
    assert "Traceback" not in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit)


def test_readme_quick_start_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line.startswith("python3 -m venv")]
    assert len(ci) == 1
    assert f"```bash\n{ci[0]}\n```" in readme
    assert ("```bash\npython3 -m venv .venv && .venv/bin/pip install -q -e . && "
            ".venv/bin/jixiao score policies/gz-dept-2021.yaml facts/gz-kjj-2021.yaml\n```") in readme
