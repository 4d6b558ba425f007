"""Browser fixtures: `jixiao serve` in a real process, Debian's chromium driven by Playwright.

Playwright's own browser download cannot work on these machines, so it launches the system's
chromium (``/usr/bin/chromium``, or ``JIXIAO_CHROMIUM``) with a fresh profile and the flags that stop
its own background traffic. Every request a page makes is routed through :class:`Guard`: loopback
requests go through, anything else is aborted and recorded, and a test fails when the list is not
empty, so a page that needs the internet cannot pass here.

Without chromium the tests are skipped, except under ``CI``, where they fail: `.ci/run` installs it
(the README's one prerequisite line for the browser tests). Screenshots go to ``JIXIAO_ARTIFACTS``
(or a temporary folder, printed by the test) so that a person can look at them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.service.conftest import Server

CHROMIUM = os.environ.get("JIXIAO_CHROMIUM", "/usr/bin/chromium")
SETUP = "apt-get install -y chromium fonts-wqy-microhei"  # the README's prerequisite line, and .ci/run's
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
OPEN = {"JIXIAO_TOKEN": "", "JIXIAO_TOKENS": ""}
# ReDoc always shows its vendor's logo from this address; the page's Content-Security-Policy refuses it
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"  # no token: the service is open, as on one person's machine


def chromium() -> str:
    found = shutil.which(CHROMIUM)
    if found is None:
        message = f"no chromium at {CHROMIUM}: install it with `{SETUP}` (or set JIXIAO_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Guard:
    """Lets loopback requests through; aborts and records every other one."""

    seen: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        self.seen.append(url)
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort("internetdisconnected")


@dataclass
class Browser:
    context: Any
    guard: Guard
    artifacts: Path

    refused: list[str] = field(default_factory=list)  # what the page's Content-Security-Policy stopped

    def page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(20_000)
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(message.text)

    def screenshot(self, page: Any, name: str, *, full_page: bool = False) -> Path:
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("JIXIAO_ARTIFACTS")
    path = Path(given) if given else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def executable() -> str:
    return chromium()


@pytest.fixture(scope="package")
def playwright(executable: str) -> Iterator[Any]:
    """Playwright's driver, for this folder only: while it runs, its event loop is the running loop of the
    main thread, and a later test's ``asyncio.run()`` would fail."""
    from playwright.sync_api import sync_playwright  # after the chromium check: skipped runs never start the driver

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Any, executable: str, tmp_path: Path, artifacts: Path) -> Iterator[Browser]:
    guard = Guard()
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=executable, args=ARGS, headless=True,
        accept_downloads=True, locale="zh-CN", viewport={"width": 1440, "height": 1000})
    context.route("**/*", guard)
    browser = Browser(context, guard, artifacts)
    yield browser
    context.close()
    assert guard.outside == [], f"requests outside loopback: {guard.outside}"
    assert [text for text in browser.refused if REDOC_LOGO not in text] == [], browser.refused


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One open service (no token) for the browser tests; each test records its own decisions."""
    db = tmp_path_factory.mktemp("browser-db") / "decisions.sqlite3"
    srv = Server(f"sqlite:///{db}", env=OPEN).start()
    yield srv
    srv.stop()
