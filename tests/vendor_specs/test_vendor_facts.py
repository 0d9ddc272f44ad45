"""The vendor API data the tests carry holds on its own (no ../shared): provenance everywhere,
no text of the descriptions that may not be copied, the endpoints connectors will be built on
with their record selectors and key fields, and a Stripe extract whose $refs all resolve."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.stripe.dataset import RESOURCES
from tests.vendor_specs import FACT_VENDORS, facts, stripe_spec

HERE = Path(__file__).resolve().parent
TEXT_KEYS = {"description", "summary", "example", "examples", "title", "x-readme"}
OPERATION_KEYS = {"method", "path", "source", "parameters", "response"}
PARAMETER_KEYS = {"name", "in", "type", "format", "items", "nullable", "required"}
FIELD_KEYS = {"name", "type", "format", "items", "nullable", "required"}
RESPONSE_KEYS = {
    "status",
    "body",
    "record_selector",
    "record_type",
    "items",
    "envelope",
    "fields",
    "additional_fields",
}
JSON_TYPES = {"string", "integer", "number", "boolean", "object", "array"}


def _walk(node: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair below ``node``; list items come with key None."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield None, value
            yield from _walk(value)


def _operation(vendor: str, path: str, source: str | None = None) -> dict[str, Any]:
    found = [
        op
        for op in facts(vendor)["operations"]
        if op["path"] == path and source in (None, op["source"])
    ]
    assert len(found) == 1, (vendor, path, [op["source"] for op in found])
    assert found[0]["method"] == "GET"
    return found[0]


def _fields(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_name = {field["name"]: field for field in fields}
    assert len(by_name) == len(fields), "a field listed twice"
    return by_name


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["name"], p["in"]): p for p in operation["parameters"]}


def _assert_field(fields: dict[str, dict[str, Any]], name: str, type_: str, **more: Any) -> None:
    assert name in fields, (name, sorted(fields))
    assert fields[name]["type"] == type_, fields[name]
    for key, value in more.items():
        assert fields[name].get(key, False) == value, fields[name]


# ---- the distilled facts: provenance and no text -----------------------------------------------


@pytest.mark.parametrize("vendor", FACT_VENDORS)
def test_each_facts_file_states_its_provenance(vendor: str) -> None:
    provenance = facts(vendor)["provenance"]
    assert provenance["source"].startswith(f"{vendor}/")
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", provenance["vendor_repository"])
    assert provenance["path"] and provenance["api_version"]
    licence = provenance["licence"]
    if licence.endswith("internal validation only"):
        assert "licence_file" not in provenance
    else:  # an MIT- or Apache-licensed description: its licence comes along
        assert licence.startswith(("MIT", "Apache-2.0"))
        assert provenance["licence_file"] == "LICENSE"
        assert (HERE / vendor / "LICENSE").read_text().strip()
    assert provenance["note"] == "distilled facts only; the description's text is not included"
    assert provenance["files"] and provenance["regenerate"].endswith("tests.vendor_specs.extract")
    assert {op["source"] for op in facts(vendor)["operations"]} <= set(provenance["files"])
    assert isinstance(provenance["base_path"], str | dict)
    assert provenance["operations"] in (
        "every GET operation",
        "the operations on the paths of the catalog connectors' streams",
    )


@pytest.mark.parametrize("vendor", FACT_VENDORS)
def test_facts_carry_no_text_of_the_description(vendor: str) -> None:
    data = facts(vendor)
    keys = {key for key, _ in _walk(data) if key is not None}
    assert not keys & TEXT_KEYS
    assert not {key for key in keys if key.startswith("x-")}
    # Only facts: every string of the operations is a path, a name, a type or a format.
    strings = [value for _, value in _walk(data["operations"]) if isinstance(value, str)]
    assert all(len(value) <= 120 and not re.search(r"\s", value) for value in strings)


@pytest.mark.parametrize("vendor", FACT_VENDORS)
def test_facts_have_the_documented_shape(vendor: str) -> None:
    data = facts(vendor)
    operations = data["operations"]
    if data["provenance"]["operations"] == "every GET operation":
        assert len(operations) >= 20
        assert all(op["method"] == "GET" for op in operations)
    else:  # the operations of the catalog connectors' streams: one at least for each
        assert len(operations) >= len(data["provenance"]["connectors"])
    for op in operations:
        assert set(op) == OPERATION_KEYS and op["method"] in ("GET", "POST")
        assert op["path"].startswith("/")
        for parameter in op["parameters"]:
            assert set(parameter) <= PARAMETER_KEYS and isinstance(parameter["required"], bool)
            assert parameter["in"] in {"path", "query", "header", "cookie"}
            if parameter["in"] == "path":
                assert "{" + parameter["name"] + "}" in op["path"] and parameter["required"]
        response = op["response"]
        if response is None:
            continue
        assert set(response) <= RESPONSE_KEYS and re.fullmatch(r"2\d\d", response["status"])
        for field in response.get("fields", []):
            _assert_field_shape(field, FIELD_KEYS)
        for field in response.get("envelope", []):  # (an object's own fields come along)
            _assert_field_shape(field, FIELD_KEYS | {"fields"})


def _assert_field_shape(field: dict[str, Any], keys: set[str]) -> None:
    assert set(field) <= keys and isinstance(field["name"], str)
    types = field.get("type", [])
    assert set(types if isinstance(types, list) else [types]) <= JSON_TYPES
    for inner in field.get("fields", []):
        assert field["type"] == "object"
        _assert_field_shape(inner, keys)


# ---- the endpoints connectors will be built on -------------------------------------------------


@pytest.mark.parametrize(
    ("objects", "path"),
    [
        ("contacts", "/crm/v3/objects/contacts"),
        ("companies", "/crm/v3/objects/companies"),
        ("deals", "/crm/v3/objects/0-3"),  # the deals description names deals by type id
        ("tickets", "/crm/v3/objects/tickets"),
        ("line_items", "/crm/v3/objects/line_items"),
    ],
)
def test_hubspot_crm_objects_list_and_retrieve(objects: str, path: str) -> None:
    listing = _operation("hubspot", path)
    params = _parameters(listing)
    assert params[("after", "query")]["type"] == "string"
    assert params[("limit", "query")]["type"] == "integer"
    assert params[("properties", "query")] == {
        "name": "properties",
        "in": "query",
        "type": "array",
        "items": "string",
        "required": False,
    }
    assert params[("archived", "query")]["type"] == "boolean"
    response = listing["response"]
    assert response["record_selector"] == "results" and response["record_type"] == "array"
    assert [field["name"] for field in response["envelope"]] == ["paging"]
    fields = _fields(response["fields"])
    _assert_field(fields, "id", "string", required=True)
    _assert_field(fields, "properties", "object", required=True)
    _assert_field(fields, "createdAt", "string", format="date-time", required=True)
    _assert_field(fields, "updatedAt", "string", format="date-time", required=True)
    _assert_field(fields, "archived", "boolean", required=True)
    _assert_field(fields, "archivedAt", "string", format="date-time")
    (retrieve,) = [
        op
        for op in facts("hubspot")["operations"]
        if re.fullmatch(re.escape(path) + r"/\{\w+\}", op["path"])
    ]
    assert retrieve["response"]["record_selector"] is None
    assert _fields(retrieve["response"]["fields"]) == fields


def test_hubspot_owners() -> None:
    response = _operation("hubspot", "/crm/v3/owners")["response"]
    assert response["record_selector"] == "results"
    fields = _fields(response["fields"])
    _assert_field(fields, "id", "string", required=True)
    _assert_field(fields, "updatedAt", "string", format="date-time", required=True)


def test_zoho_crm_records_of_a_module() -> None:
    listing = _operation("zoho-crm", "/crm/v8/{module_api_name}", source="record.json")
    params = _parameters(listing)
    assert params[("module_api_name", "path")]["required"] is True
    assert params[("page", "query")]["type"] == "integer"
    assert params[("per_page", "query")]["type"] == "integer"
    assert params[("page_token", "query")]["type"] == "string"
    assert params[("fields", "query")]["type"] == "string"
    assert params[("If-Modified-Since", "header")]["format"] == "date-time"
    response = listing["response"]
    assert response["record_selector"] == "data" and response["record_type"] == "array"
    assert [field["name"] for field in response["envelope"]] == ["info"]
    assert response["additional_fields"] is True  # a module's own fields are not declared
    fields = _fields(response["fields"])
    _assert_field(fields, "id", "string")
    _assert_field(fields, "Created_Time", "string", format="date-time")
    _assert_field(fields, "Modified_Time", "string", format="date-time")
    _assert_field(fields, "Created_By", "object")
    retrieve = _operation("zoho-crm", "/crm/v8/{module_api_name}/{id}")["response"]
    assert retrieve["record_selector"] == "data" and retrieve["record_type"] == "array"
    deleted = _operation("zoho-crm", "/crm/v8/{module_api_name}/deleted")["response"]
    assert deleted["record_selector"] == "data"
    _assert_field(_fields(deleted["fields"]), "deleted_time", "string", format="date-time")
    users = _operation("zoho-crm", "/crm/v8/users")["response"]
    assert users["record_selector"] == "users"
    _assert_field(_fields(users["fields"]), "id", "string")


def test_pagerduty_incidents() -> None:
    listing = _operation("pagerduty", "/incidents")
    params = _parameters(listing)
    for name in ("limit", "offset"):
        assert params[(name, "query")]["type"] == "integer"
    assert params[("total", "query")]["type"] == "boolean"
    assert {("since", "query"), ("until", "query"), ("statuses[]", "query")} <= set(params)
    response = listing["response"]
    assert response["record_selector"] == "incidents" and response["record_type"] == "array"
    envelope = _fields(response["envelope"])
    assert set(envelope) == {"offset", "limit", "more", "total"}
    assert envelope["more"]["type"] == "boolean"
    fields = _fields(response["fields"])
    _assert_field(fields, "id", "string")
    _assert_field(fields, "incident_number", "integer")
    _assert_field(fields, "status", "string")
    _assert_field(fields, "created_at", "string", format="date-time")
    _assert_field(fields, "updated_at", "string", format="date-time")
    _assert_field(fields, "service", "object")
    retrieve = _operation("pagerduty", "/incidents/{id}")["response"]
    assert retrieve["record_selector"] == "incident" and retrieve["record_type"] == "object"
    assert _fields(retrieve["fields"]) == fields
    for plural in ("services", "users", "teams", "escalation_policies", "schedules"):
        assert _operation("pagerduty", f"/{plural}")["response"]["record_selector"] == plural


def test_front_conversations() -> None:
    listing = _operation("front", "/conversations")
    params = _parameters(listing)
    assert params[("limit", "query")]["type"] == "integer"
    assert params[("page_token", "query")]["type"] == "string"
    assert ("q", "query") in params
    response = listing["response"]
    assert response["record_selector"] == "_results" and response["record_type"] == "array"
    assert {field["name"] for field in response["envelope"]} == {"_pagination", "_links"}
    fields = _fields(response["fields"])
    _assert_field(fields, "id", "string", required=True)
    _assert_field(fields, "status", "string", required=True)
    _assert_field(fields, "created_at", "number")  # epoch seconds, not date-time strings
    _assert_field(fields, "updated_at", "number")
    retrieve = _operation("front", "/conversations/{conversation_id}")["response"]
    assert retrieve["record_selector"] is None and _fields(retrieve["fields"]) == fields
    messages = _operation("front", "/conversations/{conversation_id}/messages")["response"]
    assert messages["record_selector"] == "_results"


def test_asana_tasks() -> None:
    listing = _operation("asana", "/tasks")
    params = _parameters(listing)
    assert params[("limit", "query")]["type"] == "integer"
    assert params[("offset", "query")]["type"] == "string"
    assert params[("modified_since", "query")]["format"] == "date-time"
    assert params[("opt_fields", "query")]["type"] == "array"
    assert {("project", "query"), ("workspace", "query")} <= set(params)
    response = listing["response"]
    assert response["record_selector"] == "data" and response["record_type"] == "array"
    assert [field["name"] for field in response["envelope"]] == ["next_page"]
    compact = _fields(response["fields"])  # compact records: more fields need opt_fields
    _assert_field(compact, "gid", "string")
    _assert_field(compact, "name", "string")
    retrieve = _operation("asana", "/tasks/{task_gid}")["response"]
    assert retrieve["record_selector"] == "data" and retrieve["record_type"] == "object"
    full = _fields(retrieve["fields"])
    assert set(compact) < set(full)
    _assert_field(full, "modified_at", "string", format="date-time")
    _assert_field(full, "completed", "boolean")
    _assert_field(full, "projects", "array", items="object")
    project_tasks = _operation("asana", "/projects/{project_gid}/tasks")["response"]
    assert project_tasks["record_selector"] == "data"


# ---- the Stripe extract ------------------------------------------------------------------------


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_stripe_extract_refs_all_resolve_inside_it() -> None:
    spec = stripe_spec()
    refs = {value for key, value in _walk(spec) if key == "$ref"}
    assert len(refs) > 100
    for ref in refs:
        assert isinstance(_resolve(spec, ref), dict), ref
    # Nothing unreachable was copied: every component is some $ref's target (or the error).
    schemas = spec["components"]["schemas"]
    assert {f"#/components/schemas/{name}" for name in schemas} <= refs | {
        "#/components/schemas/error"
    }


def test_the_stripe_extract_holds_the_sandbox_paths_and_its_provenance() -> None:
    spec = stripe_spec()
    assert spec["info"]["version"] == "2023-08-16"
    provenance = spec["x-atspark-extract"]
    assert provenance["vendor_repository"] == "stripe/openapi"
    assert "63a67463" in provenance["path"] and provenance["licence"].startswith("MIT")
    paths = spec["paths"]
    assert all(set(item) == {"get"} for item in paths.values())
    for resource in RESOURCES:
        listing = paths[f"/v1/{resource}"]["get"]
        schema = listing["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["properties"]["object"]["enum"] == ["list"]
        retrieve = [p for p in paths if re.fullmatch(rf"/v1/{resource}/\{{\w+\}}", p)]
        assert len(retrieve) == 1, resource
    assert len(paths) == 2 * len(RESOURCES)
    assert spec["components"]["schemas"]["error"]["properties"]["error"]["$ref"]
    assert (HERE / "stripe" / "LICENSE").read_text().startswith("The MIT License")


def test_the_loader_refuses_unknown_vendors() -> None:
    with pytest.raises(ValueError, match="no facts for 'quickbooks'"):
        facts("quickbooks")
    readme = (HERE / "README.md").read_text()
    for vendor in FACT_VENDORS:
        assert f"{vendor}/facts.json" in readme
    assert "stripe/spec3-extract.json" in readme
