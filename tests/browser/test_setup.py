"""What the browser tests need from the machine and the package, written down once and kept consistent.

The README's prerequisite line and `.ci/run`'s setup step install the same Debian packages (the
README's test command itself is unchanged, so `tests/unit/test_packaging.py` still pins it), and the
installed package holds every template and static file of the workbench.
"""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch

from tests.browser.conftest import SETUP
from tests.conftest import ROOT

WEB = ROOT / "engine" / "service" / "web"


def packages_of(line: str) -> list[str]:
    return [word for word in line.split("install", 1)[1].split() if not word.startswith("-") and word != ">/dev/null"]


def test_readme_and_ci_install_the_same_browser_prerequisites():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```bash\n{SETUP}\n```" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    install = next(i for i, line in enumerate(ci) if "apt-get install" in line)
    test = next(i for i, line in enumerate(ci) if line.startswith("python3 -m venv"))
    assert install < test  # machine setup first, then exactly the README's test command
    assert packages_of(ci[install]) == packages_of(SETUP) == ["chromium", "fonts-wqy-microhei"]


def test_the_package_ships_every_template_and_static_file():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = set(tool["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "engine").rglob("__init__.py")}
    assert found <= packages, found - packages  # setuptools installs only the packages it is told of
    patterns = tool["package-data"]["engine.service.web"]
    files = [p.relative_to(WEB).as_posix() for p in WEB.rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    assert files and all(any(fnmatch(f, pattern) for pattern in patterns) for f in files), files
    assert all("/" not in f.split("/", 1)[1] for f in files if "/" in f)  # patterns are one level deep


def test_the_extras_hold_what_the_workbench_and_its_tests_use():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    service = {re.split(r"[\[<>=!~ ]", r, maxsplit=1)[0] for r in extras["service"]}
    assert {"python-multipart", "fastapi-offline"} <= service
    assert any(r.startswith("playwright") for r in extras["test"])
