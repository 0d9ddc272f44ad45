"""The HubSpot connector end to end, through the platform (a tenant, a connection, the ingestion
service, the tenant's warehouse) against the HubSpot simulator: exact loads despite HubSpot's
faults, incremental loads from the cursor, a run stopped midway, more than 10,000 records
through the search API's cap, and OAuth connections renewing HubSpot's 30-minute tokens."""

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import requests

from connectors.hubspot import connector
from connectors.hubspot.streams import (
    OBJECTS,
    OWNER_FIELDS,
    PIPELINE_FIELDS,
    RECORD_FIELDS,
    STREAM_NAMES,
)
from connectors.oauth import ReauthorizationNeeded, new_code_verifier, request_tokens
from connectors.sandbox.hubspot import SANDBOX_TOKEN, Faults, create_app
from connectors.sandbox.server import running
from governance import tenancy
from governance.errors import AtsparkError
from governance.store.lookups import find_tenant
from services import connections, tenants
from services.ingestion import ingest

EXTRA = {"contacts": ["hs_language"], "deals": ["hs_priority"]}
CALLBACK = "http://127.0.0.1:9/oauth/callback"
STOPPED_STREAMS = ["contacts", "deals", "owners"]


def connect(operator, url: str, secrets: dict[str, str] | None = None, **config: Any) -> None:
    tenants.create_tenant(operator, "acme")
    connections.add_connection(
        operator,
        "acme",
        "hubspot",
        {"base_url": url, **config},
        secrets or {"access_token": SANDBOX_TOKEN},
    )


def columns_of(stream: str, extra: dict[str, list[str]]) -> dict[str, tuple[Any, str]]:
    """Each column of a stream's table: how to read it from a simulator record, and its type."""
    if stream in OBJECTS:
        return {
            column: (
                (lambda r, f=RECORD_FIELDS[column][0]: r[f])
                if column in RECORD_FIELDS
                else (lambda r, c=column: r["properties"].get(c)),
                kind,
            )
            for column, kind in OBJECTS[stream].columns(extra.get(stream, ())).items()
        }
    fields = OWNER_FIELDS if stream == "owners" else PIPELINE_FIELDS
    return {column: (lambda r, f=field: r.get(f), kind) for column, (field, kind) in fields.items()}


def normalized(value: Any, kind: str) -> Any:
    if value is None or (value == "" and kind != "text"):
        return None
    if kind == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind == "double":
        return float(value)
    if kind == "json" and isinstance(value, str):
        return json.loads(value)
    return value


def simulator_rows(url: str, stream: str, extra: dict[str, list[str]]) -> list[tuple]:
    """What a load must hold of a stream: the simulator's records, as the table's rows."""
    records = httpx.get(f"{url}/_sandbox/records/{stream}").json()
    columns = columns_of(stream, extra).values()
    return sorted(
        (tuple(normalized(read(record), kind) for read, kind in columns) for record in records),
        key=lambda row: (row[0], row[1]),
    )


def warehouse_rows(operator, streams, extra: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Each stream's table, as rows comparable with the simulator's (one warehouse read)."""
    tenant = tenants.get_tenant(operator, "acme")
    found = {}
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        for stream in streams:
            columns = columns_of(stream, extra)
            kinds = [kind for _, kind in columns.values()]
            rows = connection.execute(
                f"SELECT {', '.join(columns)} FROM acme.hubspot_{stream}"
            ).fetchall()
            found[stream] = sorted(
                (tuple(map(normalized, row, kinds)) for row in rows),
                key=lambda row: (row[0], row[1]),
            )
    return found


def assert_exact(operator, url: str, streams, extra: dict[str, list[str]] | None = None) -> None:
    loaded = warehouse_rows(operator, streams, extra or {})
    for stream in streams:
        assert loaded[stream] == simulator_rows(url, stream, extra or {}), stream


def searches(simulator, since: int = 0) -> dict[str, list[dict[str, Any]]]:
    """The search bodies sent from request ``since`` on, by object."""
    found: dict[str, list[dict[str, Any]]] = {}
    for request in simulator.requests[since:]:
        if request["path"].endswith("/search"):
            found.setdefault(request["path"].split("/")[4], []).append(request["body"])
    return found


def newest(operator) -> dict[str, int]:
    """The latest modification moment loaded of each object, in epoch milliseconds."""
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        return {
            name: connection.execute(
                f"SELECT epoch_ms(max({stream.modified})) FROM acme.hubspot_{name}"
            ).fetchone()[0]
            for name, stream in OBJECTS.items()
        }


def test_exact_despite_faults_then_incremental_from_the_cursor(operator) -> None:
    faults = Faults(rate_limit_every=6, error_every=7, reset_every=13, retry_after=0)
    app = create_app(seed=5, faults=faults)
    simulator = app.state.simulator
    with running(app) as url:
        connect(operator, url, contacts_properties="hs_language", deals_properties=["hs_priority"])
        first = ingest(operator, "acme", "hubspot")
        assert set(first.rows) == {f"hubspot_{name}" for name in STREAM_NAMES}
        assert_exact(operator, url, STREAM_NAMES, EXTRA)
        statuses = {request["status"] for request in simulator.requests}
        assert {429, 503, "reset"} <= statuses
        cursors = newest(operator)

        simulator.faults = Faults()
        asked_before = len(simulator.requests)
        httpx.post(f"{url}/_sandbox/advance")
        again = ingest(operator, "acme", "hubspot")
        assert_exact(operator, url, STREAM_NAMES, EXTRA)
    for name, bodies in searches(simulator, asked_before).items():
        (group,) = bodies[0]["filterGroups"]
        assert group["filters"] == [
            {
                "propertyName": OBJECTS[name].modified,
                "operator": "GTE",
                "value": str(cursors[name]),
            }
        ]
        assert "hs_language" in bodies[0]["properties"] or name != "contacts"
    moved = sum(again.rows[f"hubspot_{name}"] for name in OBJECTS)
    assert moved < sum(first.rows[f"hubspot_{name}"] for name in OBJECTS) / 4


def test_a_run_stopped_midway_publishes_nothing_and_the_next_loses_and_doubles_nothing(
    operator,
) -> None:
    app = create_app(seed=6)
    simulator = app.state.simulator
    with running(app) as url:
        connect(operator, url, streams=STOPPED_STREAMS)
        ingest(operator, "acme", "hubspot")
        tenant = tenants.get_tenant(operator, "acme")
        snapshots = operator.platform.warehouse(tenant.id, "acme").snapshots
        published = snapshots.current()
        httpx.post(f"{url}/_sandbox/advance", params={"changed": 150, "created": 30})
        simulator.faults = Faults(daily_limit=simulator.answered + 3)  # in deals' pages
        with pytest.raises(AtsparkError, match="HubSpot's daily API limit"):
            ingest(operator, "acme", "hubspot")
        assert snapshots.current() == published
        simulator.faults = Faults()
        ingest(operator, "acme", "hubspot")
        assert_exact(operator, url, STOPPED_STREAMS)
    assert snapshots.current() != published


def test_the_first_load_starts_at_the_start_date(operator) -> None:
    app = create_app(seed=7, records={"deals": 300})
    simulator = app.state.simulator
    moments = sorted(r.modified for r in simulator.account.objects["deals"].records.values())
    start = datetime.fromtimestamp(moments[150] // 1000, UTC)  # (whole seconds)
    since = int(start.timestamp()) * 1000
    with running(app) as url:
        connect(operator, url, streams=["deals"], start_date=start.isoformat())
        loaded = ingest(operator, "acme", "hubspot")
    (body,) = searches(simulator)["deals"]
    assert body["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since),
    }  # fmt: skip
    assert loaded.rows == {"hubspot_deals": sum(moment >= since for moment in moments)}


def test_more_than_ten_thousand_records_through_the_search_cap(operator) -> None:
    """10,500 contacts: the first search reads 10,000, the next starts from the moment the
    10,000th was modified (its records there already read come again, and are dropped)."""
    app = create_app(seed=8, records={"contacts": 10_500})
    simulator = app.state.simulator
    ordered = sorted(
        simulator.account.objects["contacts"].records.values(), key=lambda r: (r.modified, r.id)
    )
    boundary = ordered[9_999].modified
    assert ordered[10_000].modified == boundary  # the moment spans the cap (seed chosen so)
    with running(app) as url:
        connect(operator, url, streams=["contacts"])
        loaded = ingest(operator, "acme", "hubspot")
        assert loaded.rows == {"hubspot_contacts": 10_500}
        assert_exact(operator, url, ["contacts"])
    bodies = searches(simulator)["contacts"]
    assert all(request["status"] == 200 for request in simulator.requests)
    assert max(int(body["after"]) for body in bodies) == 9_800
    restart = {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(boundary)}
    assert bodies[50]["filterGroups"] == [{"filters": [restart]}]
    assert bodies[50]["after"] == "0" and len(bodies) == 53


# ---- OAuth ---------------------------------------------------------------------------------------


def authorize(url: str) -> dict[str, Any]:
    """A person allows the connector's OAuth app at the simulator: its tokens."""
    app = connector.oauth_app({"base_url": url})
    verifier = new_code_verifier()
    authorize_url = app.authorization_url("sandbox-client-id", CALLBACK, "state-1", verifier)
    assert httpx.get(authorize_url).status_code == 200  # the consent page
    allowed = dict(parse_qsl(urlsplit(authorize_url).query)) | {"decision": "allow"}
    callback = httpx.post(app.authorize_url, data=allowed)
    code = dict(parse_qsl(urlsplit(callback.headers["location"]).query))["code"]
    return request_tokens(
        requests.Session(),
        app,
        "sandbox-client-id",
        "sandbox-client-secret",
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
    )


def oauth_secrets(tokens: dict[str, Any], **more: str) -> dict[str, str]:
    return {
        "client_id": "sandbox-client-id",
        "client_secret": "sandbox-client-secret",
        "refresh_token": tokens["refresh_token"],
        **more,
    }


def stored_secrets(operator) -> dict[str, str]:
    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "hubspot")
        return tenancy.connection_secrets(operator.platform, tenant, found)


def test_an_expired_access_token_is_renewed_before_the_first_call(operator) -> None:
    app = create_app(seed=9, records=5)
    simulator = app.state.simulator
    with running(app) as url:
        tokens = authorize(url)
        assert tokens["expires_in"] == 1800
        stale = {"access_token": "at_expired", "expires_at": str(int(time.time()) - 60)}
        connect(operator, url, oauth_secrets(tokens, **stale), streams=["owners", "pipelines"])
        ingest(operator, "acme", "hubspot")
        assert_exact(operator, url, ["owners", "pipelines"])
    assert {(r["token"], r["status"]) for r in simulator.requests} == {("oauth", 200)}
    stored = stored_secrets(operator)
    assert stored["refresh_token"] == tokens["refresh_token"]  # HubSpot does not rotate them
    assert stored["access_token"] not in ("at_expired", tokens["access_token"])
    assert int(stored["expires_at"]) > time.time() + 1700


def test_a_long_run_outlives_its_access_tokens(operator) -> None:
    """Tokens shorter-lived than the renewal margin: each request goes with a new one."""
    app = create_app(seed=9, records=450, token_lifetime=5)
    simulator = app.state.simulator
    with running(app) as url:
        connect(operator, url, oauth_secrets(authorize(url)), streams=["contacts", "owners"])
        ingest(operator, "acme", "hubspot")
        assert_exact(operator, url, ["contacts", "owners"])
    digests = [request["token_digest"] for request in simulator.requests]
    assert len(digests) >= 5 and len(set(digests)) == len(digests)
    assert all(request["status"] == 200 for request in simulator.requests)


def test_a_revoked_refresh_token_asks_for_reauthorization(operator) -> None:
    app = create_app(seed=9, records=5)
    with running(app) as url:
        connect(operator, url, oauth_secrets(authorize(url)))
        httpx.post(f"{url}/_sandbox/oauth/revoke")
        with pytest.raises(ReauthorizationNeeded, match="authorized again"):
            ingest(operator, "acme", "hubspot")
    assert app.state.simulator.requests == []
    (found,) = connections.list_connections(operator, "acme")
    assert found.status == "needs_reauthorization"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"base_url": "https://api.hubapi.com.attacker.example"}, "may not reach"),
        ({"streams": "contacts,emails"}, "streams"),
    ],
)
def test_a_bad_connection_is_refused_and_nothing_is_added(operator, config, message) -> None:
    tenants.create_tenant(operator, "acme")
    with pytest.raises(AtsparkError, match=message):
        connections.add_connection(
            operator, "acme", "hubspot", config, {"access_token": SANDBOX_TOKEN}
        )
    assert connections.list_connections(operator, "acme") == []
