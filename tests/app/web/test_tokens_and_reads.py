"""API tokens, permissions and governed reads over HTTP."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from governance.store.models import ApiToken
from services import auth, policies
from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, person, sign_in

ATSPARK = str(Path(sys.executable).parent / "atspark")


@pytest.fixture
def acme_people(operator):
    tenant_with_deals(operator)
    policies.add_policy(operator, "acme", "emea", "deals", "region = 'emea'", roles=["viewer"])
    return (
        person(operator, "acme", "ana@acme.io", ["admin"]),
        person(operator, "acme", "vic@acme.io", ["viewer"]),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_cli_token_acts_as_its_user_and_is_stored_hashed(web, acme_people, platform):
    created = subprocess.run(
        [ATSPARK, "token", "create", "acme", "vic@acme.io", "--ttl", "2h"],
        capture_output=True,
        text=True,
        env=os.environ,
        check=True,
    )
    token = created.stdout.strip()
    with client(web) as http:
        me = http.get("/api/v1/me", headers=bearer(token)).json()
        assert me["user"]["email"] == "vic@acme.io" and me["permissions"] == ["data.read"]
        assert http.get("/api/v1/admin/users", headers=bearer(token)).status_code == 403
    with platform.control_plane.session() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in (platform.settings.home / "control.db").read_bytes().decode("latin-1")


@pytest.mark.parametrize("ttl", ["0d", "400d", "soon", "12"])
def test_a_bad_ttl_is_refused_in_one_line(acme_people, ttl):
    answer = subprocess.run(
        [ATSPARK, "token", "create", "acme", "vic@acme.io", "--ttl", ttl],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert answer.returncode == 1 and len(answer.stderr.strip().splitlines()) == 1


def test_a_revoked_token_no_longer_works(web, acme_people, operator):
    _, vic = acme_people
    token, info = auth.create_api_token(operator, "acme", vic.email)
    with client(web) as http:
        assert http.get("/api/v1/me", headers=bearer(token)).status_code == 200
        assert http.delete(f"/api/v1/me/tokens/{info.id}", headers=bearer(token)).status_code == 204
        assert http.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_token_follows_its_users_roles_never_more(web, acme_people, operator):
    from services import identity

    _, vic = acme_people
    token, _ = auth.create_api_token(operator, "acme", vic.email)
    identity.set_user(operator, "acme", vic.email, roles=["admin"])
    with client(web) as http:
        assert http.get("/api/v1/admin/users", headers=bearer(token)).status_code == 200
        identity.set_user(operator, "acme", vic.email, roles=["viewer"])
        assert http.get("/api/v1/admin/users", headers=bearer(token)).status_code == 403
        identity.remove_user(operator, "acme", vic.email)
        assert http.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_viewer_reads_through_policies_and_sees_only_granted_tables(web, acme_people, settings):
    ana, vic = acme_people
    with client(web) as viewer, client(web) as admin:
        sign_in(viewer, vic, settings.home)
        sign_in(admin, ana, settings.home)
        sql = {"sql": "SELECT id, region FROM deals ORDER BY id"}
        seen = viewer.post("/api/v1/query", json=sql).json()
        assert seen["columns"] == ["id", "region"] and seen["rows"] == [[1, "emea"], [2, "emea"]]
        assert seen["row_count"] == 2
        assert admin.post("/api/v1/query", json=sql).json()["row_count"] == 5
        assert [t["name"] for t in viewer.get("/api/v1/tables").json()] == ["deals"]
        assert [t["name"] for t in admin.get("/api/v1/tables").json()] == ["deals", "notes"]
        refused = viewer.post("/api/v1/query", json={"sql": "DROP TABLE deals"})
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "application/problem+json"


def test_queries_over_http_are_audited_with_the_request(web, acme_people, settings):
    ana, vic = acme_people
    with client(web, ip="198.51.100.4") as http:
        sign_in(http, vic, settings.home)
        http.post(
            "/api/v1/query",
            json={"sql": "SELECT 1 AS one"},
            headers={"X-Request-ID": "req-12345678"},
        )
    with client(web) as admin:
        sign_in(admin, ana, settings.home)
        found = admin.get("/api/v1/audit", params={"action": "query", "actor": vic.email}).json()
    assert found[0]["context"]["ip"] == "198.51.100.4"
    assert found[0]["context"]["request_id"] == "req-12345678"


def test_user_add_password_stdin_lets_them_sign_in(web, operator, settings):
    tenant_with_deals(operator)
    subprocess.run(
        [ATSPARK, "user", "add", "acme", "zed@acme.io", "--role", "viewer", "--password-stdin"],
        input="a long enough password\n",
        text=True,
        env=os.environ,
        check=True,
    )
    with client(web) as http:
        body = {"tenant": "acme", "email": "zed@acme.io", "password": "a long enough password"}
        answer = http.post("/api/v1/auth/login", json=body)
    assert answer.status_code == 200 and answer.json()["methods"] == ["email"]


def test_a_short_password_is_refused_and_nothing_added(operator):
    tenant_with_deals(operator)
    answer = subprocess.run(
        [ATSPARK, "user", "add", "acme", "zed@acme.io", "--role", "viewer", "--password-stdin"],
        input="short\n",
        capture_output=True,
        text=True,
        env=os.environ,
    )
    assert answer.returncode == 1 and "12" in answer.stderr
    listed = subprocess.run([ATSPARK, "user", "list", "acme"], capture_output=True, text=True)
    assert "zed@acme.io" not in listed.stdout


def test_security_headers_on_every_answer(web):
    with client(web) as http:
        for answer in (http.get("/health"), http.get("/api/v1/me")):
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["strict-transport-security"].startswith("max-age=")
