"""The wheelhouse installs jixiao[service] on a machine without an index (issue 15 §6).

scripts/build_wheelhouse.py builds the wheels once per test session (pip's cache makes a rebuild
take some 40 s; durable_rules is built from its sdist); a fresh virtual environment then installs
from them with the index disabled and every pip configuration file and PIP_* variable left out,
so nothing but the wheelhouse can be used, and scores the bundled example.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GZ_FACTS, GZ_POLICY, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_wheelhouse.py"), "--out", str(out)],
                   check=True, capture_output=True, text=True)
    return out


def offline_env(home: Path) -> dict[str, str]:
    """No PIP_* variables and no pip configuration file: an index or find-links configured on this
    machine cannot be used."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PIP_CONFIG_FILE": os.devnull,
            "LANG": "C.UTF-8"}


def test_wheelhouse_has_every_dependency_as_a_wheel(wheelhouse):
    names = {p.name.split("-")[0].lower() for p in wheelhouse.glob("*.whl")}
    assert {"jixiao", "durable_rules", "pydantic", "openpyxl", "fastapi", "uvicorn", "sqlalchemy", "psycopg"} <= names
    assert [p.name for p in wheelhouse.iterdir() if p.suffix != ".whl"] == ["requirements.txt"]
    durable = next(wheelhouse.glob("durable_rules-*.whl")).name
    assert not durable.endswith("-none-any.whl"), durable  # built from the sdist: a compiled wheel


def test_offline_install_from_the_wheelhouse_scores_the_example(wheelhouse, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--find-links", str(wheelhouse),
                              "jixiao[service]"], env=offline_env(tmp_path), capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    score = subprocess.run([str(venv / "bin" / "jixiao"), "score", str(GZ_POLICY), str(GZ_FACTS), "--format", "json"],
                           env=offline_env(tmp_path), capture_output=True, text=True, cwd=tmp_path)
    assert score.returncode == 0, score.stderr
    assert json.loads(score.stdout)["total"] == "94.622"
    # the bundled standards are package data: `init` works from the installed package, away from the checkout
    init = subprocess.run([str(venv / "bin" / "jixiao"), "init", "--standard", "hunan-dept", "--out", "my.yaml"],
                          env=offline_env(tmp_path), capture_output=True, text=True, cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "my.yaml").read_bytes() == (ROOT / "policies" / "hunan-dept.yaml").read_bytes()
    service = subprocess.run([str(python), "-c", "import fastapi, uvicorn, sqlalchemy, alembic, psycopg, openpyxl, "
                              "fastapi_offline, python_multipart; from importlib.resources import files; "
                              "assert files('engine.service.web').joinpath('static/htmx.min.js').is_file(); "
                              "assert files('engine.service.web').joinpath('templates/result.html.j2').is_file()"],
                             env=offline_env(tmp_path), capture_output=True, text=True)
    assert service.returncode == 0, service.stderr
