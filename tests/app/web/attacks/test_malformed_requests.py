"""Malformed and oversized input: problem+json 4xx answers, never a 500 or a stack trace."""

import httpx
import pytest

from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, person, sign_in


@pytest.fixture
def admin(web, operator, settings):
    tenant_with_deals(operator)
    ana = person(operator, "acme", "ana@acme.io", ["admin"])
    with client(web) as http:
        sign_in(http, ana, settings.home)
        yield http


def problem(answer: httpx.Response) -> None:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in answer.text and 'File "' not in answer.text


def test_a_nul_byte_in_a_files_connection_path_is_refused_not_a_500(admin, tmp_path):
    answer = admin.post(
        "/api/v1/admin/connections",
        json={"connector": "files", "name": "nul", "config": {"path": f"{tmp_path}/a\x00b"}},
    )
    problem(answer)


def test_broken_bodies_on_sign_in(web):
    raw = {"content-type": "application/json"}
    with client(web) as http:
        answers = [
            http.post("/api/v1/auth/login", content="[" * 100_000 + "]" * 100_000, headers=raw),
            http.post("/api/v1/auth/login", content=b'{"tenant": "\xff"}', headers=raw),
            http.post("/api/v1/auth/login", content='{"tenant": "\\ud800"}', headers=raw),
            http.post("/api/v1/auth/login", content='{"tenant": NaN}', headers=raw),
            http.post(
                "/api/v1/auth/login", json={"tenant": "a", "email": "b", "password": "x" * 10**7}
            ),
            http.post("/api/v1/auth/login", json=[1, 2]),
            http.post(
                "/api/v1/auth/mfa", json={"challenge": "\x00", "method": "totp", "code": "1"}
            ),
        ]
    for answer in answers:
        problem(answer)


def test_broken_input_to_admin_and_queries(admin):
    answers = [
        admin.post("/api/v1/query", json={"sql": "select " + "(" * 5000 + "1" + ")" * 5000}),
        admin.post("/api/v1/query", json={"sql": "select " + "+".join(["1"] * 30000)}),
        admin.post("/api/v1/query", json={"sql": "select '\x00'"}),
        admin.get("/api/v1/admin/users/%FF"),
        admin.get("/api/v1/admin/users/" + "a" * 20000),
        admin.get("/api/v1/audit", params={"limit": 10**20}),
        admin.get("/api/v1/audit", params={"since": "yesterday"}),
        admin.post("/api/v1/admin/users", json={"email": "\x00", "roles": ["viewer"]}),
        admin.post("/api/v1/admin/policies", json={"name": "p", "table": "deals", "filter": "("}),
        admin.post("/api/v1/admin/connections", json={"connector": "../../etc"}),
    ]
    for answer in answers:
        problem(answer)
