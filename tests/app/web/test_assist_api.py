"""``POST /api/v1/assist/ask`` and ``GET /api/v1/assist/questions``: the contract over HTTP."""

import httpx
import pytest

from governance.platform import Platform
from governance.settings import Settings
from tests.fixtures.assist import MEMBER, OWNER, VIEWER, stripe_world
from tests.fixtures.platform import dispose
from tests.fixtures.web import bearer, client, person, serve, sign_in

CONTRACT = {"question", "sql", "columns", "rows", "row_count", "provider", "model"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app over the assist world: its base URL and bearer headers per user."""
    platform = Platform(Settings(home=tmp_path_factory.mktemp("ask-api") / "home"))
    operator = stripe_world(platform)
    people = {who: bearer(operator, "acme", who) for who in (OWNER, MEMBER, VIEWER)}
    signer = person(operator, "acme", "cy@acme.io", ["admin"])
    for served in serve(platform):
        yield served, people, signer, platform.settings.home
    dispose(platform)


def ask(app, who: str, question: str) -> httpx.Response:
    base, people, _, _ = app
    with client(base) as http:
        return http.post("/api/v1/assist/ask", json={"question": question}, headers=people[who])


def test_an_owner_asks_with_a_token_and_gets_the_contracts_answer(app):
    answer = ask(app, OWNER, "ARR by quarter in 2025")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert CONTRACT <= set(body) and body["provider"] == "offline"
    assert body["columns"] == ["period", "arr"] and body["row_count"] == len(body["rows"]) == 4


def test_a_question_without_an_answer_is_a_problem_with_its_reason_and_no_rows(app):
    answer = ask(app, MEMBER, "why did churn go up?")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["rows"] == [] and body["row_count"] == 0 and body["outcome"] == "declined"
    assert body["detail"] and body["question"] == "why did churn go up?"


def test_a_member_without_a_policy_on_the_metrics_tables_is_told_so(app):
    answer = ask(app, MEMBER, "ARR by quarter in 2025")
    assert answer.status_code == 422 and answer.json()["rows"] == []
    assert "invoices" in answer.json()["detail"]


def test_asking_needs_assist_use(app):
    base, people, _, _ = app
    with client(base) as http:
        refused = http.post("/api/v1/assist/ask", json={"question": "mrr"}, headers=people[VIEWER])
        recent = http.get("/api/v1/assist/questions", headers=people[VIEWER])
    assert refused.status_code == recent.status_code == 403
    assert "rows" not in refused.json()


def test_a_signed_in_person_asks_with_the_csrf_token_and_not_without(app):
    base, _, signer, home = app
    with client(base) as http:
        sign_in(http, signer, home)
        token = http.headers.pop("X-CSRF-Token")
        forged = http.post("/api/v1/assist/ask", json={"question": "mrr last month"})
        asked = http.post(
            "/api/v1/assist/ask", json={"question": "mrr last month"},
            headers={"X-CSRF-Token": token},
        )  # fmt: skip
        recent = http.get("/api/v1/assist/questions")
    assert forged.status_code == 403 and asked.status_code == 200
    assert recent.json() == ["mrr last month"]


@pytest.mark.parametrize("body", [{}, {"question": ""}, {"question": "x" * 2001}, {"q": "mrr"}])
def test_a_malformed_question_is_refused_before_anything_runs(app, body):
    base, people, _, _ = app
    with client(base) as http:
        answer = http.post("/api/v1/assist/ask", json=body, headers=people[MEMBER])
    assert answer.status_code == 422
