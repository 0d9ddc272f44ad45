"""Signing in: password then a second factor, throttling, suspicious sign-ins, sessions."""

import pyotp
import pytest

from governance import audit
from governance.settings import Settings
from services.auth import ACCOUNT_FAILURES, ACROSS_ACCOUNTS
from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, emailed_code, login, outbox, person, sign_in


@pytest.fixture
def ana(operator):
    tenant_with_deals(operator)
    return person(operator, "acme", "ana@acme.io", ["admin"])


def events(platform, action: str, tenant_id: str | None = None) -> list:
    with platform.control_plane.session() as session:
        chains = [tenant_id] if tenant_id else [audit.PLATFORM_CHAIN]
        return [e for c in chains for e in audit.events(session, c) if e.action == action]


def tenant_id(operator) -> str:
    from services import tenants

    return tenants.get_tenant(operator, "acme").id


def test_password_then_totp_gives_a_session_and_me(web, ana):
    with client(web) as http:
        started = login(http, ana)
        assert started.status_code == 200
        body = started.json()
        assert body["mfa_required"] is True and "totp" in body["methods"]
        assert "atspark_session" not in http.cookies  # no session before the second factor
        assert http.get("/api/v1/me").status_code == 401
        code = pyotp.TOTP(ana.totp_secret).now()
        done = http.post(
            "/api/v1/auth/mfa",
            json={"challenge": body["challenge"], "method": "totp", "code": code},
        )
        assert done.status_code == 200 and done.json()["csrf_token"]
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        me = http.get("/api/v1/me").json()
    assert me["user"] == {"id": ana.id, "email": "ana@acme.io"}
    assert me["tenant"]["slug"] == "acme" and me["roles"] == ["admin"]


def test_a_totp_code_is_accepted_once(web, ana):
    code = pyotp.TOTP(ana.totp_secret).now()
    with client(web) as first, client(web) as second:
        challenges = [login(h, ana).json()["challenge"] for h in (first, second)]
        answers = [
            h.post("/api/v1/auth/mfa", json={"challenge": c, "method": "totp", "code": code})
            for h, c in zip((first, second), challenges, strict=True)
        ]
    assert [a.status_code for a in answers] == [200, 401]


@pytest.mark.parametrize(
    "change",
    [{"tenant": "nope"}, {"email": "nobody@acme.io"}, {"password": "wrong password!!"}],
    ids=["tenant", "email", "password"],
)
def test_a_wrong_tenant_email_or_password_fails_alike(web, ana, change):
    with client(web) as http:
        body = {"tenant": "acme", "email": ana.email, "password": ana.password} | change
        answer = http.post("/api/v1/auth/login", json=body)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "sign-in failed: check the tenant, email and password"


def test_an_account_locks_after_repeated_failures_even_for_the_right_password(web, ana):
    with client(web, ip="198.51.100.7") as http:
        for _ in range(ACCOUNT_FAILURES):
            assert login(http, ana, password="not the password").status_code == 401
        locked = login(http, ana)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    with client(web, ip="203.0.113.9") as elsewhere:  # the account, not just the address
        assert login(elsewhere, ana).status_code == 429


def test_failures_across_accounts_from_one_address_are_flagged(web, ana, operator):
    with client(web, ip="192.0.2.50") as http:
        for n in range(ACROSS_ACCOUNTS):
            body = {"tenant": "acme", "email": f"guess{n}@acme.io", "password": "x" * 12}
            http.post("/api/v1/auth/login", json=body)
    flagged = events(operator.platform, "auth.suspicious_login", tenant_id(operator))
    assert len(flagged) == 1 and flagged[0].context["ip"] == "192.0.2.50"


def test_a_sign_in_from_a_new_network_is_audited_and_mailed(web, ana, operator, settings):
    with client(web, ip="198.51.100.10") as http:
        sign_in(http, ana, settings.home)
    with client(web, ip="198.51.100.99") as http:  # same /24
        sign_in(http, ana, settings.home)
    assert events(operator.platform, "auth.suspicious_login", tenant_id(operator)) == []
    with client(web, ip="203.0.113.5") as http:
        sign_in(http, ana, settings.home)
    flagged = events(operator.platform, "auth.suspicious_login", tenant_id(operator))
    assert [e.context["network"] for e in flagged] == ["203.0.113.0/24"]
    assert outbox(settings.home, ana.email)[-1]["Subject"] == "New sign-in to atspark"


def test_the_emailed_code_signs_in_once(web, ana, settings: Settings):
    with client(web) as http:
        challenge = login(http, ana).json()["challenge"]
        assert http.post("/api/v1/auth/mfa/email", json={"challenge": challenge}).status_code == 202
        code = emailed_code(settings.home, ana.email)
        answer = {"challenge": challenge, "method": "email", "code": code}
        assert http.post("/api/v1/auth/mfa", json=answer).status_code == 200
        assert http.post("/api/v1/auth/mfa", json=answer).status_code == 401


def test_sign_in_lockout_and_sessions_on_each_control_plane(any_web, any_operator, settings):
    tenant_with_deals(any_operator)
    ana = person(any_operator, "acme", "ana@acme.io", ["admin"])
    with client(any_web, ip="198.51.100.1") as http:
        sign_in(http, ana)
        assert http.get("/api/v1/me").json()["user"]["email"] == ana.email
        assert http.post("/api/v1/auth/logout-everywhere").json() == {"sessions_ended": 1}
        for _ in range(ACCOUNT_FAILURES):
            assert login(http, ana, password="not the password").status_code == 401
        assert login(http, ana).status_code == 429


def test_sign_ins_and_their_failures_are_audited_without_secrets(web, ana, operator, settings):
    with client(web, ip="198.51.100.3") as http:
        login(http, ana, password="the wrong password")
        http.post(
            "/api/v1/auth/login", json={"tenant": "nope", "email": "x@y.io", "password": "p" * 12}
        )
        sign_in(http, ana, settings.home)
        http.post("/api/v1/auth/logout")
    chain = tenant_id(operator)
    with operator.platform.control_plane.session() as session:
        trail = [
            (e.action, e.outcome, e.context.get("reason"))
            for e in audit.events(session, chain)
            if e.action.startswith("auth.")
        ]
        platform_trail = [
            (e.action, e.context.get("reason")) for e in audit.events(session, audit.PLATFORM_CHAIN)
        ]
        every_context = str([e.context for e in audit.events(session, chain)])
    assert trail[1:] == [
        ("auth.login", "refused", "wrong password"),
        ("auth.login", "ok", None),
        ("auth.mfa_email", "ok", None),
        ("auth.mfa", "ok", None),
        ("auth.logout", "ok", None),
    ]
    assert ("auth.login", "no such tenant") in platform_trail
    assert ana.password not in every_context and "the wrong password" not in every_context
    assert emailed_code(settings.home, ana.email) not in every_context
