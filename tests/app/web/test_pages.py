"""The web UI end to end in headless Chromium: signing in, administering, querying and reading
the audit log through the pages, as a person would. Screenshots land in ``SCREENS``."""

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from app.web.edge import SECURITY_HEADERS
from governance.auth.accounts import RECOVERY_CODES
from services import connections, ingestion
from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import Person, client, emailed_code, person, sign_in

CHROMIUM = "/usr/bin/chromium"  # Debian's (make browser): Playwright downloads none
SCREENS = Path("/tmp/atspark-screens")
ADMIN_PAGES = ["/admin/users", "/admin/roles", "/admin/groups", "/admin/policies", "/audit"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context; fails the test on a script error or a CSP violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    problems: list[str] = []

    def csp_violation(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(message.text)

    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("console", csp_violation)
    yield opened
    context.close()
    assert problems == []


@pytest.fixture
def ana(operator) -> Person:
    tenant_with_deals(operator)
    return person(operator, "acme", "ana@acme.io", ["admin"])


@pytest.fixture
def vic(ana, operator) -> Person:
    """A viewer of acme (which ``ana`` creates)."""
    return person(operator, "acme", "vic@acme.io", ["viewer"])


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENS / f"{name}.png", full_page=True)


def signed_in(page: Page, web: str, who: Person, home: Path | None = None) -> None:
    """Give the page ``who``'s session, signed in through the API (the emailed code when
    ``home`` is given)."""
    with client(web) as http:
        sign_in(http, who, home)
        session = http.cookies["atspark_session"]
    page.context.add_cookies([{"name": "atspark_session", "value": session, "url": web}])


def password_step(page: Page, web: str, who: Person) -> None:
    page.goto(f"{web}/login")
    page.get_by_label("Tenant").fill(who.tenant)
    page.get_by_label("Email", exact=True).fill(who.email)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Continue").click()


def message(page: Page):
    return page.locator("#page-message")


def test_a_visit_before_signing_in_redirects_to_the_login_page(web, page):
    page.goto(f"{web}/admin/users")
    expect(page).to_have_url(f"{web}/login?next=%2Fadmin%2Fusers")
    expect(page).to_have_title("Sign in · atspark")
    shot(page, "01-login")
    page.goto(f"{web}/")
    expect(page).to_have_url(f"{web}/login?next=%2F")
    page.goto(f"{web}/login?next=//elsewhere.example/")
    assert page.locator("#mfa-form").get_attribute("data-next") == "/"  # no open redirect


def test_pages_carry_the_security_headers_and_are_not_cached(web, page):
    headers = page.goto(f"{web}/login").headers
    assert {name.lower(): value for name, value in SECURITY_HEADERS.items()}.items() <= (
        headers.items()
    )
    assert headers["cache-control"] == "no-store"
    assert page.locator("html").get_attribute("lang") == "en"


def test_an_admin_signs_in_with_totp_adds_a_user_and_a_policy_and_audits_both(web, ana, page):
    password_step(page, web, ana)
    page.get_by_label("Code from your authenticator app").check()
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(ana.totp_secret).now())
    shot(page, "02-login-mfa")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{web}/")
    expect(page.get_by_role("rowheader", name="deals")).to_be_visible()
    shot(page, "03-home")

    page.get_by_role("link", name="Users").click()
    page.get_by_label("Email", exact=True).fill("new@acme.io")
    page.get_by_role("group", name="Roles", exact=True).get_by_label("viewer").check()
    page.get_by_label("Attributes").fill("region=emea")
    page.get_by_role("button", name="Add user").click()
    expect(message(page)).to_have_text("User added.")
    expect(page.get_by_role("rowheader", name="new@acme.io")).to_be_visible()
    shot(page, "04-users")

    page.get_by_role("link", name="Row policies").click()
    page.get_by_label("Name", exact=True).fill("emea_only")
    page.get_by_label("Table", exact=True).fill("deals")
    page.get_by_label("Filter").fill("region = 'emea'")
    page.get_by_role("group", name="Granted to roles").get_by_label("viewer").check()
    page.get_by_role("button", name="Add policy").click()
    expect(message(page)).to_have_text("Policy added.")
    expect(page.get_by_role("row", name="emea_only")).to_contain_text("region = 'emea'")
    shot(page, "05-policies")

    page.get_by_role("link", name="Audit log").click()
    rows = page.locator("table.audit tbody tr")
    for action, subject in (("user.add", "new@acme.io"), ("policy.add", "emea_only")):
        row = rows.filter(has_text=action).filter(has_text=subject)
        expect(row.locator("td")).to_contain_text([ana.email, action, "ok"])
    shot(page, "06-audit")
    page.get_by_label("Action").fill("policy.add")
    page.get_by_role("button", name="Filter").click()
    expect(rows.locator("td:nth-child(4)")).to_have_text(["policy.add"])


def test_an_admin_adds_a_custom_role_and_a_group(web, ana, page):
    signed_in(page, web, ana)
    page.goto(f"{web}/admin/roles")
    page.get_by_label("Name", exact=True).fill("analyst")
    for permission in ("data.read", "data.export"):
        page.get_by_role("group", name="Permissions").get_by_label(permission).check()
    page.get_by_role("button", name="Add role").click()
    expect(message(page)).to_have_text("Role added.")
    expect(page.get_by_role("row", name="analyst")).to_contain_text("custom data.export data.read")
    shot(page, "12-roles")
    page.get_by_role("link", name="Groups").click()
    page.get_by_label("New group").fill("sales")
    page.keyboard.press("Enter")
    expect(page.get_by_role("list", name="Groups")).to_have_text("sales")
    shot(page, "13-groups")


def test_the_sql_page_shows_rows_as_a_table_and_refusals_in_words(web, ana, page):
    signed_in(page, web, ana)
    page.goto(f"{web}/sql")
    page.get_by_label("SQL").fill("SELECT region, amount FROM deals ORDER BY id")
    page.get_by_role("button", name="Run").click()
    table = page.locator("#result table")
    expect(page.locator("#query .message")).to_have_text("5 rows")
    expect(table.get_by_role("columnheader")).to_have_text(["region", "amount"])
    expect(table.locator("tbody tr").last).to_have_text("x' OR '1'='1500")
    shot(page, "07-sql")
    page.get_by_label("SQL").fill("DELETE FROM deals")
    page.get_by_label("SQL").press("Control+Enter")
    expect(page.locator("#query .message.error")).to_have_text(
        "only read-only queries are allowed: DELETE is not"
    )
    expect(table).to_have_count(0)
    shot(page, "08-sql-refused")


def test_a_viewer_signs_in_with_an_emailed_code_and_gets_403_on_admin_pages(
    web, vic, page, settings
):
    password_step(page, web, vic)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_label("Code we email you")).to_be_checked()
    page.get_by_label("Code", exact=True).fill(emailed_code(settings.home, vic.email))
    page.get_by_label("Code", exact=True).press("Enter")
    expect(page).to_have_url(f"{web}/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(links).to_have_text(["Home", "SQL", "Account"])
    for path in ADMIN_PAGES:
        assert page.goto(f"{web}{path}").status == 403
        expect(page).to_have_title("Forbidden · atspark")
        expect(page.locator("main .error")).to_contain_text("may not")
    shot(page, "09-forbidden")


def test_a_user_sets_up_totp_and_an_api_token_on_the_account_page(web, vic, page, settings):
    signed_in(page, web, vic, settings.home)
    page.goto(f"{web}/account")
    page.get_by_role("button", name="Set up a new authenticator").click()
    expect(page.get_by_role("img", name="QR code").locator("svg")).to_be_visible()
    secret = page.locator("#totp-setup .secret").inner_text()
    page.get_by_label("Code the app shows now").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#recovery li")).to_have_count(RECOVERY_CODES)
    shot(page, "10-account-totp")
    page.get_by_role("button", name="I have saved them").click()

    page.get_by_label("Name", exact=True).fill("laptop script")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token .secret")
    expect(token).not_to_be_empty()
    with client(web) as http:
        answer = http.get("/api/v1/me", headers={"Authorization": f"Bearer {token.inner_text()}"})
        assert answer.json()["user"]["email"] == vic.email
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("rowheader", name="laptop script")).to_be_visible()
    shot(page, "11-account")

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(f"{web}/login")
    assert page.goto(f"{web}/account").url.startswith(f"{web}/login")


def test_home_shows_each_connection_with_its_last_run_and_rows(web, ana, operator, page, tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "orders.csv").write_text("id,amount\n1,10\n2,20\n3,30\n")
    config = {"path": str(tmp_path / "shop"), "primary_key": "id"}
    connections.add_connection(operator, "acme", "files", config, {}, "shop")
    connections.add_connection(operator, "acme", "files", config, {}, "later")
    ingestion.ingest(operator, "acme", "shop")
    signed_in(page, web, ana)
    page.goto(f"{web}/")
    connections_table = page.get_by_role("table", name="last load")
    shop = connections_table.get_by_role("row").filter(has_text="shop")
    expect(shop).to_contain_text("just now")
    expect(shop).to_contain_text("3 in 1 table")
    expect(connections_table.get_by_role("row").filter(has_text="later")).to_contain_text("never")
    shot(page, "14-home-connections")
