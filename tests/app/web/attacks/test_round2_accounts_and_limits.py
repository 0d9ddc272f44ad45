"""Round 2: account names that look alike, fields the API ignores, who may touch ``owner`` and
one's own attributes, and how much an attacker may make the server read and keep."""

import json

import pytest

from tests.fixtures.platform import tenant_with_deals
from tests.fixtures.web import client, person, sign_in

MB = 1024 * 1024


@pytest.fixture
def admin(web, acme):
    with client(web, ip="192.0.2.20") as http:
        sign_in(http, acme["admin"], acme["home"])
        yield http


def emails(http) -> list[str]:
    return sorted(u["email"] for u in http.get("/api/v1/admin/users").json())


@pytest.mark.parametrize("spelling", ["VIEWER@acme.io", "viewer@ACME.IO", " viewer@acme.io\n"])
def test_case_and_spaces_do_not_make_a_second_viewer(admin, spelling):
    answer = admin.post("/api/v1/admin/users", json={"email": spelling, "roles": ["viewer"]})
    assert answer.status_code == 409
    assert emails(admin).count("viewer@acme.io") == 1


@pytest.mark.parametrize(
    "spelling",
    [
        "\uff36\uff29\uff25\uff37\uff25\uff32@acme.io",
        "viewer@\uff41\uff43\uff4d\uff45.io",
        "viewer@acme.io.",
        '"viewer"@acme.io',
        "<viewer@acme.io>",
        "vie\u200bwer@acme.io",
    ],
    ids=["fullwidth-local", "fullwidth-domain", "trailing-dot", "quoted", "angle", "zero-width"],
)
def test_a_lookalike_of_an_existing_email_is_not_a_new_user(admin, spelling):
    """Each of these is viewer@acme.io to a reader of the users page or the audit log, and most
    reach the same mailbox (where the sign-in codes go), yet each becomes a separate account."""
    answer = admin.post("/api/v1/admin/users", json={"email": spelling, "roles": ["viewer"]})
    assert answer.status_code in (400, 409), f"{spelling!r} became user {answer.json()['email']!r}"


def test_fields_outside_the_schema_are_ignored(web, admin, acme):
    viewer = acme["viewer"]
    extra = {
        "email": "admin2@acme.io",
        "password": "chosen by the attacker",
        "tenant": "globex",
        "id": acme["admin"].id,
        "permissions": ["users.manage"],
        "mfa": [],
    }
    changed = admin.patch(f"/api/v1/admin/users/{viewer.id}", json=extra)
    new = {"email": "new@acme.io", "roles": ["viewer"]}
    made = admin.post("/api/v1/admin/users", json=new | extra)
    assert changed.status_code == 200 and made.status_code == 201
    assert changed.json()["email"] == "viewer@acme.io" and made.json()["id"] != acme["admin"].id
    with client(web, ip="192.0.2.21") as http:
        for email in ["new@acme.io", "viewer@acme.io"]:
            body = {"tenant": "acme", "email": email, "password": "chosen by the attacker"}
            assert http.post("/api/v1/auth/login", json=body).status_code == 401
    me = admin.get(f"/api/v1/admin/users/{viewer.id}").json()
    assert me["roles"] == ["viewer"]


@pytest.fixture
def managers(web, operator, acme):
    """``ua`` (a role with only users.manage), ``owner1`` (the owner role) and, for row policies,
    ``rm``: users.manage and data.read, reading only the region in its attributes."""
    with client(web, ip="192.0.2.22") as http:
        sign_in(http, acme["admin"], acme["home"])
        for name, permissions in [
            ("useradmin", ["users.manage"]),
            ("regional", ["users.manage", "data.read"]),
        ]:
            made = http.post("/api/v1/admin/roles", json={"name": name, "permissions": permissions})
            assert made.status_code == 201, made.text
        policy = {
            "name": "own_region",
            "table": "deals",
            "filter": "region in {{ user.attr.region }}",
            "roles": ["regional"],
        }
        assert http.post("/api/v1/admin/policies", json=policy).status_code == 201
    return acme | {
        "ua": person(operator, "acme", "ua@acme.io", ["useradmin"]),
        "owner": person(operator, "acme", "owner1@acme.io", ["owner"]),
        "rm": person(operator, "acme", "rm@acme.io", ["regional"], attributes={"region": ["emea"]}),
    }


def test_a_user_manager_can_neither_grant_nor_touch_owner(web, managers):
    owner, ua = managers["owner"], managers["ua"]
    with client(web, ip="192.0.2.23") as http:
        sign_in(http, ua, managers["home"])
        answers = [
            http.patch(f"/api/v1/admin/users/{ua.id}", json={"roles": ["owner"]}),
            http.post("/api/v1/admin/users", json={"email": "o2@acme.io", "roles": ["owner"]}),
            http.patch(f"/api/v1/admin/users/{owner.id}", json={"roles": ["viewer"]}),
            http.patch(f"/api/v1/admin/users/{owner.id}", json={"attributes": {"a": ["b"]}}),
            http.post(f"/api/v1/admin/users/{owner.id}/logout-everywhere"),
            http.delete(f"/api/v1/admin/users/{owner.id}"),
        ]
        remade = http.post("/api/v1/admin/roles", json={"name": "owner", "permissions": []})
    assert [a.status_code for a in answers] == [403] * len(answers)
    assert remade.status_code == 409


def deal_ids(http) -> list[int]:
    answer = http.post("/api/v1/query", json={"sql": "select id from deals order by id"})
    assert answer.status_code == 200, answer.text
    return [row[0] for row in answer.json()["rows"]]


def test_a_user_manager_cannot_widen_its_own_row_policy(web, managers):
    """rm reads only its region's deals (emea: 1 and 2); a user manager holding the permissions
    it has, it may rewrite its own attributes, and so the row policy that binds it."""
    rm = managers["rm"]
    with client(web, ip="192.0.2.24") as http:
        sign_in(http, rm, managers["home"])
        before = deal_ids(http)
        widen = {"attributes": {"region": ["apac", "us", "x' OR '1'='1"]}}
        changed = http.patch(f"/api/v1/admin/users/{rm.id}", json=widen)
        after = deal_ids(http)
    assert before == [1, 2]
    assert (changed.status_code, after) == (403, [1, 2]), f"rm now reads deals {after}"


def test_setting_an_attribute_value_the_user_already_has_is_not_a_server_error(admin, acme):
    """PATCH with a value the user holds already fails on the database's unique constraint: a 500,
    or the connection reset, instead of a no-op (so a value can never be kept while adding one)."""
    viewer = acme["viewer"]
    same = {"attributes": {"region": ["emea"]}}
    assert admin.patch(f"/api/v1/admin/users/{viewer.id}", json=same).status_code == 200
    again = admin.patch(f"/api/v1/admin/users/{viewer.id}", json=same)
    assert again.status_code == 200, again.text


def test_the_last_user_manager_cannot_demote_itself(web, operator, settings):
    """A tenant whose only admin drops its own admin role has nobody left to manage it."""
    tenant_with_deals(operator, "solo")
    only = person(operator, "solo", "only@solo.io", ["admin"])
    with client(web, ip="192.0.2.25") as http:
        sign_in(http, only, settings.home)
        answer = http.patch(f"/api/v1/admin/users/{only.id}", json={"roles": ["viewer"]})
        me = http.get("/api/v1/me").json()
    assert answer.status_code in (400, 403, 409), "the only admin demoted itself"
    assert "users.manage" in me["permissions"]


def test_a_cross_site_form_cannot_sign_a_browser_in(web, acme):
    """Sign-in takes JSON only, so a form on another site (text/plain, urlencoded, multipart)
    can start neither a challenge nor a session (login CSRF)."""
    body = json.dumps({"tenant": "acme", "email": "viewer@acme.io", "password": "x" * 12})
    with client(web, ip="192.0.2.26") as http:
        for kind in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]:
            headers = {"Content-Type": kind, "Origin": "https://evil.example"}
            for path in ["/api/v1/auth/login", "/api/v1/auth/mfa"]:
                answer = http.post(path, content=body, headers=headers)
                assert answer.status_code == 422, (path, kind)
                assert "set-cookie" not in answer.headers


def test_deeply_nested_json_is_refused_cleanly(web):
    with client(web, ip="192.0.2.27") as http:
        for depth in [10_000, 1_000_000]:
            nested = ("[" * depth + "]" * depth).encode()
            answer = http.post(
                "/api/v1/auth/login", content=nested, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code in (400, 413, 422)
        assert http.get("/health").status_code == 200


def test_an_anonymous_request_body_is_capped(web):
    """Nothing stops an anonymous client making the server read a 12 MB sign-in body (the
    server reads bodies of any size, then answers 401 or 422)."""
    junk = {"tenant": "acme", "email": "a@acme.io", "password": "x", "junk": "y" * (12 * MB)}
    with client(web, ip="192.0.2.28") as http:
        answer = http.post("/api/v1/auth/login", json=junk)
    assert answer.status_code == 413, f"a 12 MB body was read and answered {answer.status_code}"


def test_a_refused_request_does_not_copy_megabytes_into_the_audit_log(admin):
    """A refused connection echoes its config into the error and into the (append-only)
    audit log: 2 MB in, 2 MB kept per request."""
    body = {
        "connector": "stripe",
        "name": "big",
        "config": {"base_url": "x" * (MB - 1024)},  # under the 1 MiB body cap
        "secrets": {"api_key": "sk_test"},
    }
    refused = admin.post("/api/v1/admin/connections", json=body)
    assert refused.status_code == 400
    event = admin.get("/api/v1/audit", params={"action": "connection.add", "limit": 1}).json()[0]
    assert event["outcome"] == "failed"
    kept, echoed = len(json.dumps(event)), len(refused.text)
    assert (kept < 20_000, echoed < 20_000) == (True, True), f"kept {kept} B, echoed {echoed} B"


def test_a_user_holds_a_bounded_number_of_attributes(admin):
    many = {f"k{n}": ["v"] for n in range(5_000)}
    body = {"email": "many@acme.io", "roles": ["viewer"], "attributes": many}
    answer = admin.post("/api/v1/admin/users", json=body)
    assert answer.status_code in (400, 422), "5,000 attribute keys were stored"
