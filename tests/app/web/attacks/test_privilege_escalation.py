"""Privilege escalation inside a tenant: viewer to admin, and a user manager against admins."""

import pytest

from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, person, sign_in


@pytest.fixture
def acme(web, operator, settings):
    """acme with an admin, a viewer and ``ua``, whose custom role holds only users.manage."""
    tenant_with_deals(operator)
    home = settings.home
    admin = person(operator, "acme", "admin@acme.io", ["admin"])
    with client(web) as http:
        sign_in(http, admin, home)
        made = http.post(
            "/api/v1/admin/roles", json={"name": "useradmin", "permissions": ["users.manage"]}
        )
        assert made.status_code == 201, made.text
    return {
        "admin": admin,
        "viewer": person(operator, "acme", "viewer@acme.io", ["viewer"]),
        "ua": person(operator, "acme", "ua@acme.io", ["useradmin"]),
        "home": home,
    }


def roles_of(web, admin, user_id: str, home) -> list[str]:
    with client(web) as http:
        sign_in(http, admin, home)
        return http.get(f"/api/v1/admin/users/{user_id}").json()["roles"]


def test_a_viewer_cannot_grant_itself_roles_or_make_roles(web, acme):
    home = acme["home"]
    viewer = acme["viewer"]
    with client(web) as http:
        sign_in(http, viewer, home)
        attempts = [
            http.patch(f"/api/v1/admin/users/{viewer.id}", json={"roles": ["admin"]}),
            http.post(
                "/api/v1/admin/roles", json={"name": "mine", "permissions": ["users.manage"]}
            ),
            http.post("/api/v1/admin/users", json={"email": "sock@acme.io", "roles": ["admin"]}),
            http.post(
                "/api/v1/admin/policies",
                json={"name": "all", "table": "deals", "filter": "true", "roles": ["viewer"]},
            ),
        ]
    assert [a.status_code for a in attempts] == [403] * 4
    assert roles_of(web, acme["admin"], viewer.id, acme["home"]) == ["viewer"]


def test_a_user_manager_cannot_grant_or_create_roles_with_more_permissions(web, acme):
    home = acme["home"]
    ua = acme["ua"]
    with client(web) as http:
        sign_in(http, ua, home)
        attempts = [
            http.patch(f"/api/v1/admin/users/{ua.id}", json={"roles": ["admin"]}),
            http.patch(f"/api/v1/admin/users/{ua.id}", json={"roles": ["useradmin", "viewer"]}),
            http.post("/api/v1/admin/users", json={"email": "sock@acme.io", "roles": ["owner"]}),
            http.post(
                "/api/v1/admin/roles",
                json={"name": "more", "permissions": ["users.manage", "audit.read"]},
            ),
        ]
    assert [a.status_code for a in attempts] == [403] * 4


def test_an_admin_cannot_make_a_role_with_permissions_nobody_has(web, acme):
    home = acme["home"]
    with client(web) as http:
        sign_in(http, acme["admin"], home)
        made = http.post("/api/v1/admin/roles", json={"name": "god", "permissions": ["*"]})
    assert made.status_code == 403


def test_a_user_manager_cannot_demote_an_admin(web, acme):
    """ua lacks six of the admin's permissions, yet replaces the admin's roles with its own."""
    home = acme["home"]
    with client(web) as http:
        sign_in(http, acme["ua"], home)
        demoted = http.patch(
            f"/api/v1/admin/users/{acme['admin'].id}", json={"roles": ["useradmin"]}
        )
    assert demoted.status_code == 403, "a user manager took the admin's permissions away"


def test_a_user_manager_cannot_remove_an_admin(web, acme):
    home = acme["home"]
    with client(web) as http:
        sign_in(http, acme["ua"], home)
        removed = http.delete(f"/api/v1/admin/users/{acme['admin'].id}")
    assert removed.status_code == 403, "a user manager removed the tenant's admin"
