"""Catalog connectors held to their vendors' own API descriptions, from the facts
``tests/vendor_specs`` carries of them (never ``../shared``): each stream's path and method are
an operation of the description; every query parameter the connector sends (its own, the
spec's defaults, its paginator's and its incremental start parameter) is one the operation
declares; the record selector is where the description puts the records; the paginator reads
fields the response's envelope has; each column is a record field of an agreeing type. Then
the generic simulator's first page of every stream is validated, with ``jsonschema``, against a
schema built from the same facts, so the simulator answers as the vendor's description says.

Where a description disagrees with a connector and the description is the one that is wrong or
silent, the disagreement is recorded below with its reason; an exception that no longer
applies fails, so the lists only shrink.
"""

import base64
import functools
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest

from connectors.declarative import spec as s
from connectors.declarative.connector import DeclarativeConnector
from connectors.registry import get_connector
from connectors.sandbox.generic import running_simulator
from tests.vendor_specs import FACT_VENDORS
from tests.vendor_specs import facts as load_facts

facts = functools.cache(load_facts)  # (read-only here)

# ---- where a description's paths start ----------------------------------------------------------

BASE_PATHS = {
    # The description's server URL is https://api-m.paypal.com/v1/reporting, yet its paths are
    # written in full (/v1/reporting/transactions): nothing goes before them.
    "paypal": "",
    # Chargebee publishes a description of API v1 only (/api/v1); the connector reads v2, whose
    # list endpoints keep v1's paths, parameters and list[*].<resource> envelope.
    "chargebee": "/api/v2",
}

# ---- documented disagreements -------------------------------------------------------------------
# Each names what the vendor's description gets wrong or leaves out, keyed by (connector, stream).
# Where the connector was the one that was wrong, its spec was fixed instead.

CHARGEBEE_V2 = (
    "API v2 (the connector's) has it; Chargebee's only published description, of v1, lacks it"
)

UNDESCRIBED_STREAMS = {
    ("paypal_transaction", "products"): "the description is of Transaction Search (reporting) "
    "only; catalog products are PayPal's Catalog Products API, which it does not describe",
    ("paypal_transaction", "plans"): "the description is of Transaction Search (reporting) "
    "only; billing plans are PayPal's Subscriptions API, which it does not describe",
    ("chargebee", "credit_notes"): f"GET /credit_notes: {CHARGEBEE_V2}",
}
"""Streams whose path the vendor's description has no operation for."""

FULL_RECORDS = {
    # opt_fields asks for fields of the full record; the list operations' schemas show only the
    # compact record (gid, resource_type, name), so columns are those of the full one.
    ("asana", "projects"): "/projects/{project_gid}",
    ("asana", "tasks"): "/tasks/{task_gid}",
}
"""Streams whose records are those of another operation of the description (its path)."""

UNDECLARED_PARAMETERS: dict[tuple[str, str], dict[str, str]] = {
    ("chargebee", "customers"): dict.fromkeys(
        ["include_deleted", "sort_by[asc]", "updated_at[after]"], CHARGEBEE_V2
    ),
    ("chargebee", "subscriptions"): dict.fromkeys(
        ["include_deleted", "sort_by[asc]", "updated_at[after]"], CHARGEBEE_V2
    ),
    ("chargebee", "invoices"): dict.fromkeys(
        ["include_deleted", "sort_by[asc]", "updated_at[after]"], CHARGEBEE_V2
    ),
    ("chargebee", "transactions"): dict.fromkeys(
        ["include_deleted", "sort_by[asc]", "updated_at[after]"], CHARGEBEE_V2
    ),
    ("chargebee", "coupons"): {"updated_at[after]": CHARGEBEE_V2},
    ("chargebee", "events"): dict.fromkeys(["occurred_at[after]", "sort_by[asc]"], CHARGEBEE_V2),
    ("front", "events"): {
        "q[after]": "the description types q as a string, yet describes it as Front's search "
        "query object (q[after], q[before], q[types])"
    },
    ("intercom", "contacts"): dict.fromkeys(
        ["per_page", "starting_after"],
        "the description declares no pagination parameters for GET /contacts, though its "
        "text points to cursor pagination and its response's pages.next.starting_after is the "
        "cursor sent back as starting_after",
    ),
}
"""Query parameters the connector sends that the operation does not declare."""

UNSENT_REQUIRED: dict[tuple[str, str], dict[str, str]] = {
    ("paypal_transaction", "transactions"): {
        "end_date": "the connector's own shortcoming, not the description's: PayPal requires "
        "end_date (at most 31 days after start_date), which a declarative spec cannot compute; "
        "the spec's stream description says so"
    },
    ("slack", "usergroups"): {
        "token": "Slack takes the token as a bearer Authorization header instead, as the "
        "connector sends it (the description's other methods leave the query token optional)"
    },
    **{
        ("pagerduty", stream): {
            "Content-Type": "the description marks Content-Type required on every operation, "
            "GETs without a body too: a request with no body has no content type to send"
        }
        for stream in (
            "incidents",
            "services",
            "escalation_policies",
            "users",
            "teams",
            "schedules",
        )
    },
}
"""Required query and header parameters of the operation the connector does not send."""

UNDESCRIBED_ENVELOPE: dict[tuple[str, str], dict[str, str]] = {
    ("front", "tags"): {
        "_pagination.next": "the description declares limit and page_token for GET /tags but "
        "leaves _pagination (the next page's URL, as its other lists have it) out of the response"
    },
}
"""Response fields the connector's paginator reads that the description does not have."""

MISSING_COLUMNS: dict[tuple[str, str], dict[str, str]] = {
    ("chargebee", "customers"): dict.fromkeys(
        [
            "deleted",
            "locale",
            "net_term_days",
            "preferred_currency_code",
            "promotional_credits",
            "resource_version",
            "unbilled_charges",
            "updated_at",
        ],
        CHARGEBEE_V2,
    ),
    ("chargebee", "subscriptions"): dict.fromkeys(
        [
            "billing_period",
            "billing_period_unit",
            "currency_code",
            "customer_id",
            "deleted",
            "mrr",
            "next_billing_at",
            "resource_version",
            "subscription_items",
            "updated_at",
        ],
        CHARGEBEE_V2,
    ),
    ("chargebee", "invoices"): dict.fromkeys(
        [
            "date",
            "deleted",
            "due_date",
            "exchange_rate",
            "linked_payments",
            "net_term_days",
            "paid_at",
            "resource_version",
            "total",
            "updated_at",
            "write_off_amount",
        ],
        CHARGEBEE_V2,
    ),
    ("chargebee", "transactions"): dict.fromkeys(
        [
            "deleted",
            "gateway_account_id",
            "payment_source_id",
            "resource_version",
            "settled_at",
            "updated_at",
        ],
        CHARGEBEE_V2,
    ),
    ("chargebee", "coupons"): dict.fromkeys(
        ["currency_code", "resource_version", "updated_at"], CHARGEBEE_V2
    ),
    ("chargebee", "events"): {"webhook_status": CHARGEBEE_V2},
}
"""Columns that are no record field of the description."""

TYPE_DISAGREEMENTS: dict[tuple[str, str], dict[str, str]] = {
    ("sendgrid", "templates"): {
        "updated_at": "the description gives no format; SendGrid writes UTC date-times as "
        "'YYYY-MM-DD HH:MM:SS', which load as timestamps"
    },
    ("sendgrid", "suppression_groups"): {
        "id": "the description types the group id as a number; ids are integers (its examples)"
    },
    ("sendgrid", "bounces"): {
        "created": "the description types created as a number; it is whole unix seconds (as "
        "for blocks, spam reports and unsubscribes, where it is an integer)"
    },
    ("slack", "users"): dict.fromkeys(
        ["tz_offset", "updated"],
        "the description types them as numbers; they are whole seconds (an offset, a unix time)",
    ),
}
"""Columns whose type disagrees with the description's."""

UNFORMATTED_DATES = {
    "square": "Square's description writes its RFC 3339 timestamps and dates as plain strings",
}
"""Vendors whose description gives date-times and dates no format: a string is one."""

FORMATS = {"ppaas_date_time_v3": "date-time"}  # PayPal's name for its RFC 3339 date-times
"""Vendors' own names of standard formats."""

# ---- the pairs ----------------------------------------------------------------------------------

PAIRS = {
    connector: vendor
    for vendor in FACT_VENDORS
    for connector in facts(vendor)["provenance"]["connectors"]
}
"""Each catalog connector built on a vendor's described API, with the vendor."""
COLUMN_TYPES = {
    "text": {"string"},
    "bigint": {"integer"},
    "double": {"number"},
    "decimal": {"number", "string"},
    "bool": {"boolean"},
    "timestamp": {"string"},
    "date": {"string"},
    "json": {"object", "array"},
}
"""The JSON types a column of each type holds."""
COLUMN_FORMATS = {"timestamp": "date-time", "date": "date"}


@functools.cache
def spec_of(connector: str) -> s.ConnectorSpec:
    found = get_connector(connector)
    assert isinstance(found, DeclarativeConnector), connector
    return found.spec


def template(path: str) -> str:
    """A path with its placeholders made alike: ``/a/{b}/c`` -> ``/a/{}/c``."""
    return re.sub(r"\{[^/}]*\}", "{}", "/" + path.strip("/"))


def reads(described: str, ours: str) -> bool:
    """Whether the connector's path (placeholders made alike) is the description's, where a
    placeholder of the description's may stand for a fixed segment (``/folders/0/items``)."""
    theirs, mine = described.split("/"), ours.split("/")
    return len(theirs) == len(mine) and all(
        a == b or a == "{}" for a, b in zip(theirs, mine, strict=True)
    )


@dataclass(frozen=True)
class Case:
    """One stream of a connector, and its vendor's facts."""

    connector: str
    vendor: str
    spec: s.ConnectorSpec
    stream: s.Stream

    @property
    def key(self) -> tuple[str, str]:
        return (self.connector, self.stream.name)

    @property
    def paginator(self) -> Any:
        return self.stream.paginator or self.spec.defaults.paginator

    @property
    def records(self) -> str:
        return self.stream.records or self.spec.defaults.records or "$"

    @property
    def base(self) -> str:
        """What goes before the description's paths."""
        base = BASE_PATHS.get(self.vendor, facts(self.vendor)["provenance"]["base_path"])
        assert isinstance(base, str), (self.vendor, base)
        return base

    def full_path(self) -> str:
        return template(urlsplit(self.spec.base_url).path + "/" + self.stream.path.lstrip("/"))

    def operation(self, path: str | None = None, method: str | None = None) -> Any:
        """The description's operation at the stream's path (else ``path``), if there is one:
        the one of the very path, else the one whose placeholders stand for its segments."""
        wanted = template(self.base + path) if path else self.full_path()
        method = method or self.stream.method
        found = [
            op
            for op in facts(self.vendor)["operations"]
            if op["method"] == method and reads(template(self.base + op["path"]), wanted)
        ]
        exact = [op for op in found if template(self.base + op["path"]) == wanted]
        found = exact or found
        assert len(found) <= 1, [op["path"] for op in found]
        return found[0] if found else None

    def described(self) -> dict[str, Any]:
        operation = self.operation()
        assert operation is not None, f"{self.full_path()} is not described"
        assert operation["response"] and "fields" in operation["response"], "no records"
        return operation

    def record_fields(self) -> list[dict[str, Any]]:
        """The description's fields of the stream's records."""
        if self.key in FULL_RECORDS:
            full = self.operation(FULL_RECORDS[self.key], "GET")
            assert full is not None, FULL_RECORDS[self.key]
            return full["response"]["fields"]
        return self.described()["response"]["fields"]

    def exceptions(self, documented: dict[tuple[str, str], dict[str, str]]) -> set[str]:
        return set(documented.get(self.key, {}))


def stream_cases() -> Iterator[Any]:
    """Every stream of a connector on a described API, but those its description leaves out."""
    for connector, vendor in sorted(PAIRS.items()):
        for stream in spec_of(connector).streams:
            if (connector, stream.name) not in UNDESCRIBED_STREAMS:
                yield pytest.param(connector, vendor, stream.name, id=f"{connector}-{stream.name}")


STREAMS = list(stream_cases())


def case(connector: str, vendor: str, stream_name: str) -> Case:
    spec = spec_of(connector)
    (stream,) = [stream for stream in spec.streams if stream.name == stream_name]
    return Case(connector, vendor, spec, stream)


def sent_parameters(c: Case) -> set[str]:
    """The query parameters the connector sends on the stream's requests."""
    names = set(c.spec.defaults.params) | set(c.stream.params)
    match c.paginator:
        case s.OffsetPaginator(offset_param=offset, limit_param=limit):
            names |= {offset, limit}
        case s.PageNumberPaginator(page_param=page, page_size_param=size):
            names |= {page} | ({size} if size else set())
        case s.CursorPaginator(cursor_param=cursor):
            names.add(cursor)
    if c.stream.incremental and c.stream.incremental.start_param:
        names.add(c.stream.incremental.start_param)
    if isinstance(c.spec.auth, s.ApiKeyAuth) and c.spec.auth.location == "query":
        names.discard(c.spec.auth.name)  # a security scheme's, not the operation's
    return names


def declares(operation: dict[str, Any], name: str) -> bool:
    """Whether the operation declares query parameter ``name``; ``a[b]`` is also declared as
    an object parameter ``a`` (OpenAPI's deepObject style)."""
    query = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    if name in query:
        return True
    base = name.split("[", 1)[0]
    return name.endswith("]") and query.get(base, {}).get("type") == "object"


def selector(records: str) -> str:
    """A record selector in one form: ``$.data`` -> ``data``, ``$[*]`` -> ``$``."""
    path = records.strip().removeprefix("$").removeprefix(".")
    return "$" if path in ("", "[*]") else path


def body_paths(paginator: Any) -> list[str]:
    """The response fields the paginator reads."""
    names = ("cursor_path", "next_url_path", "total_path", "has_more_path")
    return [path for name in names if (path := getattr(paginator, name, None))]


def types_of(field: dict[str, Any]) -> set[str]:
    given = field.get("type")
    return set(given if isinstance(given, list) else [given] if given else [])


def type_agrees(vendor: str, kind: str, field: dict[str, Any]) -> bool:
    """Whether a column of type ``kind`` holds the field's values: its JSON types, and for a
    timestamp or a date, its format (unless the vendor's description gives dates none)."""
    types = types_of(field)
    if not types:  # the description gives no type
        return True
    if not types <= COLUMN_TYPES[kind]:
        return False
    wanted, given = COLUMN_FORMATS.get(kind), field.get("format")
    if wanted is None or (given is None and vendor in UNFORMATTED_DATES):
        return True
    return FORMATS.get(given, given) == wanted


def assert_documented(found: set[str], documented: set[str], what: str) -> None:
    assert found == documented, (
        f"{what}: {sorted(found - documented)} (not documented); "
        f"documented but no longer so: {sorted(documented - found)}"
    )


# ---- the checks against the description --------------------------------------------------------


def test_the_pairs_and_the_exceptions() -> None:
    """Every catalog connector on a described API is checked, and every exception names one of
    its streams."""
    assert set(PAIRS) == {
        "asana",
        "box",
        "chargebee",
        "front",
        "intercom",
        "klaviyo",
        "pagerduty",
        "paypal_transaction",
        "sendgrid",
        "slack",
        "square",
        "twilio",
        "xero",
    }
    streams = {(c, stream.name) for c in PAIRS for stream in spec_of(c).streams}
    keyed = [
        UNDESCRIBED_STREAMS,
        FULL_RECORDS,
        UNDECLARED_PARAMETERS,
        UNSENT_REQUIRED,
        UNDESCRIBED_ENVELOPE,
        MISSING_COLUMNS,
        TYPE_DISAGREEMENTS,
    ]
    for documented in keyed:
        assert set(documented) <= streams, set(documented) - streams
        for reasons in documented.values():
            texts = reasons.values() if isinstance(reasons, dict) else [reasons]
            assert all(isinstance(text, str) and text for text in texts)
    assert set(UNFORMATTED_DATES) <= set(PAIRS.values())


@pytest.mark.parametrize(("connector", "stream_name"), sorted(UNDESCRIBED_STREAMS))
def test_a_stream_left_out_is_one_the_description_really_lacks(connector: str, stream_name: str):
    assert case(connector, PAIRS[connector], stream_name).operation() is None


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_the_stream_reads_an_operation_of_the_description(
    connector: str, vendor: str, stream_name: str
) -> None:
    c = case(connector, vendor, stream_name)
    operation = c.operation()
    if c.key in UNDESCRIBED_STREAMS:
        assert operation is None, f"{c.key} is described now: drop its exception"
        return
    assert operation is not None, (
        f"{c.stream.method} {c.full_path()} is no operation of {vendor}'s description"
    )
    response = operation["response"]
    assert response is not None and "fields" in response, "the operation returns no records"
    assert response["record_type"] == "array", f"{c.full_path()} returns one record, not a list"


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_every_query_parameter_sent_is_declared(
    connector: str, vendor: str, stream_name: str
) -> None:
    c = case(connector, vendor, stream_name)
    operation = c.described()
    undeclared = {name for name in sent_parameters(c) if not declares(operation, name)}
    assert_documented(undeclared, c.exceptions(UNDECLARED_PARAMETERS), "undeclared parameters")


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_every_required_parameter_is_sent(connector: str, vendor: str, stream_name: str) -> None:
    c = case(connector, vendor, stream_name)
    sent = sent_parameters(c)
    headers = {name.lower() for name in c.spec.headers} | {"authorization"}
    if isinstance(c.spec.auth, s.ApiKeyAuth):
        (sent if c.spec.auth.location == "query" else headers).add(c.spec.auth.name.lower())
    unsent = {
        p["name"]
        for p in c.described()["parameters"]
        if p["required"]
        and (
            (p["in"] == "query" and p["name"] not in sent)
            or (p["in"] == "header" and p["name"].lower() not in headers)
        )
    }
    assert_documented(unsent, c.exceptions(UNSENT_REQUIRED), "required parameters not sent")


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_the_record_selector_is_the_descriptions(
    connector: str, vendor: str, stream_name: str
) -> None:
    c = case(connector, vendor, stream_name)
    response = c.described()["response"]
    assert selector(c.records) == response["record_selector"]


def envelope_has(envelope: list[dict[str, Any]], path: str) -> bool:
    """Whether the envelope has the field at dotted ``path``, as deep as the facts go."""
    fields: list[dict[str, Any]] | None = envelope
    for step in selector(path).split("."):
        if fields is None:  # the facts go no deeper
            return True
        by_name = {field["name"]: field for field in fields}
        if step not in by_name:
            return False
        fields = by_name[step].get("fields")
    return True


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_the_paginator_reads_fields_of_the_envelope(
    connector: str, vendor: str, stream_name: str
) -> None:
    c = case(connector, vendor, stream_name)
    envelope = c.described()["response"]["envelope"]
    absent = {path for path in body_paths(c.paginator) if not envelope_has(envelope, path)}
    assert_documented(absent, c.exceptions(UNDESCRIBED_ENVELOPE), "fields not in the envelope")


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_every_column_is_a_record_field_of_an_agreeing_type(
    connector: str, vendor: str, stream_name: str
) -> None:
    c = case(connector, vendor, stream_name)
    fields = {field["name"]: field for field in c.record_fields()}
    missing = {column for column in c.stream.columns if column not in fields}
    assert_documented(missing, c.exceptions(MISSING_COLUMNS), "columns that are no field")
    disagreeing = {
        column
        for column, kind in c.stream.columns.items()
        if column in fields and not type_agrees(vendor, kind, fields[column])
    }
    detail = {column: (c.stream.columns[column], fields[column]) for column in disagreeing}
    assert_documented(
        disagreeing, c.exceptions(TYPE_DISAGREEMENTS), f"types that disagree {detail}"
    )


# ---- the simulator answers as the description says ----------------------------------------------


def field_schema(field: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema of a field's facts: its types (null too when nullable), and an object's
    own fields where the facts give them."""
    types = types_of(field)
    if not types:
        return {}
    if field.get("nullable"):
        types.add("null")
    schema: dict[str, Any] = {"type": sorted(types)}
    if field.get("fields"):
        schema["properties"] = {inner["name"]: field_schema(inner) for inner in field["fields"]}
    return schema


def body_schema(c: Case) -> dict[str, Any]:
    """The response body's JSON Schema from the facts: records with the description's fields
    (and no others unless it allows more), where its record selector puts them, in its
    envelope (and nothing else). A documented disagreement leaves its column unchecked."""
    response = c.described()["response"]
    loose = c.exceptions(MISSING_COLUMNS) | c.exceptions(TYPE_DISAGREEMENTS)
    properties = {}
    for field in c.record_fields():
        properties[field["name"]] = {} if field["name"] in loose else field_schema(field)
        if c.stream.columns.get(field["name"]) == "json" and field["name"] not in loose:
            # The simulator writes every json column as an object: the column type does not
            # say object or array (which the column check above holds to the description).
            nullable = ["null"] if field.get("nullable") else []
            properties[field["name"]] = {"type": ["array", "object", *nullable]}
    record = {
        "type": "object",
        "properties": properties | {name: {} for name in c.exceptions(MISSING_COLUMNS)},
        "additionalProperties": bool(response.get("additional_fields")),
    }
    records: dict[str, Any] = {"type": "array", "items": record}
    at = response["record_selector"]
    if at == "$":
        return records
    holder, _, inner = at.partition("[*].")
    if inner:
        records["items"] = {"type": "object", "properties": {inner: record}, "required": [inner]}
    envelope = {field["name"]: field_schema(field) for field in response["envelope"]}
    for path in c.exceptions(UNDESCRIBED_ENVELOPE):
        envelope.setdefault(selector(path).split(".")[0], {})
    for path in body_paths(c.paginator):
        # On the last page the simulator writes null where the paginator reads the next
        # cursor or URL (a vendor may instead null the object holding it, or leave it out).
        if isinstance(c.paginator, s.CursorPaginator | s.JsonLinkPaginator):
            *outer, leaf = selector(path).split(".")
            fields = envelope
            for step in outer:
                fields = fields.get(step, {}).get("properties", {})
            if "type" in fields.get(leaf, {}):
                fields[leaf]["type"] = sorted({*fields[leaf]["type"], "null"})
    return {
        "type": "object",
        "properties": {**envelope, holder: records},
        "required": [holder],
        "additionalProperties": False,
    }


def credentials(spec: s.ConnectorSpec, client: httpx.Client) -> tuple[dict, dict]:
    """Headers and query parameters that authenticate with the simulator."""
    auth = spec.auth
    match auth:
        case s.BearerAuth():
            return {"Authorization": f"{auth.prefix}test-token"}, {}
        case s.ApiKeyAuth(location="query"):
            return {}, {auth.name: "test-key"}
        case s.ApiKeyAuth():
            return {auth.name: f"{auth.prefix}test-key"}, {}
        case s.BasicAuth():
            return {"Authorization": "Basic " + base64.b64encode(b"user:secret").decode()}, {}
        case s.OAuth2ClientCredentials() | s.OAuth2RefreshToken():
            grant = (
                {"grant_type": "refresh_token", "refresh_token": "rt-test"}
                if isinstance(auth, s.OAuth2RefreshToken)
                else {"grant_type": "client_credentials"}
            )
            answer = client.post(
                urlsplit(auth.token_url).path,
                data={**grant, "client_id": "id", "client_secret": "secret"},
            )
            answer.raise_for_status()
            return {"Authorization": f"{auth.prefix}{answer.json()['access_token']}"}, {}
    return {}, {}


class Simulators(dict):
    """Each connector's simulator, started on first use: its URL, the simulator, and the
    headers and query parameters that authenticate with it (one OAuth2 grant: refresh tokens
    are spent as they are used)."""

    def __init__(self, stack: ExitStack) -> None:
        super().__init__()
        self.stack = stack

    def __missing__(self, connector: str) -> tuple[str, Any, tuple[dict, dict]]:
        spec = spec_of(connector)
        url, simulator = self.stack.enter_context(running_simulator(spec))
        with httpx.Client(base_url=url, timeout=10) as client:
            self[connector] = (url, simulator, credentials(spec, client))
        return self[connector]


@pytest.fixture(scope="module")
def simulators() -> Iterator[Simulators]:
    with ExitStack() as stack:
        yield Simulators(stack)


@pytest.mark.parametrize(("connector", "vendor", "stream_name"), STREAMS)
def test_the_simulators_answer_is_valid_against_the_description(
    connector: str, vendor: str, stream_name: str, simulators: Simulators
) -> None:
    c = case(connector, vendor, stream_name)
    schema = body_schema(c)
    url, simulator, (headers, auth_params) = simulators[connector]
    values = {name: f"test-{name}" for name in s.PLACEHOLDER.findall(c.stream.path)}
    if c.stream.parent:
        parent = simulator.dataset.records[c.stream.parent.stream][0]
        values[c.stream.parent.param] = str(parent[c.stream.parent.field])
    path = s.PLACEHOLDER.sub(lambda match: values[match.group(1)], c.stream.path)
    with httpx.Client(base_url=url, timeout=10) as client:
        params = dict(auth_params) | {
            name: str(value).lower() if isinstance(value, bool) else value
            for name, value in {**c.spec.defaults.params, **c.stream.params}.items()
        }
        answer = client.request(
            c.stream.method, path, headers=headers, params=params, json=c.stream.json_body
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    jsonschema.validate(body, schema)
    records = body if schema["type"] == "array" else body[next(iter(schema["required"]))]
    assert records, "an empty page validates nothing"
