"""Password guessing: lockout bypasses and telling accounts apart."""

import pytest

from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, person

GENERIC = "sign-in failed: check the tenant, email and password"
ACCOUNT_LIMIT = 5  # wrong passwords an account takes before it locks
ADDRESS_BUDGET = 25  # an address is cut off well within this many failures


@pytest.fixture
def ana(operator):
    tenant_with_deals(operator)
    return person(operator, "acme", "ana@acme.io", ["admin"])


def attempt(web, ip: str, tenant: str, email: str, password: str):
    with client(web, ip=ip) as http:
        return http.post(
            "/api/v1/auth/login", json={"tenant": tenant, "email": email, "password": password}
        )


def test_email_spellings_share_one_lockout(web, ana):
    spellings = ["ana@acme.io", "ANA@acme.io", " ana@acme.io ", "ana@ACME.IO", "Ana@Acme.Io"]
    for n, spelling in enumerate(spellings):
        attempt(web, f"203.0.113.{n + 1}", "acme", spelling, "not the password")
    locked = [attempt(web, "198.51.100.90", "acme", s, ana.password) for s in spellings]
    assert [r.status_code for r in locked] == [429] * len(spellings)


@pytest.mark.parametrize(
    "tenant, email",
    [
        ("ACME", "ana@acme.io"),
        ("\uff41\uff43\uff4d\uff45", "ana@acme.io"),
        ("acme", "\uff41na@acme.io"),
        ("acme", "ana@acme.io\u200b"),
        ("acme", "an\u0430@acme.io"),
    ],  # fullwidth, zero-width, Cyrillic a
    ids=["tenant-case", "tenant-fullwidth", "email-fullwidth", "zero-width", "cyrillic"],
)
def test_lookalike_names_are_not_the_account(web, ana, tenant, email):
    assert attempt(web, "198.51.100.91", tenant, email, ana.password).status_code == 401


def test_other_client_address_headers_are_ignored(web, ana):
    ip = "192.0.2.60"
    for n in range(ADDRESS_BUDGET):
        attempt(web, ip, "acme", f"guess{n}@acme.io", "x" * 12)
    with client(web, ip=ip) as http:
        for header in ["X-Real-IP", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP"]:
            body = {"tenant": "acme", "email": ana.email, "password": ana.password}
            answer = http.post("/api/v1/auth/login", json=body, headers={header: "192.0.2.61"})
            assert answer.status_code == 429, header


def test_one_ipv6_address_is_cut_off(web, ana):
    codes = [
        attempt(web, "2001:db8:1:2::1", "acme", f"g{n}@acme.io", "x" * 12).status_code
        for n in range(ADDRESS_BUDGET)
    ]
    assert 429 in codes


def test_rotating_addresses_within_one_ipv6_64_does_not_evade_the_address_limit(web, ana):
    """Anyone with IPv6 holds a /64: a fresh address for every guess is free."""
    codes = [
        attempt(web, f"2001:db8:1:2::{n + 1:x}", "acme", f"g{n}@acme.io", "x" * 12).status_code
        for n in range(ADDRESS_BUDGET)
    ]
    assert 429 in codes, f"{ADDRESS_BUDGET} failures from one /64 and no throttling"


def test_an_ipv6_address_written_differently_is_the_same_address(web, ana):
    for n in range(ADDRESS_BUDGET):
        attempt(web, "2001:db8:9:9::1", "acme", f"g{n}@acme.io", "x" * 12)
    same = attempt(web, "2001:DB8:9:9:0:0:0:1", "acme", ana.email, ana.password)
    assert same.status_code == 429


@pytest.mark.parametrize(
    "tenant, email",
    [("acme", "ana@acme.io"), ("acme", "ghost@acme.io"), ("nope", "ana@acme.io")],
    ids=["existing", "no-such-user", "no-such-tenant"],
)
def test_lockout_looks_the_same_for_accounts_that_do_not_exist(web, ana, tenant, email):
    answers = [
        attempt(web, f"198.18.0.{n + 1}", tenant, email, "wrong password")
        for n in range(ACCOUNT_LIMIT + 1)
    ]
    assert [a.status_code for a in answers] == [401] * ACCOUNT_LIMIT + [429]
    assert {a.json()["detail"] for a in answers[:ACCOUNT_LIMIT]} == {GENERIC}
