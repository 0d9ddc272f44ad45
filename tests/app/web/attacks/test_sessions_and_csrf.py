"""Cookie sessions: fixation, rotation, CSRF on state changes, security headers."""

import httpx
import pytest

from tests.fixtures.web import client, emailed_code, login, sign_in


def session_of(http: httpx.Client) -> str:
    return next(c.value for c in http.cookies.jar if c.name == "atspark_session")


def me_with(web, session: str) -> httpx.Response:
    return httpx.get(f"{web}/api/v1/me", headers={"Cookie": f"atspark_session={session}"})


def test_a_planted_session_id_is_not_adopted(web, acme):
    admin, planted = acme["admin"], "attacker-chosen-session-id-0123456789"
    headers = {"Cookie": f"atspark_session={planted}"}
    with httpx.Client(base_url=web, headers=headers) as http:
        challenge = login(http, admin).json()["challenge"]
        http.post("/api/v1/auth/mfa/email", json={"challenge": challenge})
        code = emailed_code(acme["home"], admin.email)
        done = http.post(
            "/api/v1/auth/mfa", json={"challenge": challenge, "method": "email", "code": code}
        )
    assert done.status_code == 200
    assert planted not in done.headers["set-cookie"]
    assert me_with(web, planted).status_code == 401


def test_signing_in_again_ends_the_session_it_replaces(web, acme):
    """A browser that signs in again (here as another user) gets a new cookie, but the session
    it replaces stays valid: rotation without revocation."""
    with client(web) as http:
        sign_in(http, acme["viewer"], acme["home"])
        first = session_of(http)
        sign_in(http, acme["admin"], acme["home"])
        second = session_of(http)
    assert first != second
    assert me_with(web, second).json()["user"]["email"] == "admin@acme.io"
    assert me_with(web, first).status_code == 401, "the replaced session still works"


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(web, acme):
    with client(web) as http:
        http.headers["X-Forwarded-Proto"] = "https"
        challenge = login(http, acme["admin"]).json()["challenge"]
        http.post("/api/v1/auth/mfa/email", json={"challenge": challenge})
        code = emailed_code(acme["home"], acme["admin"].email)
        done = http.post(
            "/api/v1/auth/mfa", json={"challenge": challenge, "method": "email", "code": code}
        )
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_logout_ends_the_session(web, acme):
    with client(web) as http:
        sign_in(http, acme["admin"], acme["home"])
        session = session_of(http)
        assert http.post("/api/v1/auth/logout").status_code == 204
    assert me_with(web, session).status_code == 401


@pytest.fixture
def admin_session(web, acme):
    """An admin's cookie session without the CSRF header, and a viewer's CSRF token."""
    with client(web) as other:
        other_token = sign_in(other, acme["viewer"], acme["home"])
    with client(web) as http:
        token = sign_in(http, acme["admin"], acme["home"])
        del http.headers["X-CSRF-Token"]
        yield http, token, other_token


@pytest.mark.parametrize(
    "variant",
    [
        "missing",
        "empty",
        "other-session",
        "prefix",
        "query",
        "cookie",
        "form",
        "text-plain",
        "token-scheme",
        "basic-auth",
    ],
)
def test_state_changes_with_the_cookie_need_this_sessions_csrf_token(admin_session, variant):
    http, token, other_token = admin_session
    headers, params, cookies = {}, {}, {}
    body = {"json": {"name": "pwned"}}
    match variant:
        case "empty":
            headers["X-CSRF-Token"] = ""
        case "other-session":
            headers["X-CSRF-Token"] = other_token
        case "prefix":
            headers["X-CSRF-Token"] = token[:16]
        case "query":
            params["csrf_token"] = token
        case "cookie":
            cookies["csrf_token"] = token
        case "form":
            body = {"data": {"name": "pwned", "csrf_token": token}}
        case "text-plain":
            body = {"content": b'{"name": "pwned"}', "headers": {"Content-Type": "text/plain"}}
        case "token-scheme":
            headers["Authorization"] = "Token whatever"
        case "basic-auth":
            headers["Authorization"] = "Basic YTpi"
    extra_headers = body.pop("headers", {})
    answer = http.post(
        "/api/v1/admin/groups",
        headers=headers | extra_headers,
        params=params,
        cookies=cookies,
        **body,
    )
    assert answer.status_code == 403
    assert "pwned" not in http.get("/api/v1/admin/groups").text


def test_a_get_with_a_method_override_changes_nothing(admin_session):
    http, _, _ = admin_session
    http.request("GET", "/api/v1/admin/users/x", headers={"X-HTTP-Method-Override": "DELETE"})
    answer = http.post("/api/v1/admin/groups?_method=GET", json={"name": "pwned"})
    assert answer.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-everywhere",
        "/api/v1/me/tokens",
        "/api/v1/me/mfa/totp",
        "/api/v1/query",
    ],
)
def test_every_cookie_post_needs_the_csrf_token(admin_session, path):
    http, _, _ = admin_session
    assert http.post(path, json={"sql": "select 1"}).status_code == 403


def test_security_headers_and_no_cors_for_other_origins(web, acme):
    with client(web) as http:
        sign_in(http, acme["admin"], acme["home"])
        answer = http.get("/api/v1/me", headers={"Origin": "https://evil.example"})
    headers = answer.headers
    assert "max-age=" in headers["strict-transport-security"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in headers
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize("value", ["abc", "<script>x</script>", "a" * 4000, "caf\u00e9"])
def test_the_request_id_header_is_not_reflected(web, value):
    with client(web) as http:
        answer = http.get("/nope", headers={"X-Request-ID": value.encode("utf-8")})
    assert answer.headers["x-request-id"] != value
    assert value not in answer.text
