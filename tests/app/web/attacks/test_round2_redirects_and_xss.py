"""Round 2: where the pages send a browser after sign-in, and markup planted in every field the
pages show (stored and reflected XSS), checked in the HTML and in headless Chromium."""

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.fixtures.web import Person, client, login, sign_in

CHROMIUM = "/usr/bin/chromium"
EVIL = "evil.example"
MARKUP = "<img src=x onerror=alert(1)>\"'><script>alert(2)</script>"
QUOTED = "'" + MARKUP.replace("'", "''") + "'"  # MARKUP as a SQL string literal
PAGES = [
    "/",
    "/sql",
    "/account",
    "/admin/users",
    "/admin/roles",
    "/admin/groups",
    "/admin/policies",
    "/audit",
]


def data_next(web: str, next_value: str) -> str:
    with client(web) as http:
        page = http.get("/login", params={"next": next_value})
    assert page.status_code == 200
    return unescape(re.search(r'data-next="([^"]*)"', page.text).group(1))


def off_site(target: str) -> bool:
    """Whether a browser sent to ``target`` from this app's origin leaves it: the URL parser
    drops tabs and newlines, and reads a backslash like a slash."""
    cleaned = re.sub(r"[\t\n\r]", "", target).replace("\\", "/")
    return not cleaned.startswith("/") or cleaned.startswith("//")


@pytest.mark.parametrize(
    "next_value",
    ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"],
)
def test_plain_off_site_next_values_are_refused(web, next_value):
    assert data_next(web, next_value) == "/"


@pytest.mark.parametrize(
    "next_value",
    ["/\t/evil.example", "/\r/evil.example", "/\t\\evil.example", "/\t/\t/evil.example"],
    ids=["tab", "carriage-return", "tab-backslash", "two-tabs"],
)
def test_next_with_a_tab_or_newline_does_not_leave_the_site(web, next_value):
    """``/login?next=/%09/evil.example`` keeps ``/<TAB>/evil.example``, which the browser reads as
    ``//evil.example``: after signing in, the page sends the user to another site."""
    target = data_next(web, next_value)
    assert not off_site(target), f"the sign-in page would send the browser to {target!r}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context that answers for evil.example itself and records dialogs and errors."""
    context = browser.new_context()
    context.route(
        lambda url: urlsplit(url).hostname == EVIL,
        lambda route: route.fulfill(status=200, content_type="text/html", body="phished"),
    )
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    opened.dialogs = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def sign_in_through_the_page(page: Page, web: str, who: Person, next_value: str) -> None:
    page.goto(f"{web}/login?next={next_value}")
    page.get_by_label("Tenant").fill(who.tenant)
    page.get_by_label("Email", exact=True).fill(who.email)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Continue").click()
    page.locator("#mfa").wait_for(state="visible")
    page.locator('input[name="method"][value="totp"]').check()
    page.locator("#code").fill(pyotp.TOTP(who.totp_secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_signing_in_from_a_crafted_link_stays_on_the_site(web, acme, page):
    sign_in_through_the_page(page, web, acme["admin"], "/%09/evil.example")
    assert urlsplit(page.url).hostname == "127.0.0.1", f"signed in, then sent to {page.url}"


def test_signing_in_with_a_same_site_next_lands_there(web, acme, page):
    sign_in_through_the_page(page, web, acme["viewer"], "/sql")
    assert page.url == f"{web}/sql"


def test_a_redirect_to_add_a_slash_does_not_follow_the_host_header(web):
    with client(web) as http:
        answer = http.get("/sql/", headers={"Host": EVIL}, follow_redirects=False)
    assert EVIL not in answer.headers.get("location", ""), answer.headers.get("location")


@pytest.fixture
def planted(web, acme):
    """An admin session after planting markup in every field the pages show back."""
    with client(web, ip="192.0.2.10") as attacker:
        attacker.headers["User-Agent"] = MARKUP
        login(attacker, acme["viewer"], password=MARKUP)
        body = {"tenant": "acme", "email": f"x{MARKUP}@acme.io", "password": "x"}
        attacker.post("/api/v1/auth/login", json=body)
    with client(web, ip="192.0.2.11") as http:
        sign_in(http, acme["admin"], acme["home"])
        made = [
            http.post(
                "/api/v1/admin/users",
                json={"email": '"<svg/onload=alert(3)>"@acme.io', "roles": ["viewer"]},
            ),
            http.post(
                "/api/v1/admin/users",
                json={"email": "attr@acme.io", "roles": ["viewer"], "attributes": {"r": [MARKUP]}},
            ),
            http.post(
                "/api/v1/admin/policies",
                json={
                    "name": "marked",
                    "table": "deals",
                    "filter": f"region <> {QUOTED}",
                    "roles": ["viewer"],
                },
            ),
            http.post("/api/v1/me/tokens", json={"name": MARKUP[:80]}),
            http.post("/api/v1/admin/groups", json={"name": MARKUP}),
            http.post("/api/v1/query", json={"sql": f"select {QUOTED}"}),
        ]
        assert made[0].status_code in (201, 400)  # a quoted local part is refused outright
        assert [m.status_code for m in made[1:4]] == [201] * 3
        yield http


def test_planted_markup_is_escaped_on_every_page(planted):
    for path in PAGES:
        html = planted.get(path).text
        for raw in ["<img src=x", "<script>alert", "<svg/onload"]:
            assert raw not in html, (path, raw)
    assert "&lt;img src=x onerror" in planted.get("/admin/users").text  # the attribute value
    assert "&lt;img src=x onerror" in planted.get("/audit").text


def test_markup_runs_nowhere_in_the_browser(web, acme, planted, page):
    """Every page with the planted markup, and a /sql result whose cells and headers are HTML:
    shown as text, no dialog, and an inline script added to the page is blocked by the CSP."""
    session = planted.cookies["atspark_session"]
    page.context.add_cookies([{"name": "atspark_session", "value": session, "url": web}])
    for path in PAGES:
        page.goto(web + path)
        assert page.locator("img[src=x], main script, main svg[onload]").count() == 0, path
    page.goto(f"{web}/sql")
    page.locator("textarea").fill(f"select {QUOTED} as \"<b>h</b>\", '<i>x</i>'")
    page.locator("form[data-api='/api/v1/query'] button").click()
    page.locator("table td").first.wait_for()
    assert page.locator("table td").first.text_content() == MARKUP
    assert page.locator("table th").first.text_content() == "<b>h</b>"
    page.locator("textarea").fill(f"select * from {MARKUP}")
    page.locator("form[data-api='/api/v1/query'] button").click()
    page.locator(".message.error").wait_for()
    assert page.locator("main img, main b").count() == 0
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.pwned = 1'; document.body.append(s); }"
    )
    assert page.evaluate("() => window.pwned") is None, "an inline script ran"
    assert page.dialogs == []


def test_problem_details_do_not_reflect_markup_as_html(web, acme):
    """Errors the pages show (``say`` puts them in with textContent) come back as JSON."""
    with client(web, ip="192.0.2.12") as http:
        challenge = login(http, acme["admin"]).json()["challenge"]
        answer = http.post(
            "/api/v1/auth/mfa",
            json={"challenge": challenge, "method": "email", "code": MARKUP[:64]},
            headers={"X-Request-ID": MARKUP},
        )
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert "<img" not in answer.text and "<script" not in answer.text
