"""Nothing under / needs the internet (issue 15 §1, §2): /docs and /redoc render with the network blocked,
and no page or first-party asset references an address outside the machine.

The browser tests route every request: loopback goes through, anything else is aborted and recorded
(:class:`tests.browser.conftest.Guard`), and the fixture fails a test that recorded one. The crawl reads
every page a reviewer reaches (the start page, a scored result, each trace, a what-if, a comparison,
the downloaded report, the API documentation) and every file those pages load, and looks for an
``http://``, ``https://`` or ``//`` address that is not loopback.

Swagger UI's and ReDoc's bundles (from the ``fastapi-offline`` package) are not read as text: they
hold hundreds of addresses as data (links shown in the documentation, JSON-Schema and RFC references,
licence comments), none of which they fetch. What they fetch is what counts, and the browser tests
above watch exactly that for the pages that load them.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from fastapi.testclient import TestClient

from engine.service.app import ServiceConfig, create_app
from tests.browser.conftest import LOOPBACK
from tests.conftest import GZ_FACTS, ROOT
from tests.service.conftest import TOKEN

STATIC = ROOT / "engine" / "service" / "web" / "static"
THIRD_PARTY = {"/static/api-docs/swagger-ui-bundle.js", "/static/api-docs/swagger-ui.css",
               "/static/api-docs/redoc.standalone.js"}  # fastapi-offline's files: their fetches are watched
ADDRESS = re.compile(r"""https?://[^\s"'<>()\\]+""", re.IGNORECASE)  # anywhere in the text
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)""")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_swagger_ui_renders_with_the_network_blocked(browser, server):
    page = browser.page()
    page.goto(f"{server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("jixiao 绩效评分服务")
    expect(page.locator(".opblock-summary-path", has_text="/policies/{policy_id}/score")).to_be_visible()
    assert f"{server.url}/static/api-docs/swagger-ui-bundle.js" in browser.guard.seen
    assert f"{server.url}/openapi.json" in browser.guard.seen
    browser.screenshot(page, "08-docs")
    assert browser.guard.outside == []


def test_redoc_renders_with_the_network_blocked(browser, server):
    page = browser.page()
    page.goto(f"{server.url}/redoc")
    expect(page.locator("h1")).to_contain_text("jixiao 绩效评分服务")
    expect(page.get_by_text("为一份事实打分并记录决定").first).to_be_attached()
    assert f"{server.url}/static/api-docs/redoc.standalone.js" in browser.guard.seen
    browser.screenshot(page, "09-redoc")
    assert browser.guard.outside == []


# -- the crawl -------------------------------------------------------------------------------------
class Links(HTMLParser):
    """Every address an HTML page loads or leads to: src, href, action and htmx's hx-get/hx-post."""

    ATTRIBUTES = frozenset({"src", "href", "action", "hx-get", "hx-post", "poster", "data"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in self.ATTRIBUTES and value]


def outside(text: str, *, markup: bool = True) -> list[str]:
    """Addresses in ``text`` whose host is not loopback: any ``http(s)://`` address, and in HTML or CSS
    (``markup``) every attribute or ``url()`` that names another host, ``//host/…`` included."""
    found = ADDRESS.findall(text)
    if markup:
        links = Links()
        links.feed(text)
        found += [ref for ref in [*links.found, *CSS_URL.findall(text)] if ref.startswith("//")]
    return [address for address in dict.fromkeys(found) if _host(address) not in LOOPBACK]


def _host(address: str) -> str | None:
    try:
        return urlsplit(address if "://" in address else "http:" + address).hostname
    except ValueError:  # not even a URL: counted as outside, so that a person looks at it
        return None


class Crawl:
    def __init__(self, client: httpx.Client) -> None:
        self.client, self.read, self.found = client, {}, {}

    def page(self, path: str, text: str) -> None:
        """Scan one answer and follow what it loads or links to (same origin, GET)."""
        self.read[path] = text
        script = path.endswith(".js")
        if bad := outside(text, markup=not script):
            self.found[path] = bad
        if script:
            return
        links = Links()
        links.feed(text)
        for ref in [*links.found, *CSS_URL.findall(text)]:
            self.follow(path, ref)

    def follow(self, base: str, ref: str) -> None:
        if ref.startswith(("data:", "#", "mailto:")):
            return
        target = urljoin(base, ref)
        if urlsplit(target).netloc:
            self.found.setdefault(base, []).append(ref)
            return
        path = urlsplit(target).path
        if path in self.read or (path.startswith("/workbench/") and not path.startswith("/workbench/decisions/")):
            return  # the workbench's actions are POSTed by the walk below, not fetched
        response = self.client.get(path)
        assert response.status_code == 200, (base, path, response.status_code)
        if path in THIRD_PARTY:
            self.read[path] = "(third-party bundle: its fetches are watched by the browser tests)"
            return
        self.page(path, response.text)


def walk(client: httpx.Client) -> Crawl:
    crawl = Crawl(client)
    for path in ("/", "/docs", "/redoc", "/docs/oauth2-redirect"):
        crawl.page(path, client.get(path).text)
    result = client.post("/workbench/score", data={"policy": "gz-dept-2021@1.0.0-r1"},
                         files={"facts_file": (GZ_FACTS.name, GZ_FACTS.read_bytes())}, headers={"HX-Request": "true"})
    assert result.status_code == 200
    crawl.page("/workbench/score", result.text)
    state = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', result.text))
    for indicator in sorted(set(re.findall(r'data-indicator="([^"]+)"', result.text))):
        trace = client.post("/workbench/trace", data={**state, "indicator": indicator}, headers={"HX-Request": "true"})
        crawl.page(f"/workbench/trace#{indicator}", trace.text)
    forms = {"/workbench/whatif": {"set": "财政拨款收入预决算差异率=5"},
             "/workbench/diff": {"other": "gz-dept-2021-r1p@1.0.0-r1p"}}
    for path, extra in forms.items():
        crawl.page(path, client.post(path, data={**state, **extra}, headers={"HX-Request": "true"}).text)
    return crawl


def test_no_page_under_root_references_an_outside_address(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        crawl = walk(client)
    assert crawl.found == {}
    pages = set(crawl.read)
    assert {"/static/workbench/htmx.min.js", "/static/workbench/workbench.css", "/static/workbench/favicon.png",
            "/static/api-docs/swagger-ui-bundle.js", "/static/api-docs/redoc.standalone.js"} <= pages, pages
    assert any(p.startswith("/workbench/decisions/") and p.endswith("/report.html") for p in pages), pages
    assert any(p.startswith("/workbench/trace#") for p in pages), pages
    assert set(THIRD_PARTY) <= pages and all(p.startswith("/static/api-docs/") for p in THIRD_PARTY)


def test_the_login_page_references_no_outside_address(tmp_path):
    config = ServiceConfig(policies_dir=ROOT / "policies", db_url=f"sqlite:///{tmp_path / 'd.sqlite3'}", token=TOKEN)
    with TestClient(create_app(config)) as client:
        response = client.get("/")
    assert response.status_code == 401 and "令牌" in response.text
    assert outside(response.text) == []


def test_the_scan_sees_an_outside_address():
    assert outside('<script src="https://cdn.example.org/htmx.js"></script>') == ["https://cdn.example.org/htmx.js"]
    assert outside('<link href="//fonts.example.com/css">') == ["//fonts.example.com/css"]
    assert outside("@font-face { src: url(//fonts.example.com/a.woff2) }") == ["//fonts.example.com/a.woff2"]
    assert outside('document.evaluate("//*[@id]")', markup=False) == []  # an XPath in a script is no address
    assert outside('<a href="http://127.0.0.1:8000/docs">') == []


def test_the_vendored_htmx_is_the_recorded_release():
    notice = (STATIC / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest()
    assert f"`htmx.min.js` 的 SHA-256：`{digest}`" in notice
    assert "| 2.0.11 |" in notice and (STATIC / "htmx.LICENSE.txt").read_text(encoding="utf-8").startswith(
        "Zero-Clause BSD")
    assert Path(STATIC / "htmx.min.js").read_text(encoding="utf-8").startswith("var htmx=function(){")
