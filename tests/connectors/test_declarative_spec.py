"""The declarative spec, its connection schema and its compilation into dlt's rest_api."""

import copy

import pytest
from pydantic import ValidationError

from connectors.base import ConnectionSpec, Runtime
from connectors.config_schema import check, coerce
from connectors.declarative.connector import DeclarativeConnector
from connectors.declarative.engine import convert, initial_value, rest_api_config
from connectors.declarative.spec import ConnectorSpec
from connectors.egress import host_allowed
from governance.errors import AtsparkError

SPEC = {
    "name": "acme",
    "title": "Acme",
    "category": "crm",
    "docs_url": "https://acme.example/docs",
    "base_url": "https://{site}.acme.example/api/v2",
    "allowed_hosts": ["*.acme.example"],
    "auth": {"type": "basic", "username": "{api_key}", "password": ""},
    "config": {
        "type": "object",
        "properties": {"site": {"type": "string"}, "account": {"type": "string"}},
    },
    "headers": {"X-Account": "{account}"},
    "defaults": {
        "records": "data",
        "paginator": {"type": "cursor", "cursor_path": "next", "cursor_param": "after"},
    },
    "streams": [
        {
            "name": "deals",
            "path": "/accounts/{account}/deals",
            "params": {"archived": False, "owner": "{account}"},
            "incremental": {
                "cursor_path": "updated",
                "start_param": "since",
                "format": "unix",
                "param_format": "iso8601",
            },
            "columns": {"id": "text", "updated": "bigint"},
        },
        {
            "name": "notes",
            "path": "/deals/{deal_id}/notes",
            "parent": {"stream": "deals", "field": "id", "param": "deal_id"},
            "columns": {"id": "text"},
        },
    ],
}


def spec(**changes) -> dict:
    document = copy.deepcopy(SPEC)
    document.update(changes)
    return document


def stream(**changes) -> dict:
    return {**copy.deepcopy(SPEC["streams"][0]), **changes}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            spec(streams=[stream(incremental=None, primary_key=None)]),
            "append without an incremental",
        ),
        (spec(streams=[stream(primary_key="nope")]), "primary key column 'nope'"),
        (spec(streams=[stream(path="/x/{missing}")]), r"unknown fields \['missing'\]"),
        (spec(headers={"X": "{missing}"}), r"unknown fields \['missing'\]"),
        (spec(streams=[stream(records="$")]), "its body is the list of records"),
        (spec(streams=[stream(name="Deals")]), "String should match pattern"),
        (spec(category="toys"), "category"),
        (spec(base_url="http://plain.example"), "base_url"),
        (
            spec(
                streams=[
                    SPEC["streams"][0],
                    {**SPEC["streams"][1], "incremental": {"cursor_path": "id"}},
                ]
            ),
            "child stream cannot be incremental",
        ),
        (spec(streams=[stream(), stream()]), "stream names must be unique"),
        (spec(auth={"type": "magic"}), "auth"),
    ],
)
def test_a_spec_the_engine_could_not_run_faithfully_is_refused(document, message):
    with pytest.raises(ValidationError, match=message):
        ConnectorSpec.model_validate(document)


def test_the_connection_schema_adds_auth_secrets_and_common_fields():
    schema = DeclarativeConnector(ConnectorSpec.model_validate(SPEC)).config_schema
    properties = schema["properties"]
    assert properties["api_key"]["writeOnly"] is True
    assert {"base_url", "streams", "start_date", "site", "account"} <= set(properties)
    assert schema["required"] == ["account", "api_key"]  # account is in a path: always needed
    assert schema["then"] == {"required": ["site"]}  # site only without a base_url
    check(schema, {"site": "eu", "account": "a1"}, {"api_key": "k"}, "acme")
    check(schema, {"base_url": "http://127.0.0.1:1", "account": "a1"}, {"api_key": "k"}, "acme")
    with pytest.raises(AtsparkError, match="needs config site"):
        check(schema, {"account": "a1"}, {"api_key": "k"}, "acme")


def test_typed_fields_take_text_as_people_type_it():
    schema = {
        "properties": {"n": {"type": "integer"}, "b": {"type": "boolean"}, "a": {"type": "array"}}
    }
    assert coerce(schema, {"n": " 5", "b": "yes", "a": "x, y,"}) == {
        "n": 5,
        "b": True,
        "a": ["x", "y"],
    }
    with pytest.raises(AtsparkError, match="takes a integer"):
        coerce(schema, {"n": "five"})


def test_a_secret_value_is_never_repeated_in_an_error():
    schema = DeclarativeConnector(ConnectorSpec.model_validate(SPEC)).config_schema
    with pytest.raises(AtsparkError) as refused:
        check(schema, {"site": "eu", "account": "a"}, {"api_key": ""}, "acme")
    assert "api_key" in str(refused.value) and "''" not in str(refused.value)


def test_compiles_into_rest_api_with_fields_filled_and_quoted():
    connector = DeclarativeConnector(ConnectorSpec.model_validate(SPEC))
    connection = ConnectionSpec("t", "c", {"site": "eu", "account": "a/../b"}, {"api_key": "k"})
    config = rest_api_config(connector.spec, connection)
    assert config["client"]["base_url"] == "https://eu.acme.example/api/v2/"
    assert config["client"]["session"].headers["X-Account"] == "a/../b"
    deals, notes = config["resources"]
    assert deals["endpoint"]["path"] == "accounts/a%2F..%2Fb/deals"
    assert deals["endpoint"]["params"] == {"archived": "false", "owner": "a/../b"}
    assert deals["endpoint"]["paginator"] == {
        "type": "cursor",
        "cursor_path": "next",
        "cursor_param": "after",
    }
    assert deals["endpoint"]["data_selector"] == "data"
    assert deals["endpoint"]["incremental"]["start_param"] == "since"
    assert deals["primary_key"] == ["id"] and deals["write_disposition"] == "merge"
    assert notes["endpoint"]["path"] == "deals/{resources.deals.id}/notes"


def test_a_control_character_in_a_value_is_refused():
    connector = DeclarativeConnector(ConnectorSpec.model_validate(SPEC))
    connection = ConnectionSpec(
        "t", "c", {"site": "eu", "account": "a\r\nX-Evil: 1"}, {"api_key": "k"}
    )
    with pytest.raises(AtsparkError, match="'account' holds a control character"):
        connector.validate(connection)


def test_a_base_url_must_be_an_allowed_host():
    connector = DeclarativeConnector(ConnectorSpec.model_validate(SPEC))
    for url in (
        "https://acme.example.evil.com",
        "https://evil.com#.acme.example",
        "http://127.0.0.1:9",
    ):
        connection = ConnectionSpec("t", "c", {"base_url": url, "account": "a"}, {"api_key": "k"})
        with pytest.raises(AtsparkError, match=r"may not reach|needs a base_url like"):
            connector.validate(connection)
    sandbox = Runtime(egress_hosts=("127.0.0.1",))
    connector.validate(
        ConnectionSpec(
            "t", "c", {"base_url": "http://127.0.0.1:9", "account": "a"}, {"api_key": "k"}, sandbox
        )
    )


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("eu.acme.example", True),
        ("ACME.EXAMPLE.", False),
        ("a.b.acme.example", True),
        ("evilacme.example", False),
        ("acme.example.evil", False),
    ],
)
def test_wildcard_hosts_cover_subdomains_only(host, allowed):
    assert host_allowed(host, ["*.acme.example"]) is allowed


def test_cursor_values_convert_between_formats():
    assert initial_value("unix", "2024-01-01") == 1704067200
    assert initial_value("iso8601", None) == "1970-01-01T00:00:00Z"
    assert convert("unix", "iso8601", 1704067200) == "2024-01-01T00:00:00Z"
    assert convert("iso8601", "date", "2024-03-05T10:00:00+02:00") == "2024-03-05"
    assert convert("unix_ms", "unix", 1704067200123) == 1704067200
