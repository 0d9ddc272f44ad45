"""The HubSpot connector's declaration (``test_catalog`` holds it to the conformance kit too)
and its simulator: the connection's fields and rules, the OAuth app, the simulator's answers
held to HubSpot's published description (the facts ``tests/vendor_specs`` carries), its auth,
limits and errors, and the SDK client's handling of them (429 policies, resets, redirects,
bodies that are not HubSpot's, the search API's cap)."""

import time
from typing import Any

import httpx
import jsonschema
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from connectors.base import ConnectionSpec, Runtime
from connectors.hubspot import connector
from connectors.hubspot.api import HubSpotApi
from connectors.hubspot.search import PAGE_SIZE, modified_since
from connectors.hubspot.streams import OBJECT_STREAMS, OBJECTS
from connectors.sandbox.hubspot import SANDBOX_TOKEN, Faults, create_app
from connectors.sandbox.server import running
from governance.errors import AtsparkError
from tests.vendor_specs import facts

LOOPBACK = Runtime(egress_hosts=("127.0.0.1",))
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
DESCRIBED_PATHS = {"deals": "0-3"}
"""HubSpot's description names deals by their type id; the API takes either."""
SORTS_AS_OBJECTS = "sorts"
"""The description types ``sorts`` as ``array<string>``; HubSpot's search guide, its SDKs'
issues (hubspot-api-python#236) and the API itself take ``{"propertyName", "direction"}``."""


def connection(config: dict[str, Any] | None = None, **secrets: str) -> ConnectionSpec:
    given = secrets or {"access_token": SANDBOX_TOKEN}
    return ConnectionSpec("acme", "hubspot", config or {}, given, LOOPBACK)


# ---- the declaration ----------------------------------------------------------------------------


def test_streams_keys_and_cursors() -> None:
    streams = {stream.name: stream for stream in connector.streams()}
    assert list(streams) == [
        "contacts", "companies", "deals", "tickets", "line_items", "owners", "pipelines",
    ]  # fmt: skip
    assert streams["contacts"].cursor == "lastmodifieddate"
    for name in ("companies", "deals", "tickets", "line_items"):
        assert streams[name].cursor == "hs_lastmodifieddate"
    for name in OBJECTS:
        columns = streams[name].columns
        assert streams[name].key == ("id",)
        assert list(columns)[:4] == ["id", "created_at", "updated_at", "archived"]
        assert {"createdate", "hs_object_id"} <= set(columns)
    assert {"email", "firstname", "lastname", "lifecyclestage"} <= set(streams["contacts"].columns)
    assert streams["deals"].columns["amount"] == "double"
    assert streams["pipelines"].key == ("object_type", "id")
    assert streams["owners"].cursor is None and streams["pipelines"].cursor is None


def test_secrets_are_write_only_and_either_credential_will_do() -> None:
    schema = connector.config_schema
    jsonschema.Draft202012Validator.check_schema(dict(schema))  # (the kit checks the rest)
    secrets = {name for name, field in schema["properties"].items() if field.get("writeOnly")}
    assert secrets == {"access_token", "client_id", "client_secret", "refresh_token", "expires_at"}
    assert "required" not in schema  # either a private app's token or an OAuth authorization
    connector.validate(connection())
    connector.validate(connection(client_id="c", client_secret="s", refresh_token="r"))


@pytest.mark.parametrize(
    ("config", "secrets", "message"),
    [
        ({"base_url": "https://api.hubapi.com.evil.example"}, None, "may not reach"),
        ({"base_url": "http://169.254.169.254"}, None, "may not reach '169.254.169.254'"),
        ({"streams": ["contacts", "emails"]}, None, "streams"),
        ({"contacts_properties": ["id"]}, None, "contacts have their own id"),
        ({"deals_properties": ["Bad-Name"]}, None, "deals_properties"),
        ({"emails_properties": ["x"]}, None, "no config field emails_properties"),
        ({}, {}, "needs secret access_token"),
        ({}, {"refresh_token": "r", "client_id": "c"}, "needs secret client_secret for OAuth"),
        ({}, {"api_key": "k"}, "no secret field api_key"),
    ],
)
def test_bad_connections_are_refused_clearly(config, secrets, message) -> None:
    spec = ConnectionSpec(
        "acme", "hubspot", config, {"access_token": SANDBOX_TOKEN} if secrets is None else secrets
    )
    with pytest.raises(AtsparkError, match=message) as refused:
        connector.validate(spec)
    assert SANDBOX_TOKEN not in str(refused.value)


def test_more_properties_are_typed_lists_and_become_text_columns() -> None:
    parsed = connector.parse_config({"contacts_properties": "hs_language, city"})
    assert parsed == {"contacts_properties": ["hs_language", "city"]}
    columns = OBJECTS["contacts"].columns(["hs_language", "email"])
    assert columns["hs_language"] == "text" and list(columns).count("email") == 1


def test_the_oauth_app_asks_for_exactly_what_the_streams_read() -> None:
    app = connector.oauth_app({})
    assert app.authorize_url == "https://app.hubspot.com/oauth/authorize"
    assert app.token_url == "https://api.hubapi.com/oauth/v1/token"
    assert set(app.scopes) == {
        "crm.objects.contacts.read",
        "crm.objects.companies.read",
        "crm.objects.deals.read",  # deals, and deal pipelines
        "tickets",  # tickets, and ticket pipelines
        "crm.objects.line_items.read",
        "crm.objects.owners.read",
    }
    assert len(app.scopes) == len(set(app.scopes))
    assert app.allowed_hosts == ("api.hubapi.com",)
    assert app.revoke_url.endswith("/oauth/v1/refresh-tokens/{token}")  # a DELETE
    rebased = connector.oauth_app({"base_url": "http://127.0.0.1:8123"})
    assert rebased.authorize_url == "http://127.0.0.1:8123/oauth/authorize"
    assert rebased.token_url == "http://127.0.0.1:8123/oauth/v1/token"
    assert rebased.scopes == app.scopes and rebased.allowed_hosts == app.allowed_hosts


def test_the_simulators_banner_says_how_to_connect() -> None:
    app = connector.simulator(seed=1, records=5, rate_limit_every=0, error_every=0)
    banner = app.state.banner.format(base_url="http://127.0.0.1:12111")
    assert f"--secret access_token={SANDBOX_TOKEN}" in banner
    assert "base_url=http://127.0.0.1:12111" in banner and "sandbox-client-id" in banner
    assert "5 contacts" in banner


# ---- the simulator answers as HubSpot's description says ----------------------------------------


def field_schema(field: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a field's facts (nested fields and enums too)."""
    types = field.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    schema: dict[str, Any] = {"type": types + (["null"] if field.get("nullable") else [])}
    if field.get("format") == "date-time":
        schema["format"] = "date-time"
    if "enum" in field:
        schema["enum"] = field["enum"]
    nested = object_schema(field["fields"], additional=True) if field.get("fields") else None
    if "array" in types:
        schema["items"] = nested or ({"type": field["items"]} if field.get("items") else {})
    elif nested:
        schema.update(nested)
    return schema


def object_schema(fields: list[dict[str, Any]], additional: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {field["name"]: field_schema(field) for field in fields},
        "required": [field["name"] for field in fields if field.get("required")],
        "additionalProperties": additional,
    }


def described(kind: str, path: str) -> dict[str, Any]:
    (found,) = [op for op in facts("hubspot")[kind] if op["path"] == path]
    return found


def response_schema(operation: dict[str, Any]) -> dict[str, Any]:
    response = operation["response"]
    assert response["record_selector"] == "results" and response["record_type"] == "array"
    records = object_schema(response["fields"], bool(response.get("additional_fields")))
    body = object_schema(response["envelope"], additional=False)
    body["properties"]["results"] = {"type": "array", "items": records, "minItems": 1}
    body["required"].append("results")
    return body


def valid(body: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def simulator_url():
    with running(create_app(seed=11)) as url:
        yield url


def described_path(stream: str) -> str:
    return f"/crm/v3/objects/{DESCRIBED_PATHS.get(stream, stream)}"


@pytest.mark.parametrize("stream", list(OBJECTS))
def test_list_and_search_answers_are_valid_against_the_description(stream, simulator_url) -> None:
    path = described_path(stream)
    listed = httpx.get(f"{simulator_url}{path}", params={"limit": 3}, headers=AUTH)
    assert listed.status_code == 200
    valid(listed.json(), response_schema(described("operations", path)))
    assert listed.json()["paging"]["next"]["after"]
    search = described("searches", f"{path}/search")
    found = httpx.post(f"{simulator_url}{path}/search", json={"limit": 3}, headers=AUTH)
    assert found.status_code == 200
    valid(found.json(), response_schema(search))
    assert found.json()["total"] > 3


@pytest.mark.parametrize("stream", list(OBJECTS))
def test_the_connectors_search_requests_are_valid_against_the_description(
    stream, simulator_url
) -> None:
    """Every field the description requires is sent, each of its type (``sorts`` as HubSpot
    documents it, not as the description types it); the operators are the description's."""
    request = described("searches", f"{described_path(stream)}/search")["request_body"]
    schema = object_schema(request["fields"], additional=False)
    schema["properties"][SORTS_AS_OBJECTS]["items"] = {
        "type": "object",
        "properties": {"propertyName": {"type": "string"}, "direction": {"enum": ["ASCENDING"]}},
        "required": ["propertyName", "direction"],
        "additionalProperties": False,
    }
    sent: list[dict[str, Any]] = []
    api = HubSpotApi(simulator_url, lambda: SANDBOX_TOKEN)

    def search(body: dict[str, Any]) -> dict[str, Any]:
        sent.append(body)
        return api.search(stream, body)

    modified = OBJECTS[stream].modified
    pages = list(modified_since(search, modified, ["hs_object_id"], 1_700_000_000_000))
    assert sum(map(len, pages)) > PAGE_SIZE and len(sent) >= 2
    for body in sent:
        valid(body, schema)
    assert sent[0]["filterGroups"] == [
        {"filters": [{"propertyName": modified, "operator": "GTE", "value": "1700000000000"}]}
    ]
    assert sent[0]["limit"] == PAGE_SIZE and sent[1]["after"] == str(PAGE_SIZE)


def test_owners_and_pipelines_answers_are_valid_against_the_description(simulator_url) -> None:
    owners = httpx.get(f"{simulator_url}/crm/v3/owners", params={"limit": 5}, headers=AUTH)
    valid(owners.json(), response_schema(described("operations", "/crm/v3/owners")))
    after = owners.json()["paging"]["next"]["after"]
    following = httpx.get(f"{simulator_url}/crm/v3/owners/", params={"after": after}, headers=AUTH)
    assert following.json()["results"][0]["id"] == after
    pipelines = described("operations", "/crm/v3/pipelines/{objectType}")
    for object_type in ("deals", "0-3", "tickets"):
        answer = httpx.get(f"{simulator_url}/crm/v3/pipelines/{object_type}", headers=AUTH)
        valid(answer.json(), response_schema(pipelines))
        assert all(pipeline["stages"] for pipeline in answer.json()["results"])


def test_search_pages_stop_at_hubspots_cap(simulator_url) -> None:
    refused = httpx.post(
        f"{simulator_url}/crm/v3/objects/contacts/search",
        json={"after": "10000", "limit": 10},
        headers=AUTH,
    )
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    too_big = httpx.post(
        f"{simulator_url}/crm/v3/objects/contacts/search", json={"limit": 201}, headers=AUTH
    )
    assert too_big.status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer pat-na1-wrong", f"Basic {SANDBOX_TOKEN}"])
def test_a_missing_or_wrong_token_gets_hubspots_401(header, simulator_url) -> None:
    headers = {"Authorization": header} if header else {}
    answer = httpx.get(f"{simulator_url}/crm/v3/owners", headers=headers)
    assert answer.status_code == 401
    body = answer.json()
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found.")
    assert set(body) == {"status", "message", "correlationId", "category"}


# ---- the SDK client against HubSpot's limits and failures ---------------------------------------


def test_rate_limits_are_waited_out_and_retry_after_honoured() -> None:
    app = create_app(seed=2, records=5, faults=Faults(rate_limit_every=2, retry_after=1))
    simulator = app.state.simulator
    with running(app) as url:
        api = HubSpotApi(url, lambda: SANDBOX_TOKEN)
        assert api.owners(None, 100)["results"]  # 1st request
        assert api.pipelines("deals")["results"]  # 2nd: 429, then the 3rd
    limited, retried = simulator.requests[1], simulator.requests[2]
    assert (limited["status"], retried["status"]) == (429, 200)
    assert retried["at"] - limited["at"] >= 1.0


def test_the_search_limit_is_waited_out() -> None:
    app = create_app(seed=2, records={"contacts": 600}, faults=Faults(search_per_second=1))
    simulator = app.state.simulator
    with running(app) as url:
        api = HubSpotApi(url, lambda: SANDBOX_TOKEN)
        search = lambda body: api.search("contacts", body)  # noqa: E731
        search({"limit": 1})  # this second's only search: the next, a moment later, is refused
        pages = list(modified_since(search, "lastmodifieddate", [], None))
    assert sum(map(len, pages)) == 600
    statuses = [request["status"] for request in simulator.requests]
    assert 429 in statuses and statuses[-1] == 200


def test_more_records_at_one_moment_than_a_search_answers_are_read_by_id() -> None:
    """A bulk update modifying 10,200 contacts at one millisecond: no search from that moment
    gets past its 10,000th record, so the rest of the moment is read by id, then what follows."""
    app = create_app(seed=4, records={"contacts": 10_300})
    simulator = app.state.simulator
    with running(app) as url:
        httpx.post(f"{url}/_sandbox/advance", params={"changed": 10_200, "bulk": "true"})
        bulk = simulator.account.now
        httpx.post(f"{url}/_sandbox/advance", params={"changed": 30, "created": 20})
        api = HubSpotApi(url, lambda: SANDBOX_TOKEN)
        search = lambda body: api.search("contacts", body)  # noqa: E731
        pages = list(modified_since(search, "lastmodifieddate", [], bulk))
    ids = [record["id"] for page in pages for record in page]
    moments = {
        record.id: record.modified
        for record in simulator.account.objects["contacts"].records.values()
    }
    assert len(ids) == len(set(ids))
    assert sorted(map(int, ids)) == sorted(i for i, moment in moments.items() if moment >= bulk)
    assert len(ids) > 10_200
    bodies = [request["body"] for request in simulator.requests]
    assert all(request["status"] == 200 for request in simulator.requests)
    by_id = [body for body in bodies if body["sorts"][0]["propertyName"] == "hs_object_id"]
    equal, after_id = by_id[0]["filterGroups"][0]["filters"]
    assert (equal["operator"], equal["value"], after_id["operator"]) == ("EQ", str(bulk), "GT")
    following = [b for b in bodies if b["filterGroups"][0]["filters"][0]["operator"] == "GT"]
    assert following and following[0]["filterGroups"][0]["filters"][0]["value"] == str(bulk)


def test_the_daily_limit_stops_the_run_at_once() -> None:
    app = create_app(seed=2, records=5, faults=Faults(daily_limit=1))
    with running(app) as url:
        api = HubSpotApi(url, lambda: SANDBOX_TOKEN)
        api.owners(None, 100)
        started = time.monotonic()
        with pytest.raises(AtsparkError, match="daily API limit for this account is reached"):
            api.owners(None, 100)
    assert time.monotonic() - started < 1.0
    assert len(app.state.simulator.requests) == 2  # not asked again


def test_server_errors_and_resets_mid_body_are_retried() -> None:
    app = create_app(seed=2, records=5, faults=Faults(error_every=2, reset_every=3))
    with running(app) as url:
        api = HubSpotApi(url, lambda: SANDBOX_TOKEN)
        for _ in range(3):
            assert api.pipelines("tickets")["results"]
    statuses = [request["status"] for request in app.state.simulator.requests]
    assert 503 in statuses and "reset" in statuses


def refusing_app(answer) -> Starlette:
    async def endpoint(request):
        return answer(request)

    return Starlette(routes=[Route("/crm/{rest:path}", endpoint, methods=["GET", "POST"])])


def test_a_refused_token_is_one_line_naming_status_and_path_never_the_token() -> None:
    with running(create_app(seed=2, records=5)) as url:
        api = HubSpotApi(url, lambda: "pat-na1-not-this-one")
        with pytest.raises(AtsparkError) as refused:
            api.search("contacts", {"limit": 1})
    assert str(refused.value) == (
        "HubSpot refused the connection's credentials (HTTP 401 INVALID_AUTHENTICATION on "
        "/crm/v3/objects/contacts/search): check its access token, or authorize the "
        "connection again"
    )


def test_an_error_reply_never_quotes_the_server() -> None:
    def echoing(request):
        said = f"bad request from {request.headers.get('authorization')}"
        return JSONResponse({"status": "error", "message": said, "category": said}, 400)

    with running(refusing_app(echoing)) as url:
        with pytest.raises(AtsparkError) as refused:
            HubSpotApi(url, lambda: SANDBOX_TOKEN).owners(None, 100)
    assert str(refused.value) == "HubSpot answered HTTP 400 on /crm/v3/owners"


def test_a_reply_that_is_not_json_is_a_clear_error() -> None:
    with running(refusing_app(lambda request: PlainTextResponse("<html>portal</html>"))) as url:
        with pytest.raises(AtsparkError, match="/crm/v3/owners with a body that is not a JSON"):
            HubSpotApi(url, lambda: SANDBOX_TOKEN).owners(None, 100)


def test_a_redirect_is_never_followed() -> None:
    stolen: list[str] = []

    async def steal(request):
        stolen.append(str(request.url))
        return JSONResponse({"results": []})

    thief = Starlette(routes=[Route("/{rest:path}", steal)])
    with running(thief) as elsewhere:
        away = refusing_app(lambda request: RedirectResponse(f"{elsewhere}/steal", 307))
        with running(away) as url:
            with pytest.raises(AtsparkError, match="HTTP 307 on /crm/v3/owners"):
                HubSpotApi(url, lambda: SANDBOX_TOKEN).owners(None, 100)
    assert stolen == []


def test_every_object_stream_has_a_property_the_simulator_knows() -> None:
    """The default properties are HubSpot's: the simulator holds each of them."""
    app = create_app(seed=2, records=3)
    records = app.state.simulator.account.objects
    for stream in OBJECT_STREAMS:
        held = set().union(*(r.properties for r in records[stream.name].records.values()))
        assert set(stream.properties) <= held, stream.name
