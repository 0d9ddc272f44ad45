"""Attacks with personal API tokens: a token must act with its user's permissions, never more."""

import pyotp

from tests.fixtures.web import client, sign_in


def bearer(web, token: str):
    http = client(web)
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def new_token(web, who, home, ttl_days: int = 1) -> tuple[str, str]:
    with client(web) as http:
        sign_in(http, who, home)
        made = http.post("/api/v1/me/tokens", json={"name": "one day", "ttl_days": ttl_days})
    assert made.status_code == 201, made.text
    return made.json()["token"], made.json()["info"]["id"]


def test_a_one_day_token_cannot_mint_a_token_that_outlives_it(web, acme):
    """A stolen short-lived token is turned into a year-long one that survives its revocation."""
    token, token_id = new_token(web, acme["viewer"], acme["home"], ttl_days=1)
    with bearer(web, token) as http:
        child = http.post("/api/v1/me/tokens", json={"name": "persist", "ttl_days": 365})
        if child.status_code == 201:
            http.delete(f"/api/v1/me/tokens/{token_id}")  # the owner revokes the stolen token
            with bearer(web, child.json()["token"]) as persisted:
                assert persisted.get("/api/v1/me").status_code == 200  # the child lives on
    assert child.status_code in (401, 403), "a bearer token minted a longer-lived token"


def test_a_token_cannot_enrol_a_second_factor(web, acme):
    """With a token alone, an attacker adds their own authenticator (and gets recovery codes):
    with the password they then pass the second factor without the user's mailbox."""
    token, _ = new_token(web, acme["viewer"], acme["home"])
    with bearer(web, token) as http:
        started = http.post("/api/v1/me/mfa/totp")
        confirmed = None
        if started.status_code == 200:
            code = pyotp.TOTP(started.json()["secret"]).now()
            confirmed = http.post("/api/v1/me/mfa/totp/confirm", json={"code": code})
    assert started.status_code in (401, 403), "a bearer token started TOTP enrollment"
    assert confirmed is None


def test_a_token_cannot_remove_a_second_factor(web, acme):
    token, _ = new_token(web, acme["viewer"], acme["home"])
    with bearer(web, token) as http:
        removed = http.delete("/api/v1/me/mfa/totp")
    assert removed.status_code in (401, 403), "a bearer token removed the user's TOTP"


def test_a_token_follows_its_user_demotion_and_removal(web, acme):
    token, _ = new_token(web, acme["viewer"], acme["home"])
    with client(web) as admin, bearer(web, token) as http:
        sign_in(admin, acme["admin"], acme["home"])
        assert http.get("/api/v1/admin/users").status_code == 403
        assert (
            http.post("/api/v1/admin/roles", json={"name": "x", "permissions": []}).status_code
            == 403
        )
        assert admin.delete(f"/api/v1/admin/users/{acme['viewer'].id}").status_code == 204
        assert http.get("/api/v1/me").status_code == 401
        assert http.post("/api/v1/query", json={"sql": "select 1"}).status_code == 401


def test_a_revoked_token_is_refused_and_others_tokens_cannot_be_revoked(web, acme):
    token, token_id = new_token(web, acme["viewer"], acme["home"])
    with client(web) as admin, bearer(web, token) as http:
        sign_in(admin, acme["admin"], acme["home"])
        assert admin.delete(f"/api/v1/me/tokens/{token_id}").status_code == 404  # not theirs
        assert http.get("/api/v1/me").status_code == 200
        assert http.delete(f"/api/v1/me/tokens/{token_id}").status_code == 204
        assert http.get("/api/v1/me").status_code == 401
