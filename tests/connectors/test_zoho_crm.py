"""The zoho_crm connector's declaration, and its simulator held to Zoho CRM v8's description.

The simulator's answers are validated against the facts ``tests/vendor_specs/zoho-crm`` carries
of Zoho's own OpenAPI description (``GET /crm/v8/{module_api_name}`` and
``GET /crm/v8/settings/fields``); its errors, paging limits and OAuth are Zoho's documented ones.
"""

import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema
import pytest

from connectors.base import ConnectionSpec, Runtime
from connectors.config_schema import secret_fields
from connectors.conformance import Declaration
from connectors.declarative.spec import Retry
from connectors.egress import Egress, guarded_session
from connectors.oauth import TOKEN_SECRETS, ReauthorizationNeeded, request_tokens
from connectors.registry import get_connector
from connectors.sandbox.zoho_crm import (
    SANDBOX_ACCESS_TOKEN,
    SANDBOX_REFRESH_TOKEN,
    Faults,
    running_zoho_crm,
)
from connectors.zoho_crm import config as settings
from connectors.zoho_crm.vendor import DATA_CENTRES, MODULES
from governance.errors import AtsparkError
from tests.vendor_specs import facts

ZOHO = get_connector("zoho_crm")
AUTH = {"Authorization": f"Zoho-oauthtoken {SANDBOX_ACCESS_TOKEN}"}
CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
SECRETS = {**CLIENT, "refresh_token": SANDBOX_REFRESH_TOKEN}
LOOPBACK = Runtime(egress_hosts=("127.0.0.1",))


class TestDeclaration(Declaration):
    connectors: ClassVar[list[str]] = ["zoho_crm"]


# ---- the declaration ----------------------------------------------------------------------------


def test_the_secrets_are_the_oauth_tokens_all_write_only() -> None:
    assert secret_fields(ZOHO.config_schema) == set(TOKEN_SECRETS)
    assert ZOHO.info.auth == "oauth2_refresh_token"
    assert [stream.name for stream in ZOHO.streams()] == [module.lower() for module in MODULES]
    assert {stream.cursor for stream in ZOHO.streams()} == {"Modified_Time"}


def test_the_app_asks_only_for_the_modules_it_reads_and_their_fields() -> None:
    app = ZOHO.oauth_app({})
    assert app.scopes == (
        "ZohoCRM.modules.leads.READ",
        "ZohoCRM.modules.contacts.READ",
        "ZohoCRM.modules.accounts.READ",
        "ZohoCRM.modules.deals.READ",
        "ZohoCRM.settings.fields.READ",
    )
    assert app.scope_separator == ","
    assert dict(app.authorize_params) == {"access_type": "offline", "prompt": "consent"}
    assert dict(app.token_config) == {"api_domain": "api_domain"}
    chosen = ZOHO.oauth_app(ZOHO.parse_config({"modules": "Price_Books,Sales_Orders"}))
    assert chosen.scopes == (
        "ZohoCRM.modules.salesorders.READ",
        "ZohoCRM.modules.pricebooks.READ",
        "ZohoCRM.settings.fields.READ",
    )


@pytest.mark.parametrize(
    ("centre", "accounts", "api"),
    [
        ("com", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        ("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        ("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        ("com.au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    ],
)
def test_each_data_centre_has_its_own_accounts_server_and_api(
    centre: str, accounts: str, api: str
) -> None:
    config = ZOHO.parse_config({"data_centre": centre})
    app = ZOHO.oauth_app(config)
    assert app.authorize_url == f"{accounts}/oauth/v2/auth"
    assert app.token_url == f"{accounts}/oauth/v2/token"
    assert app.revoke_url == f"{accounts}/oauth/v2/token/revoke"
    assert app.allowed_hosts == (urlsplit(accounts).hostname,)
    assert settings.api_url(config) == api
    ZOHO.validate(ConnectionSpec("acme", "zoho", config, SECRETS))
    assert len(DATA_CENTRES) == 8


def test_requests_go_to_the_api_domain_zoho_named_unless_a_base_url_is_given() -> None:
    named = {"data_centre": "eu", "api_domain": "https://www.zohoapis.eu"}
    assert settings.api_url(named) == "https://www.zohoapis.eu"
    assert settings.api_url({**named, "base_url": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9"


def test_a_sandbox_base_url_moves_the_oauth_endpoints_to_it_and_zohos_does_not() -> None:
    app = ZOHO.oauth_app({"base_url": "http://127.0.0.1:12111"})
    assert app.token_url == "http://127.0.0.1:12111/oauth/v2/token"
    assert app.authorize_url == "http://127.0.0.1:12111/oauth/v2/auth"
    regional = ZOHO.oauth_app({"data_centre": "eu", "base_url": "https://www.zohoapis.eu"})
    assert regional.token_url == "https://accounts.zoho.eu/oauth/v2/token"


@pytest.mark.parametrize(
    ("config", "secrets", "message"),
    [
        (
            {"base_url": "http://169.254.169.254"},
            SECRETS,
            r"may not reach '169\.254\.169\.254'.* \(config base_url\)$",
        ),
        (
            {"data_centre": "eu", "api_domain": "https://www.zohoapis.com"},
            SECRETS,
            r"may not reach 'www\.zohoapis\.com'.* \(config api_domain\)$",
        ),
        ({}, {"client_id": "id", "refresh_token": "rt"}, "needs secret client_secret"),
        ({}, {"client_id": "id"}, "needs secrets client_id, client_secret and refresh_token"),
        ({"modules": "Leads,Widgets"}, SECRETS, r"modules takes Zoho CRM module API names"),
        ({"data_centre": "uk"}, SECRETS, "data_centre"),
    ],
)
def test_a_connection_it_cannot_run_is_refused_clearly(
    config: dict[str, str], secrets: dict[str, str], message: str
) -> None:
    with pytest.raises(AtsparkError, match=message) as refused:
        spec = ConnectionSpec("acme", "zoho", ZOHO.parse_config(config), secrets, LOOPBACK)
        ZOHO.validate(spec)
    assert SANDBOX_REFRESH_TOKEN not in str(refused.value)


# ---- the simulator against Zoho's description ---------------------------------------------------

FACTS = facts("zoho-crm")
RECORDS_PATH = "/crm/v8/{module_api_name}"
FIELDS_PATH = "/crm/v8/settings/fields"
NULLABLE_NOW = {
    name: "facts.json (crm-oas v8.0 as first published) types it as a string; the current "
    "description (record.yaml's RecordGETSuccessResponse) marks it nullable, and Zoho sends null "
    "where there is no next or previous page"
    for name in ("next_page_token", "previous_page_token", "page_token_expiry")
}
"""Envelope fields whose nullability the facts miss, with why."""
DATE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
JSON_TYPES = {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean"}


def operation(path: str) -> dict[str, Any]:
    (found,) = [op for op in FACTS["operations"] if op["path"] == path and op["method"] == "GET"]
    return found


def field_schema(field: dict[str, Any]) -> dict[str, Any]:
    kinds = field["type"] if isinstance(field["type"], list) else [field["type"]]
    types = {JSON_TYPES.get(kind, kind) for kind in kinds}
    if field.get("nullable") or field["name"] in NULLABLE_NOW:
        types.add("null")
    schema: dict[str, Any] = {"type": sorted(types)}
    if field.get("format") == "date-time":
        schema["pattern"] = DATE_TIME
    if "array" in types and field.get("items"):
        schema["items"] = {"type": field["items"]}
    if field.get("fields"):
        schema["properties"] = {inner["name"]: field_schema(inner) for inner in field["fields"]}
    return schema


def body_schema(path: str) -> dict[str, Any]:
    """The response body as the facts describe it: records at the record selector with their
    fields (required ones required), the envelope's fields, nothing else."""
    response = operation(path)["response"]
    record = {
        "type": "object",
        "properties": {field["name"]: field_schema(field) for field in response["fields"]},
        "required": [field["name"] for field in response["fields"] if field.get("required")],
        "additionalProperties": bool(response.get("additional_fields")),
    }
    return {
        "type": "object",
        "properties": {
            response["record_selector"]: {"type": "array", "items": record, "minItems": 1},
            **{field["name"]: field_schema(field) for field in response["envelope"]},
        },
        "required": [response["record_selector"]],
        "additionalProperties": False,
    }


@pytest.fixture(scope="module")
def zoho() -> Iterator[tuple[str, Any]]:
    with running_zoho_crm(seed=3, records=50) as served:
        yield served


def get(url: str, path: str, headers: dict[str, str] = AUTH, **params: Any) -> httpx.Response:
    return httpx.get(url + path, params=params, headers=headers, timeout=10)


def test_the_facts_describe_every_modules_records_at_one_templated_path() -> None:
    records = operation(RECORDS_PATH)
    declared = {parameter["name"] for parameter in records["parameters"]}
    assert {"fields", "page", "per_page", "page_token", "If-Modified-Since", "ids"} <= declared
    assert records["response"]["record_selector"] == "data"
    assert operation(FIELDS_PATH)["response"]["record_selector"] == "fields"


@pytest.mark.parametrize("module", list(MODULES))
def test_every_modules_fields_and_records_validate_against_the_description(
    zoho: tuple[str, Any], module: str
) -> None:
    url, _ = zoho
    fields = get(url, FIELDS_PATH, module=module)
    assert fields.status_code == 200
    jsonschema.validate(fields.json(), body_schema(FIELDS_PATH))
    names = [field["api_name"] for field in fields.json()["fields"]][:50]
    asked = {"fields": ",".join(names), "per_page": 20}
    first = get(url, f"/crm/v8/{module}", **asked, sort_order="asc")
    last = get(url, f"/crm/v8/{module}", **asked, page=3)
    for page in (first, last):
        assert page.status_code == 200
        jsonschema.validate(page.json(), body_schema(RECORDS_PATH))
    assert first.json()["info"]["next_page_token"] and not last.json()["info"]["more_records"]
    assert last.json()["info"]["next_page_token"] is None  # what the facts miss (NULLABLE_NOW)


def test_the_validation_is_not_vacuous(zoho: tuple[str, Any]) -> None:
    url, _ = zoho
    body = get(url, "/crm/v8/Leads", fields="Last_Name,Created_Time").json()
    body["data"][0]["Created_Time"] = "yesterday"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, body_schema(RECORDS_PATH))
    fields = get(url, FIELDS_PATH, module="Leads").json()
    del fields["fields"][0]["json_type"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(fields, body_schema(FIELDS_PATH))


def zoho_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "details", "message", "status"}
    assert (body["code"], body["status"]) == (code, "error")
    return body["details"]


def test_a_missing_or_unknown_token_is_refused_as_zoho_does(zoho: tuple[str, Any]) -> None:
    url, _ = zoho
    path = "/crm/v8/Leads"
    zoho_error(get(url, path, headers={}, fields="Last_Name"), 401, "AUTHENTICATION_FAILURE")
    other = {"Authorization": "Zoho-oauthtoken 1000.made.up"}
    zoho_error(get(url, path, headers=other, fields="Last_Name"), 401, "INVALID_TOKEN")
    bearer = {"Authorization": f"Bearer {SANDBOX_ACCESS_TOKEN}"}
    zoho_error(get(url, FIELDS_PATH, headers=bearer, module="Leads"), 401, "AUTHENTICATION_FAILURE")


def test_zohos_request_rules(zoho: tuple[str, Any]) -> None:
    url, _ = zoho
    leads = "/crm/v8/Leads"
    missing = zoho_error(get(url, leads), 400, "REQUIRED_PARAM_MISSING")
    assert missing == {"param_name": "fields"}
    many = (
        ",".join(f"Custom_Field_{n:02d}" for n in range(1, 41))
        + ","
        + ",".join(f"Field_{n}" for n in range(11))
    )
    assert zoho_error(get(url, leads, fields=many), 400, "LIMIT_EXCEEDED")["limit"] == 50
    beyond = get(url, leads, fields="Last_Name", page=11)
    assert zoho_error(beyond, 400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED") == {"limit": 2000}
    assert get(url, leads, fields="Last_Name", page=20, per_page=100).status_code == 204
    assert get(url, leads, fields="Last_Name", page=2).status_code == 204  # 50 records
    zoho_error(get(url, leads, fields="Last_Name", per_page=201), 400, "INVALID_DATA")
    paged = {"fields": "Last_Name", "per_page": 20}
    token = get(url, leads, **paged).json()["info"]["next_page_token"]
    both = get(url, leads, **paged, page=2, page_token=token)
    zoho_error(both, 400, "AMBIGUITY_DURING_PROCESSING")
    resorted = get(url, leads, **paged, page_token=token, sort_order="asc")
    zoho_error(resorted, 400, "TOKEN_BOUND_DATA_MISMATCH")
    zoho_error(get(url, "/crm/v8/Widgets", fields="Name"), 400, "INVALID_MODULE")
    zoho_error(get(url, FIELDS_PATH), 400, "REQUIRED_PARAM_MISSING")
    zoho_error(get(url, "/crm/v8/Leads/actions/count"), 404, "INVALID_URL_PATTERN")


def test_fields_come_only_as_asked_and_ids_pick_records(zoho: tuple[str, Any]) -> None:
    url, simulator = zoho
    page = get(url, "/crm/v8/Deals", fields="Deal_Name,Amount", per_page=5).json()["data"]
    assert all(set(record) == {"id", "Deal_Name", "Amount"} for record in page)
    ids = ",".join(record["id"] for record in page[:2])
    picked = get(url, "/crm/v8/Deals", fields="Stage", ids=ids).json()["data"]
    assert sorted(record["id"] for record in picked) == sorted(ids.split(","))
    stored = {r["id"]: r for r in simulator.dataset.module("Deals").records}
    assert all(record["Stage"] == stored[record["id"]]["Stage"] for record in picked)


def test_if_modified_since_asks_for_what_changed_and_304_says_nothing_did() -> None:
    with running_zoho_crm(seed=3, records=30) as (url, simulator):
        newest = max(r["Modified_Time"] for r in simulator.dataset.module("Tasks").records)
        since = {**AUTH, "If-Modified-Since": newest}
        assert get(url, "/crm/v8/Tasks", headers=since, fields="Subject").status_code == 304
        httpx.post(f"{url}/_sandbox/advance").raise_for_status()
        changed = get(url, "/crm/v8/Tasks", headers=since, fields="Modified_Time").json()["data"]
    assert changed and all(record["Modified_Time"] > newest for record in changed)


def test_an_empty_module_answers_204() -> None:
    with running_zoho_crm(records=0) as (url, _):
        assert get(url, "/crm/v8/Vendors", fields="Vendor_Name").status_code == 204


def test_faults_come_on_schedule_in_zohos_shapes() -> None:
    faults = Faults(rate_limit_every=2, error_every=3, retry_after_seconds=7)
    with running_zoho_crm(records=5, faults=faults) as (url, _):
        answers = [get(url, "/crm/v8/Leads", fields="Last_Name") for _ in range(3)]
    assert answers[0].status_code == 200
    assert zoho_error(answers[1], 429, "TOO_MANY_REQUESTS") == {"retry_after": 7}
    assert answers[1].headers["Retry-After"] == "7"
    zoho_error(answers[2], 500, "INTERNAL_ERROR")


def test_the_accounts_server_authorizes_the_connectors_app_as_zoho_does() -> None:
    with running_zoho_crm() as (url, simulator):
        app = ZOHO.oauth_app({"base_url": url, "modules": ["Leads"]})
        redirect = "http://127.0.0.1:9/oauth/callback"
        verifier = "v" * 64
        consent = httpx.get(app.authorization_url("sandbox-client-id", redirect, "st", verifier))
        assert consent.status_code == 200
        assert simulator.accounts.consents[-1]["scopes"] == set(app.scopes)
        query = dict(parse_qs(urlsplit(str(consent.request.url)).query, keep_blank_values=True))
        form = {key: values[0] for key, values in query.items()} | {"decision": "allow"}
        allowed = httpx.post(f"{url}/oauth/v2/auth", data=form)
        code = parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]
        session = guarded_session(Egress("test", ["127.0.0.1"], None), Retry(max_attempts=1))
        body = request_tokens(
            session,
            app,
            "sandbox-client-id",
            "sandbox-client-secret",
            grant_type="authorization_code",
            code=code,
            redirect_uri=redirect,
            code_verifier=verifier,
        )
        assert body["api_domain"] == url and body["refresh_token"]
        refused = httpx.post(
            app.token_url,
            data={"grant_type": "refresh_token", "refresh_token": "1000.never.issued", **CLIENT},
        )
        assert (refused.status_code, refused.json()) == (200, {"error": "invalid_code"})
        with pytest.raises(ReauthorizationNeeded, match="invalid_code"):
            request_tokens(
                session,
                app,
                CLIENT["client_id"],
                CLIENT["client_secret"],
                grant_type="refresh_token",
                refresh_token="1000.never.issued",
            )


def test_the_data_is_the_seeds_and_moves_forward_when_advanced() -> None:
    with running_zoho_crm(seed=9, records=40) as (url, _):
        before = httpx.get(f"{url}/_sandbox/records/leads").json()
        httpx.post(f"{url}/_sandbox/advance").raise_for_status()
        after = httpx.get(f"{url}/_sandbox/records/leads").json()
    with running_zoho_crm(seed=9, records=40) as (url, _):
        assert httpx.get(f"{url}/_sandbox/records/leads").json() == before
    newest = max(record["Modified_Time"] for record in before)
    moved = [record for record in after if record["Modified_Time"] > newest]
    assert len(after) > len(before) and len(moved) > len(after) - len(before)
    assert all(re.fullmatch(r"\d{19}", record["id"]) for record in after)
    assert "atspark connection add acme zoho_crm" in simulator_banner()


def simulator_banner() -> str:
    app = ZOHO.simulator(42, None, 0, 0)
    return app.state.banner.format(base_url="http://127.0.0.1:12111")
