"""The Ask page in headless Chromium: a member asks about a loaded Stripe connection and sees the
answer as the API gives it (a table, a chart where one fits, the SQL on request), asks again
from their recent questions, and reads why a question was declined; a viewer may not ask.
Screenshots land in ``/tmp/ask-*.png``."""

import itertools
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from connectors.sandbox.stripe import running_stripe_sandbox
from governance.platform import Platform
from governance.settings import Settings
from services import connections, policies, tenants
from services.context import Operator, ServiceContext
from services.ingestion import ingest
from tests.app.web import test_pages
from tests.app.web.test_pages import signed_in
from tests.fixtures.platform import dispose
from tests.fixtures.web import Person, bearer, client, person, serve

BY_MONTH = "MRR by month in 2025"
TOP_CUSTOMERS = "top 10 customers by revenue last quarter"
SINGLE_VALUE = "how many charges failed in 2025"
UNANSWERABLE = "what is the <b>weather</b> in Paris"
AMOUNT = re.compile(r"-?\d{1,3}(,\d{3})*\.\d{2}")
people = itertools.count()
browser, page = test_pages.browser, test_pages.page  # fixtures: Debian's Chromium, a fresh tab


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[ServiceContext]:
    """acme with a Stripe connection loaded from the sandbox, every row of which members may
    read. Yields the operator's context."""
    platform = Platform(Settings(home=tmp_path_factory.mktemp("ask") / "home"))
    operator = ServiceContext(platform, Operator("test"))
    with running_stripe_sandbox(seed=5, customers=60, rate_limit_every=None) as url:
        tenants.create_tenant(operator, "acme")
        connections.add_connection(
            operator, "acme", "stripe", {"base_url": url}, {"api_key": "sk_test_sandbox"}
        )
        loaded = ingest(operator, "acme", "stripe")
    for table in loaded.rows:
        policies.add_policy(operator, "acme", f"members_{table}", table, "TRUE", ["member"])
    yield operator
    dispose(platform)


@pytest.fixture(scope="module")
def web(world: ServiceContext) -> Iterator[str]:
    yield from serve(world.platform)


def newcomer(world: ServiceContext, role: str) -> Person:
    """A new user of acme with ``role``: no questions asked yet, a TOTP code not yet spent."""
    return person(world, "acme", f"{role}{next(people)}@acme.io", [role])


@pytest.fixture
def member(world: ServiceContext) -> Person:
    return newcomer(world, "member")


def answer_of(web: str, world: ServiceContext, who: Person, question: str) -> httpx.Response:
    """What the API answers ``who`` for ``question``, signed in with a new API token."""
    with client(web) as http:
        http.headers.update(bearer(world, who.tenant, who.email))
        return http.post("/api/v1/assist/ask", json={"question": question})


def ask(page: Page, question: str, press_enter: bool = False) -> None:
    page.get_by_label("Your question").fill(question)
    if press_enter:
        page.get_by_label("Your question").press("Enter")
    else:
        page.get_by_role("button", name="Ask", exact=True).click()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/ask-{name}.png", full_page=True)


def answer_table(page: Page, question: str):
    return page.get_by_role("table", name=question)


def test_a_period_answer_is_a_table_as_the_api_gives_it_with_a_line_chart_and_the_sql(
    web, world, member, page
):
    expected = answer_of(web, world, member, BY_MONTH).json()
    signed_in(page, web, member)
    page.goto(f"{web}/ask")
    ask(page, BY_MONTH, press_enter=True)
    table = answer_table(page, expected["question"])
    expect(table.get_by_role("columnheader")).to_have_text(expected["columns"])
    expect(table.locator("tbody tr")).to_have_count(expected["row_count"])
    expect(page.locator("#ask .message")).to_have_text(f"{expected['row_count']} rows")
    expect(page.get_by_text(expected["explanation"])).to_be_visible()
    amounts = table.locator("tbody td.number").all_inner_texts()
    assert all(AMOUNT.fullmatch(amount) for amount in amounts), amounts
    assert [float(a.replace(",", "")) for a in amounts] == [row[1] for row in expected["rows"]]

    chart = page.get_by_role("img", name=f"Line chart of {expected['columns'][1]} by period")
    expect(chart.locator("circle")).to_have_count(expected["row_count"])
    expect(chart.locator("text.axis-title")).to_have_text(["period", expected["columns"][1]])
    expect(page.locator(".sql pre")).to_be_hidden()
    page.get_by_text("Show SQL").click()
    expect(page.locator(".sql pre")).to_have_text(expected["sql"])
    expect(page.locator(".answer")).to_contain_text("Answered by offline · model metric-catalog")
    shot(page, "line-chart")


def test_a_category_answer_gets_bars_and_a_single_value_no_chart(web, world, member, page):
    top = answer_of(web, world, member, TOP_CUSTOMERS).json()
    single = answer_of(web, world, member, SINGLE_VALUE).json()
    signed_in(page, web, member)
    page.goto(f"{web}/ask")
    ask(page, TOP_CUSTOMERS)
    table = answer_table(page, TOP_CUSTOMERS)
    expect(table.locator("tbody td:first-child")).to_have_text([row[0] for row in top["rows"]])
    chart = page.get_by_role("img", name=f"Bar chart of {top['columns'][1]} by customer")
    expect(chart.locator("rect.bar")).to_have_count(top["row_count"])
    shot(page, "bar-chart")

    ask(page, SINGLE_VALUE)
    table = answer_table(page, SINGLE_VALUE)
    expect(table.get_by_role("columnheader")).to_have_text(single["columns"])
    expect(table.locator("tbody td")).to_have_text([f"{single['rows'][0][0]:,}"])
    expect(page.locator(".chart svg")).to_have_count(0)
    expect(page.locator(".chart")).to_be_hidden()
    shot(page, "single-value")


def test_recent_questions_survive_a_reload_and_ask_again(web, member, page):
    signed_in(page, web, member)
    page.goto(f"{web}/ask")
    recent = page.get_by_role("list", name="Your recent questions")
    expect(recent.get_by_role("button")).to_have_count(0)
    for question in (SINGLE_VALUE, BY_MONTH):
        ask(page, question)
        expect(answer_table(page, question)).to_be_visible()
    expect(recent.get_by_role("button")).to_have_text([BY_MONTH, SINGLE_VALUE])
    page.reload()
    expect(recent.get_by_role("button")).to_have_text([BY_MONTH, SINGLE_VALUE])
    expect(page.locator("#answer")).to_be_hidden()
    shot(page, "recent")
    recent.get_by_role("button", name=SINGLE_VALUE).click()
    expect(page.get_by_label("Your question")).to_have_value(SINGLE_VALUE)
    expect(answer_table(page, SINGLE_VALUE)).to_be_visible()
    expect(recent.get_by_role("button")).to_have_text([SINGLE_VALUE, BY_MONTH])


def test_a_declined_question_shows_its_reason_as_text_and_no_table(web, world, member, page):
    declined = answer_of(web, world, member, UNANSWERABLE)
    assert declined.status_code == 422
    signed_in(page, web, member)
    page.goto(f"{web}/ask")
    ask(page, BY_MONTH)
    expect(answer_table(page, BY_MONTH)).to_be_visible()
    ask(page, UNANSWERABLE)
    expect(page.get_by_role("alert")).to_have_text(declined.json()["detail"])
    expect(page.locator("#answer")).to_be_hidden()
    expect(page.get_by_role("table")).to_have_count(0)
    recent = page.get_by_role("list", name="Your recent questions")
    expect(recent.get_by_role("button").first).to_have_text(UNANSWERABLE)
    expect(recent.locator("b")).to_have_count(0)  # the question's markup stays text
    shot(page, "declined")


def test_a_viewer_has_no_ask_link_and_gets_an_error_page(web, world, page):
    signed_in(page, web, newcomer(world, "viewer"))
    page.goto(f"{web}/")
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(links).to_have_text(["Home", "SQL", "Account"])
    assert page.goto(f"{web}/ask").status == 403
    expect(page).to_have_title("Forbidden · atspark")
    expect(page.locator("main .error")).to_contain_text("may not")
    shot(page, "viewer-forbidden")
