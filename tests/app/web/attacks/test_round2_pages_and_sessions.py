"""Round 2: the server-rendered pages as a browser meets them: framing, caching, cross-site
requests, sign-out and the back button, and a viewer or an auditor reaching past its role."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import sync_playwright

from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, person, sign_in

CHROMIUM = "/usr/bin/chromium"
PAGES = ["/", "/sql", "/account", "/admin/users", "/admin/roles", "/admin/groups"]
ADMIN_PAGES = ["/admin/users", "/admin/roles", "/admin/groups", "/admin/policies", "/audit"]


@pytest.fixture
def admin(web, acme) -> Iterator:
    with client(web, ip="192.0.2.40") as http:
        sign_in(http, acme["admin"], acme["home"])
        yield http


@pytest.fixture
def viewer(web, acme) -> Iterator:
    with client(web, ip="192.0.2.41") as http:
        sign_in(http, acme["viewer"], acme["home"])
        yield http


def test_no_page_can_be_framed_or_cached(web, admin):
    answers = {path: admin.get(path) for path in [*PAGES, *ADMIN_PAGES, "/static/app.js"]}
    with client(web) as anonymous:
        answers |= {f"anon {p}": anonymous.get(p) for p in ["/login", "/nope", "/audit"]}
    for path, answer in answers.items():
        csp = answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in csp, path
        assert "script-src 'self'" in csp and "unsafe" not in csp, path
    for path in [*PAGES, *ADMIN_PAGES]:
        assert answers[path].status_code == 200, path
        assert answers[path].headers["cache-control"] == "no-store", path


def test_a_viewer_gets_no_admin_page_whatever_the_query_string(viewer):
    for path in ADMIN_PAGES:
        for query in ["", "?actor=admin@acme.io", "?limit=1000", "?role=admin"]:
            answer = viewer.get(path + query)
            assert answer.status_code == 403, path + query
            assert "admin@acme.io" not in answer.text
    assert "audit.read" not in viewer.get("/api/v1/me").json()["permissions"]


def test_an_auditor_reads_its_own_tenant_only(web, operator, acme):
    tenant_with_deals(operator, "globex")
    with client(web, ip="192.0.2.42") as globex_admin:
        sign_in(globex_admin, person(operator, "globex", "boss@globex.io", ["admin"]), acme["home"])
        assert globex_admin.post("/api/v1/admin/groups", json={"name": "topsecret"}).status_code
    with client(web, ip="192.0.2.43") as http:
        sign_in(http, acme["admin"], acme["home"])
        role = {"name": "auditor", "permissions": ["audit.read"]}
        made = http.post("/api/v1/admin/roles", json=role)
        assert made.status_code == 201
    auditor = person(operator, "acme", "aud@acme.io", ["auditor"])
    with client(web, ip="192.0.2.44") as http:
        sign_in(http, auditor, acme["home"])
        for query in [
            {"actor": "boss@globex.io"},
            {"action": "%"},
            {"actor": "x' or '1'='1"},
            {"since": "1970-01-01T00:00:00"},
        ]:
            api = http.get("/api/v1/audit", params=query | {"limit": 1000})
            page = http.get("/audit", params=query)
            assert api.status_code == page.status_code == 200, query
            assert "topsecret" not in api.text, query
            assert "topsecret" not in page.text, query
            assert not any("globex" in e["actor"] for e in api.json()), query
        assert http.get("/admin/users").status_code == 403


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/auth/logout"),
        ("GET", "/api/v1/auth/logout-everywhere"),
        ("GET", "/api/v1/me/mfa/totp"),
        ("GET", "/api/v1/query?sql=select%201"),
        ("HEAD", "/api/v1/auth/logout"),
        ("POST", "/admin/users"),
        ("POST", "/account"),
        ("POST", "/login"),
    ],
)
def test_no_simple_cross_site_request_changes_anything(admin, method, path):
    """What a link, an <img> or a form on another site can send with the (Lax) cookie."""
    del admin.headers["X-CSRF-Token"]
    answer = admin.request(method, path, data={"email": "x@acme.io", "roles": "admin"})
    assert answer.status_code in (404, 405), (method, path, answer.status_code)
    assert admin.get("/api/v1/me").status_code == 200
    assert "x@acme.io" not in admin.get("/api/v1/admin/users").text


def test_signing_out_in_the_browser_ends_the_session_and_the_back_button_shows_nothing(
    web, acme, admin
):
    session = admin.cookies["atspark_session"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context()
        context.add_cookies([{"name": "atspark_session", "value": session, "url": web}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{web}/admin/users")
        assert "viewer@acme.io" in page.content()
        with page.expect_navigation():
            page.locator("header .who button").click()
        assert page.url == f"{web}/login"
        assert [c for c in context.cookies() if c["name"] == "atspark_session"] == []
        page.go_back()
        page.wait_for_load_state()
        assert "viewer@acme.io" not in page.content(), "the back button shows the users page"
        assert page.url.startswith(f"{web}/login")
        browser.close()
    assert admin.get("/api/v1/me").status_code == 401


def test_the_user_agent_kept_in_the_audit_log_is_bounded(web, acme, admin):
    with client(web, ip="192.0.2.45") as http:
        http.headers["User-Agent"] = "U" * 60_000
        body = {"tenant": "acme", "email": "nobody@acme.io", "password": "x" * 12}
        assert http.post("/api/v1/auth/login", json=body).status_code == 401
    events = admin.get("/api/v1/audit", params={"action": "auth.login", "limit": 5}).json()
    agents = [e["context"].get("request", {}).get("user_agent", "") for e in events]
    assert max(len(a) for a in agents) <= 1000
