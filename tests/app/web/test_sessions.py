"""Sessions: idle and absolute expiry, rotation, sign-out (here and everywhere), CSRF."""

import time
from dataclasses import replace

import pytest

from governance.platform import Platform
from tests.fixtures.platform import dispose, tenant_with_deals
from tests.fixtures.web import client, person, serve, sign_in


@pytest.fixture
def people(operator):
    tenant_with_deals(operator)
    return (
        person(operator, "acme", "ana@acme.io", ["admin"]),
        person(operator, "acme", "bob@acme.io", ["member"]),
    )


@pytest.fixture
def short_lived(settings):
    """A server whose sessions end after 2 s idle or 4 s in all."""
    platform = Platform(replace(settings, session_idle_seconds=2, session_absolute_seconds=4))
    yield from serve(platform)
    dispose(platform)


def test_a_session_ends_after_the_idle_timeout(short_lived, operator, settings):
    tenant_with_deals(operator)
    ana = person(operator, "acme", "ana@acme.io", ["admin"])
    with client(short_lived) as http:
        sign_in(http, ana, settings.home)
        time.sleep(1.2)
        assert http.get("/api/v1/me").status_code == 200  # activity keeps it alive
        time.sleep(2.2)
        assert http.get("/api/v1/me").status_code == 401


def test_a_busy_session_still_ends_at_the_absolute_timeout(short_lived, operator, settings):
    tenant_with_deals(operator)
    ana = person(operator, "acme", "ana@acme.io", ["admin"])
    with client(short_lived) as http:
        sign_in(http, ana, settings.home)
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            assert http.get("/api/v1/me").status_code == 200
            time.sleep(0.5)
        time.sleep(1)
        assert http.get("/api/v1/me").status_code == 401


def test_each_sign_in_gets_a_new_session_id_and_ends_the_one_it_replaces(web, people, settings):
    ana, _ = people
    with client(web) as http:
        sign_in(http, ana, settings.home)
        first = http.cookies["atspark_session"]
        sign_in(http, ana, settings.home)
        second = http.cookies["atspark_session"]
        assert second != first and http.get("/api/v1/me").status_code == 200
        http.cookies.clear()
        http.cookies.set("atspark_session", first, domain="127.0.0.1")
        assert http.get("/api/v1/me").status_code == 401


def test_logout_ends_only_this_session(web, people, settings):
    ana, _ = people
    with client(web) as laptop, client(web) as phone:
        sign_in(laptop, ana, settings.home)
        sign_in(phone, ana, settings.home)
        assert laptop.post("/api/v1/auth/logout").status_code == 204
        assert laptop.get("/api/v1/me").status_code == 401
        assert phone.get("/api/v1/me").status_code == 200


def test_logout_everywhere_ends_every_session_of_the_caller(web, people, settings):
    ana, bob = people
    with client(web) as laptop, client(web) as phone, client(web) as other:
        sign_in(laptop, ana, settings.home)
        sign_in(phone, ana, settings.home)
        sign_in(other, bob, settings.home)
        ended = laptop.post("/api/v1/auth/logout-everywhere")
        assert ended.status_code == 200 and ended.json() == {"sessions_ended": 2}
        assert phone.get("/api/v1/me").status_code == 401
        assert other.get("/api/v1/me").status_code == 200


def test_an_admin_logs_a_user_out_everywhere_and_a_member_cannot(web, people, settings):
    ana, bob = people
    with client(web) as admin, client(web) as member:
        sign_in(admin, ana, settings.home)
        sign_in(member, bob, settings.home)
        refused = member.post(f"/api/v1/admin/users/{ana.id}/logout-everywhere")
        assert refused.status_code == 403
        ended = admin.post(f"/api/v1/admin/users/{bob.id}/logout-everywhere")
        assert ended.json() == {"sessions_ended": 1}
        assert member.get("/api/v1/me").status_code == 401
        assert admin.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("token", [None, "", "0" * 64], ids=["missing", "empty", "wrong"])
def test_a_cookie_state_change_needs_the_sessions_csrf_token(web, people, settings, token):
    ana, _ = people
    with client(web) as http:
        sign_in(http, ana, settings.home)
        del http.headers["X-CSRF-Token"]
        headers = {} if token is None else {"X-CSRF-Token": token}
        refused = http.post("/api/v1/admin/groups", json={"name": "sales"}, headers=headers)
        assert refused.status_code == 403
        assert http.get("/api/v1/admin/groups").json() == []  # reads need none; nothing made


def test_another_sessions_csrf_token_does_not_do(web, people, settings):
    ana, bob = people
    with client(web) as mine, client(web) as theirs:
        sign_in(mine, ana, settings.home)
        other_token = sign_in(theirs, bob, settings.home)
        answer = mine.post(
            "/api/v1/admin/groups", json={"name": "sales"}, headers={"X-CSRF-Token": other_token}
        )
    assert answer.status_code == 403
