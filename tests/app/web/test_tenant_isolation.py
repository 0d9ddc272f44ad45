"""Tenants are isolated over HTTP: another tenant's objects are as missing as made-up ones.

Signed in as an ``acme`` admin (by session cookie and by API token), every operation of the
served OpenAPI document with path parameters is called twice: with the real id or name of one of
``globex``'s objects (its user, policy, connection or API token, chosen by the collection the
parameter follows) and with a made-up one. Both must answer the same 404 problem but for the
value. Operations without path parameters are read (GET only: the others create or sign out)
and must not show anything of ``globex``. Afterwards ``globex`` is as it was: its users, policies,
connections, tokens, audit chain and its user's session and token.

New routes are walked as they appear; one whose path parameter follows an unknown collection
fails until ``MADE_UP`` has a value for it.
"""

import json
import re
from pathlib import Path

import httpx
import pytest

from governance import audit
from services import auth, connections, identity, policies, tenants
from services.context import ServiceContext
from tests.fixtures.platform import acting_as, tenant_with_deals
from tests.fixtures.web import Person, bearer, client, person, sign_in

MADE_UP = {
    "users": "0123456789abcdef0123456789abcdef",
    "tokens": "fedcba9876543210fedcba9876543210",
    "policies": "made_up_policy",
    "connections": "made_up_connection",
}
PARAMETER = re.compile(r"/([^/{}]+)/(\{\w+\})")


def add_objects(operator: ServiceContext, slug: str, folder: Path) -> tuple[dict[str, str], Person]:
    """A tenant with a user (password and TOTP), a policy, a files connection and an API token:
    their ids and names by collection, and the user."""
    tenant_with_deals(operator, slug)
    user = person(operator, slug, f"eve@{slug}.io", ["viewer"])
    policies.add_policy(operator, slug, f"{slug}_region", "deals", "region = 'emea'", ["viewer"])
    files = {"path": str(folder), "primary_key": "id"}
    connections.add_connection(operator, slug, "files", files, {}, f"{slug}_files")
    _, token = auth.create_api_token(operator, slug, user.email)
    objects = {"users": user.id, "tokens": token.id}
    return objects | {"policies": f"{slug}_region", "connections": f"{slug}_files"}, user


def state(operator: ServiceContext, slug: str, email: str) -> dict:
    """What there is of a tenant, read without writing its audit chain."""
    chain = tenants.get_tenant(operator, slug).id
    with operator.platform.control_plane.session() as session:
        events = [(e.sequence, e.hash) for e in audit.events(session, chain)]
    return {
        "users": identity.list_users(operator, slug),
        "policies": policies.list_policies(operator, slug),
        "connections": connections.list_connections(operator, slug),
        "tokens": auth.list_api_tokens(acting_as(operator, email), slug),
        "audit": events,
    }


def minimal(schema: dict, document: dict):
    """The smallest instance of a request body schema as FastAPI writes them."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return minimal(schema["anyOf"][0], document)
    match schema.get("type"):
        case "object":
            required = schema.get("required", [])
            return {name: minimal(schema["properties"][name], document) for name in required}
        case "array":
            return [minimal(schema["items"], document)] * schema.get("minItems", 0)
        case "string":
            return "x" * max(1, schema.get("minLength", 0))
        case "integer" | "number":
            return schema.get("minimum", 1)
        case "boolean":
            return False
    return None


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each path parameter the value for the collection it follows."""
    filled = PARAMETER.sub(lambda m: f"/{m[1]}/{values.get(m[1], m[2])}", template)
    assert "{" not in filled, f"{template}: which objects does it name? (MADE_UP)"
    return filled


def call(http: httpx.Client, method: str, path: str, document: dict, template: str):
    """``method`` on ``path``, with the smallest body the operation of ``template`` accepts."""
    content = document["paths"][template][method].get("requestBody", {}).get("content", {})
    body = content.get("application/json")
    payload = {} if body is None else {"json": minimal(body["schema"], document)}
    return http.request(method, path, **payload)


def problem(answer: httpx.Response, values: dict[str, str]) -> tuple[int, str, dict]:
    """The answer's status, media type and problem, each of ``values`` written as its key."""
    text = json.dumps({key: item for key, item in answer.json().items() if key != "request_id"})
    for kind, value in values.items():
        text = text.replace(value, f"{{{kind}}}")
    return answer.status_code, answer.headers["content-type"], json.loads(text)


@pytest.fixture(params=["session", "token"])
def acme_admin(request, web, operator, tmp_path) -> httpx.Client:
    """An ``acme`` admin's client, signed in by session cookie (with CSRF) or API token."""
    add_objects(operator, "acme", tmp_path)
    ana = person(operator, "acme", "ana@acme.io", ["admin"])
    with client(web) as http:
        if request.param == "session":
            sign_in(http, ana)
        else:
            http.headers.update(bearer(operator, "acme", ana.email))
        yield http


def test_another_tenants_objects_are_as_missing_as_made_up_ones(
    acme_admin, web, operator, tmp_path
):
    globex, eve = add_objects(operator, "globex", tmp_path)
    document = acme_admin.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    shown = ""  # read first: the audit log then holds no attempt on globex's objects
    for template in (t for t, operations in paths.items() if "{" not in t and "get" in operations):
        answer = acme_admin.get(template)
        assert answer.status_code == 200, (template, answer.text)
        leaked = [value for value in ("globex", *globex.values()) if value in answer.text]
        assert not leaked, f"GET {template} shows {leaked}"
        shown += answer.text
    assert "acme_region" in shown and "acme_files" in shown  # the lists do list
    with client(web) as eve_http:
        sign_in(eve_http, eve)
        before = state(operator, "globex", eve.email)
        walked = [
            (method, t) for t, operations in paths.items() if "{" in t for method in operations
        ]
        for method, template in walked:
            seen = call(acme_admin, method, fill(template, globex), document, template)
            made_up = call(acme_admin, method, fill(template, MADE_UP), document, template)
            assert seen.status_code == 404, (method, template, seen.text)
            assert problem(seen, globex) == problem(made_up, MADE_UP), (method, template)
        assert walked
        assert eve_http.get("/api/v1/me").status_code == 200  # her session was not ended
    assert state(operator, "globex", eve.email) == before


def test_a_query_cannot_name_another_tenants_tables(acme_admin, operator, tmp_path):
    add_objects(operator, "globex", tmp_path)
    for sql in ("SELECT * FROM globex.deals", "SELECT * FROM globex.main.deals"):
        answer = acme_admin.post("/api/v1/query", json={"sql": sql})
        assert answer.status_code in (400, 403), (sql, answer.text)
        assert "rows" not in answer.json()
