"""The workbench's pages through the application (no browser): roles and login, foreign forms, located
problems instead of 500s, the security policy header, and decisions recorded exactly as the API records them.

The walk in a real browser is in tests/browser/.
"""

from __future__ import annotations

import base64
import re

import pytest
from fastapi.testclient import TestClient

from engine.service.app import create_app
from tests.conftest import GZ_FACTS, ROOT
from tests.service.conftest import GZ_FACTS_TEXT, READER_TOKEN, SCORER_TOKEN

HTMX = {"HX-Request": "true"}
POLICY = "gz-dept-2021@1.0.0-r1"


@pytest.fixture
def bare(config):
    with TestClient(create_app(config), raise_server_exceptions=False) as test_client:
        yield test_client


def upload(client: TestClient, text: str = GZ_FACTS_TEXT, name: str = "gz.yaml", **headers: str):
    return client.post("/workbench/score", data={"policy": POLICY}, files={"facts_file": (name, text.encode())},
                       headers={**HTMX, **headers})


def state_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def problem(response) -> tuple[str, str]:
    """The stable code and the text of the problem a page shows."""
    code = re.search(r"<code>([a-z_]+\.[a-z_.]+)</code>", response.text)
    assert code, response.text[:500]
    return code.group(1), re.sub(r"<[^>]+>", " ", response.text)


def test_with_tokens_configured_the_start_page_asks_for_one(bare):
    response = bare.get("/")
    assert response.status_code == 401
    assert 'name="token"' in response.text and "令牌" in response.text


def test_login_keeps_the_token_in_a_strict_http_only_cookie(bare):
    response = bare.post("/workbench/login", data={"token": SCORER_TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert bare.get("/").status_code == 200
    scored = upload(bare)
    assert scored.status_code == 200 and 'id="total">94.622<' in scored.text
    out = bare.post("/workbench/logout", follow_redirects=False)
    assert out.status_code == 303 and bare.get("/").status_code == 401


def test_a_wrong_token_is_refused(bare):
    response = bare.post("/workbench/login", data={"token": SCORER_TOKEN + "x"})
    assert response.status_code == 401 and "令牌不正确" in response.text
    assert upload(bare).status_code == 401


def test_a_reader_reads_but_cannot_score(bare):
    bare.post("/workbench/login", data={"token": READER_TOKEN})
    page = bare.get("/")
    assert page.status_code == 200 and "只能阅读" in page.text and 'id="start"' not in page.text
    response = upload(bare)
    assert response.status_code == 403
    code, text = problem(response)
    assert code == "auth.forbidden" and "scorer" in text


def test_a_form_posted_from_another_site_records_nothing(client):
    before = len(client.get("/decisions").json())
    response = upload(client, Origin="https://elsewhere.example")
    assert response.status_code == 403 and problem(response)[0] == "request.origin"
    assert len(client.get("/decisions").json()) == before
    assert upload(client, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert len(client.get("/decisions").json()) == before
    assert upload(client, Origin="http://testserver").status_code == 200  # the service's own page
    proxied = {"Origin": "https://jixiao.example", "X-Forwarded-Host": "jixiao.example"}  # Host rewritten by a proxy
    assert upload(client, **proxied).status_code == 200
    assert upload(client, Origin="https://jixiao.example", **{"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_the_workbench_records_the_decision_the_api_records(client):
    page = upload(client)
    decision = re.search(r'id="decision-id">([0-9a-f]{32})<', page.text).group(1)
    web = client.get(f"/decisions/{decision}").json()
    api = client.post("/policies/gz-dept-2021/score",
                      json={"facts_text": GZ_FACTS_TEXT, "facts_name": "gz.yaml"}).json()
    assert (web["total"], web["facts_digest"], web["result_digest"]) == (api["total"], api["facts_digest"],
                                                                         api["result_digest"])
    assert web["actor"].startswith("anonymous@")
    named = client.post("/workbench/score", data={"policy": POLICY, "actor": "张三"},
                        files={"facts_file": ("gz.yaml", GZ_FACTS_TEXT.encode())}, headers=HTMX)
    decision = re.search(r'id="decision-id">([0-9a-f]{32})<', named.text).group(1)
    assert client.get(f"/decisions/{decision}").json()["actor"].startswith("张三@")


def test_the_page_carries_the_file_exactly(client):
    text = GZ_FACTS_TEXT.replace("\n", "\r\n")  # a browser's line breaks: the bytes still come back as sent
    state = state_of(upload(client, text).text)
    assert base64.b64decode(state["facts_b64"]) == text.encode()
    assert state["policy"] == "gz-dept-2021" and state["version"] == "1.0.0-r1" and state["facts_name"] == "gz.yaml"


def test_every_page_is_confined_to_the_service(client):
    state = state_of(upload(client).text)
    answers = [client.get("/"), upload(client), client.post("/workbench/trace", data={**state, "indicator": "A1.2"}),
               client.get("/docs"), client.get("/redoc")]
    for response in answers:
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "http" not in policy, response.url


@pytest.mark.parametrize(("form", "files", "status", "code", "where"), [
    ({"policy": POLICY}, None, 400, "request.facts", ""),
    ({"policy": "gz-dept-2012@1.0.0-r1", "facts_text": GZ_FACTS_TEXT}, None, 404, "policy.not_found", ""),
    ({"policy": POLICY, "facts_text": "facts: [1, 2"}, None, 422, "source.syntax", "粘贴的事实.yaml:2:1"),
    ({"policy": POLICY, "facts_text": GZ_FACTS_TEXT.replace("value: 11.44", "value: 十一")}, None, 422, "facts.type",
     "粘贴的事实.yaml:18:"),
    ({"policy": POLICY}, {"facts_file": ("gz.xlsx", b"not a workbook")}, 422, "source.workbook", "gz.xlsx:1:1"),
    ({"policy": POLICY}, {"facts_file": ("gz.yaml", "预算".encode("gbk"))}, 422, "source.encoding", "gz.yaml:1:"),
])
def test_a_bad_upload_is_a_located_problem(client, form, files, status, code, where):
    response = client.post("/workbench/score", data=form, files=files, headers=HTMX)
    assert response.status_code == status
    got, text = problem(response)
    assert got == code and where in text
    whole = client.post("/workbench/score", data=form, files=files)  # without htmx: a whole page
    assert whole.status_code == status and whole.text.startswith("<!DOCTYPE html>")


def test_too_many_facts_is_413(client):
    many = "facts:\n" + "".join(f"  事实{i}: 1\n" for i in range(101))  # the fixture's limit is 100
    response = client.post("/workbench/score", data={"policy": POLICY, "facts_text": many}, headers=HTMX)
    assert response.status_code == 413 and problem(response)[0] == "request.too_many_facts"


def test_the_later_requests_locate_their_problems(client):
    state = state_of(upload(client).text)
    cases = [
        ("/workbench/trace", {**state, "indicator": "A9"}, 404, "indicator.not_found"),
        ("/workbench/trace", {**state, "facts_b64": "%%%", "indicator": "A1.2"}, 400, "request.facts"),
        ("/workbench/trace", {"indicator": "A1.2"}, 400, "request.facts"),
        ("/workbench/whatif", {**state, "fact.财政拨款收入预决算差异率": "11.44"}, 400, "request.set"),  # unchanged
        ("/workbench/whatif", {**state, "fact.财政拨款收入预决算差异率": "很多"}, 422, "facts.type"),
        ("/workbench/whatif", {**state, "set": "差异率"}, 400, "request.set"),
        ("/workbench/diff", {**state, "other": "nope@1"}, 404, "policy.not_found"),
    ]
    for path, form, status, code in cases:
        response = client.post(path, data=form, headers=HTMX)
        assert (response.status_code, problem(response)[0]) == (status, code), (path, form, response.text[:300])
    typed = client.post("/workbench/whatif", data={**state, "fact.财政拨款收入预决算差异率": "很多"}, headers=HTMX)
    assert "试算:1:" in problem(typed)[1]  # located at the value typed in the page


def test_a_what_if_from_the_page_matches_the_api(client):
    state = state_of(upload(client).text)
    page = client.post("/workbench/whatif", data={**state, "fact.财政拨款收入预决算差异率": "5"}, headers=HTMX)
    api = client.post("/policies/gz-dept-2021/whatif",
                      json={"facts_text": GZ_FACTS_TEXT, "set": ["财政拨款收入预决算差异率=5"]}).json()
    total = api["total"]
    assert 'id="whatif-total">{} → {}（+{}）<'.format(total["before"], total["after"], total["delta"]) in page.text
    assert (total["before"], total["after"]) == ("94.622", "100.622")
    changed = {i["id"]: i["delta"] for i in api["indicators"] if i["delta"] not in (None, "0", "0.000")}
    assert changed == {"A": "6.000", "A1": "6.000", "A1.2": "6.000"}
    for indicator, delta in changed.items():  # the page's table has the same deltas
        assert re.search(rf"<td class=\"num\">{re.escape(indicator)}</td>.*?<td class=\"num\">\+{delta}</td>",
                         page.text), indicator


def test_downloads_of_a_decision(client):
    page = upload(client)
    decision = re.search(r'id="decision-id">([0-9a-f]{32})<', page.text).group(1)
    report = client.get(f"/workbench/decisions/{decision}/report.html")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "attachment" in report.headers["content-disposition"] and decision in report.headers["content-disposition"]
    assert "94.622 / 100.00" in report.text and decision in report.text
    facts = report.text[report.text.index("<h2>事实（"):]
    positions = [facts.index(f">{name} <span") for name in ("预算完成率", "财政拨款收入预决算差异率", "政府采购执行率")]
    assert positions == sorted(positions)  # the policy's order, not the decision log's sorted keys
    body = client.get(f"/workbench/decisions/{decision}/decision.json").json()
    assert body == client.get(f"/decisions/{decision}").json()
    missing = client.get("/workbench/decisions/0123/report.html")
    assert missing.status_code == 404 and "decision.not_found" in missing.text


def test_the_bundled_facts_file_is_the_one_uploaded(client):
    assert 'id="total">94.622<' in upload(client, GZ_FACTS.read_text(encoding="utf-8"), GZ_FACTS.name).text


def test_findings_are_shown_beside_the_score(client):
    from tests.service.conftest import AS_ADMIN

    policy = (ROOT / "tests" / "policies" / "findings" / "ah-project.yaml").read_text(encoding="utf-8")
    assert client.post("/policies", json={"text": policy, "name": "ah.yaml"}, headers=AS_ADMIN).status_code == 201
    facts = (ROOT / "tests" / "facts" / "ah-tangxi-cunji-2022.yaml").read_text(encoding="utf-8")
    page = client.post("/workbench/score", data={"policy": "ah-project-findings@1"},
                       files={"facts_file": ("ah.yaml", facts.encode())}, headers=HTMX)
    assert page.status_code == 200 and 'id="total">26.00<' in page.text
    findings = page.text[page.text.index('id="findings"'):page.text.index('id="scores"')]
    assert "共 1 项" in findings and "年度资金总额应不少于其中的本年财政拨款" in findings
    assert "ah.yaml:6:24" in findings and "facts.constraint" in findings


def test_a_file_for_another_policy_needs_force(client):
    form = {"policy": "gz-dept-2021-r1p@1.0.0-r1p", "facts_text": GZ_FACTS_TEXT}
    refused = client.post("/workbench/score", data=form, headers=HTMX)
    assert refused.status_code == 422 and problem(refused)[0] == "facts.identity"
    forced = client.post("/workbench/score", data={**form, "force": "1"}, headers=HTMX)
    assert forced.status_code == 200 and "已用 --force 忽略事实文件身份不符" in forced.text
    assert state_of(forced.text)["force"] == "1"


def test_claimed_scores_get_a_review_tab(client):
    plain = upload(client)
    assert 'id="review"' not in plain.text
    claimed = (ROOT / "facts" / "gz-kjj-2021-claimed.yaml").read_text(encoding="utf-8")
    page = upload(client, claimed, "claimed.yaml")
    assert 'href="#review"' in page.text
    review = client.post("/workbench/review", data=state_of(page.text), headers=HTMX)
    assert review.status_code == 200
    assert "广州市科学技术局 部门整体支出绩效自评：得分复核" in review.text
    assert "结论" in review.text and "一致" in review.text
    missing = client.post("/workbench/review", data=state_of(plain.text), headers=HTMX)
    assert missing.status_code == 422 and problem(missing)[0] == "facts.missing"


def test_the_xlsx_report_is_the_decisions(client):
    import io

    import openpyxl

    page = upload(client)
    state = state_of(page.text)
    response = client.post("/workbench/report.xlsx", data=state)
    assert response.status_code == 200
    assert state["decision"] in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["自评表", "扣分明细", "事实"]
    totals = [row for row in book["自评表"].iter_rows(values_only=True) if "总分" in row]
    assert totals == [(None, "总分", 100, 94.622, None, None)]
    changed = base64.b64encode(GZ_FACTS_TEXT.replace("value: 11.44", "value: 5").encode()).decode()
    other = client.post("/workbench/report.xlsx", data={**state, "facts_b64": changed}, headers=HTMX)
    assert other.status_code == 409 and problem(other)[0] == "decision.mismatch"


def test_the_start_page_follows_the_files_policy_unless_one_is_chosen(client):
    start = client.get("/")
    options = re.findall(r'<option value="([^"]*)"( selected)?>', start.text)
    assert options[0] == ("", " selected") and ("gz-dept-2021@1.0.0-r1", "") in options


def test_without_a_choice_the_policy_the_file_names_scores_it(client):
    response = client.post("/workbench/score", data={"policy": "", "facts_text": GZ_FACTS_TEXT}, headers=HTMX)
    assert response.status_code == 200, response.text[:500]
    assert "94.622" in response.text
    fields = state_of(response.text)
    assert fields["policy"] == "gz-dept-2021" and fields["version"] == "1.0.0-r1"


@pytest.mark.parametrize(("text", "status", "code", "said"), [
    (re.sub(r"(?m)^policy:.*\n", "", GZ_FACTS_TEXT), 400, "request.policy", "没有写明指标体系（policy）"),
    (GZ_FACTS_TEXT.replace("policy: gz-dept-2021", "policy: gz-dept-2012", 1), 404, "policy.not_found",
     "没有指标体系 gz-dept-2012"),
])
def test_without_a_choice_a_file_that_names_no_loaded_policy_is_told_so(client, text, status, code, said):
    response = client.post("/workbench/score", data={"policy": "", "facts_text": text}, headers=HTMX)
    assert response.status_code == status
    got, shown = problem(response)
    assert got == code and said in shown


def test_the_review_workbook_downloads_from_the_review_tab(client):
    import io

    import openpyxl

    claimed = (ROOT / "facts" / "gz-kjj-2021-claimed.yaml").read_text(encoding="utf-8")
    page = upload(client, claimed, "claimed.yaml")
    assert 'formaction="/workbench/review.xlsx"' in page.text
    response = client.post("/workbench/review.xlsx", data=state_of(page.text))
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''jixiao-%E5%A4%8D%E6%A0%B8-" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["复核表", "差异明细"] and "事实" in book.sheetnames
    cells = [str(c) for row in book["复核表"].iter_rows(values_only=True) for c in row if c is not None]
    assert any("一致" in c for c in cells)
    again = client.post("/workbench/review.xlsx", data=state_of(page.text))
    assert again.content == response.content  # the same page gives the same bytes
    plain = upload(client)
    missing = client.post("/workbench/review.xlsx", data=state_of(plain.text), headers=HTMX)
    assert missing.status_code == 422 and problem(missing)[0] == "facts.missing"
