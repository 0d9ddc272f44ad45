"""The audit log as an attacker meets it: what it shows an admin, and what it must not keep."""

import pyotp

from tests.fixtures.web import client, emailed_code, login, sign_in


def audit(web, who, home, **params) -> list[dict]:
    with client(web, ip="192.0.2.200") as http:
        sign_in(http, who, home)
        answer = http.get("/api/v1/audit", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_audit_log_lists_the_newest_events_first(web, acme):
    """Documented as newest first; it returns the oldest, so with ``limit`` (default 200) an
    admin never sees the latest events once a tenant has more than ``limit``."""
    events = audit(web, acme["admin"], acme["home"], limit=3)
    sequences = [e["sequence"] for e in events]
    everything = audit(web, acme["admin"], acme["home"], limit=1000)
    newest = max(e["sequence"] for e in everything)
    assert sequences == sorted(sequences, reverse=True), f"oldest first: {sequences}"
    assert sequences[0] >= newest - 5


def test_a_password_typed_into_the_email_field_is_not_kept_in_the_audit_log(web, acme):
    """An unknown account's attempt is audited with the raw text typed as the email: users who
    type their password there leave it readable by every tenant admin."""
    password_typed_as_email = "Tr0ub4dor&3-horse"
    with client(web, ip="198.51.100.30") as http:
        body = {"tenant": "acme", "email": password_typed_as_email, "password": "whatever!!"}
        assert http.post("/api/v1/auth/login", json=body).status_code == 401
    events = audit(web, acme["admin"], acme["home"], limit=1000)
    assert password_typed_as_email not in str(events)


def test_a_refused_attempt_to_grant_oneself_admin_is_audited(web, acme):
    viewer = acme["viewer"]
    with client(web, ip="198.51.100.31") as http:
        sign_in(http, viewer, acme["home"])
        tried = http.patch(f"/api/v1/admin/users/{viewer.id}", json={"roles": ["admin"]})
    assert tried.status_code == 403
    events = audit(web, acme["admin"], acme["home"], limit=1000)
    refused = [
        e
        for e in events
        if e["actor"] == viewer.email
        and e["outcome"] != "ok"
        and e["action"] not in ("auth.login", "auth.mfa", "auth.mfa_email")
    ]
    assert refused, "a viewer's attempt to make itself admin left no trace in the audit log"


def test_no_secret_reaches_the_audit_log(web, acme):
    admin, home = acme["admin"], acme["home"]
    secrets = []
    with client(web, ip="198.51.100.32") as http:
        challenge = login(http, admin).json()["challenge"]
        http.post("/api/v1/auth/mfa/email", json={"challenge": challenge})
        code = emailed_code(home, admin.email)
        done = http.post(
            "/api/v1/auth/mfa", json={"challenge": challenge, "method": "email", "code": code}
        )
        csrf = done.json()["csrf_token"]
        http.headers["X-CSRF-Token"] = csrf
        token = http.post("/api/v1/me/tokens", json={"name": "t"}).json()["token"]
        started = http.post("/api/v1/me/mfa/totp").json()
        confirmed = http.post(
            "/api/v1/me/mfa/totp/confirm", json={"code": pyotp.TOTP(started["secret"]).now()}
        ).json()
        added = http.post(
            "/api/v1/admin/connections",
            json={
                "connector": "stripe",
                "name": "billing",
                "config": {"base_url": "http://127.0.0.1:9/"},
                "secrets": {"api_key": "sk_live_do_not_log_me_42"},
            },
        )
        assert added.status_code == 201, added.text
        assert added.json()["secrets"]["api_key"] != "sk_live_do_not_log_me_42"
        shown = http.get("/api/v1/admin/connections/billing").json()
        session = next(c.value for c in http.cookies.jar if c.name == "atspark_session")
        secrets = [
            admin.password,
            code,
            csrf,
            token,
            session,
            started["secret"],
            *confirmed["recovery_codes"],
            "sk_live_do_not_log_me_42",
        ]
    assert "sk_live_do_not_log_me_42" not in str(shown)
    with client(web, ip="198.51.100.33") as http:
        login(http, admin, password="my-wrong-but-real-password")  # a wrong password, too
    secrets.append("my-wrong-but-real-password")
    text = str(audit(web, admin, home, limit=1000))
    assert [s for s in secrets if s in text] == []
