"""The QuickBooks connector end to end through the platform: the SDK against the simulator, dlt,
an encrypted snapshot. Full loads despite faults, incremental loads through change data capture
(deletions removed) or queries, killed runs, rotating refresh tokens, and bad input."""

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from dlt.common.normalizers.naming import snake_case
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from connectors.oauth import ReauthorizationNeeded
from connectors.quickbooks.streams import STREAMS
from connectors.sandbox.generic import Faults
from connectors.sandbox.quickbooks import REALM_ID, Sandbox, create_app
from connectors.sandbox.quickbooks.dataset import updated_at
from governance import tenancy
from governance.errors import AtsparkError
from governance.store.lookups import find_tenant
from services import audit, connections, tenants
from services.ingestion import ingest
from tests.connectors import test_quickbooks
from tests.fixtures.killed import kill_ingest_when

ATSPARK = str(Path(sys.executable).parent / "atspark")
SECRETS = {
    "client_id": "sandbox-client-id",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "rt-first",
}
ENTITY_OF = {stream.spec.name: stream.entity for stream in STREAMS}
server = test_quickbooks.server  # the fixture serving each test's simulator: one server


@pytest.fixture
def sandbox(server) -> Callable[..., tuple[str, Sandbox]]:
    """Serve a company of ``records`` customers whose history is the last 20 days (within
    change data capture's window) unless ``options`` say otherwise."""
    url, served = server

    def serve(seed: int = 11, records: int = 12, **options) -> tuple[str, Sandbox]:
        served.app = create_app(seed, records, **{"history_days": 20, **options})
        return url, served.app.state.sandbox

    return serve


@pytest.fixture
def vendor(server) -> Callable[[Starlette], str]:
    """Serve an app of our own in the vendor's place: its base URL."""
    url, served = server

    def serve(app: Starlette) -> str:
        served.app = app
        return url

    return serve


def connect(operator, url: str, secrets: dict | None = None, **config) -> None:
    tenants.create_tenant(operator, "acme")
    connections.add_connection(
        operator,
        "acme",
        "quickbooks",
        {"base_url": url, "realm_id": REALM_ID, **config},
        dict(SECRETS if secrets is None else secrets),
    )


Rows = dict[str, tuple[str, datetime]]


def read(operator, *queries: str) -> list[list[tuple]]:
    """What each SQL query answers in the tenant's warehouse (opened once: that takes time)."""
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        return [connection.execute(sql).fetchall() for sql in queries]


def loaded(operator, streams) -> dict[str, Rows]:
    """Each stream's table: its rows' ``SyncToken`` and update time by ``Id``, each ``Id``
    once."""
    columns = "id, sync_token, meta_data__last_updated_time"
    tables = {}
    answers = read(operator, *(f"SELECT {columns} FROM acme.quickbooks_{s}" for s in streams))
    for stream, rows in zip(streams, answers, strict=True):
        tables[stream] = {key: (token, moment) for key, token, moment in rows}
        assert len(tables[stream]) == len(rows), f"{stream} holds an Id twice"
    return tables


def held(box, streams) -> dict[str, Rows]:
    """What the company holds of each stream, as ``loaded`` reads a table."""
    return {
        stream: {
            r["Id"]: (r["SyncToken"], updated_at(r))
            for r in box.company.entities[ENTITY_OF[stream]]
        }
        for stream in streams
    }


def assert_exact(operator, box, streams=tuple(ENTITY_OF)) -> None:
    assert loaded(operator, streams) == held(box, streams)


def declared_columns() -> dict[str, list[str]]:
    naming = snake_case.NamingConvention()
    return {
        f"quickbooks_{stream.spec.name}": [naming.normalize_path(c) for c in stream.columns]
        for stream in STREAMS
    }


def warehouse_columns(operator) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    (columns,) = read(
        operator,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "'acme' AND starts_with(table_name, 'quickbooks_') ORDER BY table_name, ordinal_position",
    )
    for table, column in columns:
        tables.setdefault(table, []).append(column)
    return tables


def stored_secrets(operator) -> dict[str, str]:
    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "quickbooks")
        return tenancy.connection_secrets(operator.platform, tenant, found)


def snapshot(operator):
    tenant = tenants.get_tenant(operator, "acme")
    return operator.platform.warehouse(tenant.id, "acme").snapshots


def test_a_full_load_despite_faults_then_change_data_capture_keeps_every_table_exact(
    operator, sandbox
):
    """Every stream, with Intuit's 429, a 503 and a connection reset on the way: each table
    holds the company's entities with the declared columns; after the company moved, change
    data capture from each stream's cursor leaves each table exact again, deletions gone."""
    faults = Faults(rate_limit_every=5, error_every=7, reset_every=11, max_each=1)
    url, box = sandbox(faults=faults)
    connect(operator, url)
    ingest(operator, "acme", "quickbooks")
    assert box.schedule.fired == {"rate_limit": 1, "error": 1, "reset": 1}
    assert_exact(operator, box)
    assert declared_columns() == warehouse_columns(operator)
    invoice = box.company.entities["Invoice"][0]
    (row,) = read(
        operator,
        "SELECT total_amt, txn_date, customer_ref, line FROM acme.quickbooks_invoice "
        f"WHERE id = '{invoice['Id']}'",
    )
    assert row == [
        (
            invoice["TotalAmt"],
            date.fromisoformat(invoice["TxnDate"]),
            json.dumps(invoice["CustomerRef"], separators=(",", ":")),
            json.dumps(invoice["Line"], separators=(",", ":")),
        )
    ]
    cursors = {
        stream: max(moment for _, moment in rows.values())
        for stream, rows in loaded(operator, ENTITY_OF).items()
        if rows
    }
    before = len(box.requests)
    changed = httpx.post(f"{url}/_sandbox/advance").json()
    ingest(operator, "acme", "quickbooks")
    second = box.requests[before:]
    assert_exact(operator, box)
    assert changed["deleted"] > 0 and changed["updated"] > 0 and changed["created"] > 0
    deleted = {tombstone["Id"] for tombstone in box.company.tombstones["Invoice"]}
    assert deleted and deleted.isdisjoint(loaded(operator, ["invoice"])["invoice"])
    captured = {
        r["params"]["entities"]: r["params"]["changedSince"] for r in second if "cdc" in r["path"]
    }
    for stream, cursor in cursors.items():
        if ENTITY_OF[stream] not in ("TaxCode", "TaxRate"):
            assert datetime.fromisoformat(captured[ENTITY_OF[stream]]) == cursor, stream
    queried = {r["statement"].split()[3] for r in second if r["path"].endswith("/query")}
    empty = {ENTITY_OF[stream] for stream in ENTITY_OF if stream not in cursors}
    assert queried == {"TaxCode", "TaxRate"} | empty  # nothing loaded yet: no cursor
    assert all(r["params"]["minorversion"] == "75" for r in box.requests)


def test_a_run_after_more_than_30_days_catches_up_through_the_query_endpoint(operator, sandbox):
    url, box = sandbox(age_days=45)
    connect(operator, url, streams=["invoice", "customer"])
    ingest(operator, "acme", "quickbooks")
    newest = max(updated_at(i) for i in box.company.entities["Invoice"])
    before = len(box.requests)
    httpx.post(f"{url}/_sandbox/advance", params={"deleted": 0})  # beyond CDC: not seen
    ingest(operator, "acme", "quickbooks")
    second = box.requests[before:]
    assert_exact(operator, box, ["invoice", "customer"])
    assert [r["path"].rsplit("/", 1)[1] for r in second] == ["query", "query"]
    invoices = next(r["statement"] for r in second if "FROM Invoice" in r["statement"])
    assert f"WHERE MetaData.LastUpdatedTime >= '{newest.astimezone(UTC).isoformat()}'" in invoices


def test_thousands_of_invoices_load_in_pages_of_1000(operator, sandbox):
    url, box = sandbox(records=600)
    connect(operator, url, streams=["invoice"])
    ingest(operator, "acme", "quickbooks")
    statements = [r["statement"] for r in box.requests]
    assert_exact(operator, box, ["invoice"])
    assert len(box.company.entities["Invoice"]) > 1000
    assert len(statements) == 2 and all("MAXRESULTS 1000" in s for s in statements)


def test_a_killed_run_publishes_nothing_and_the_rerun_loses_and_duplicates_nothing(
    operator, sandbox
):
    url, box = sandbox(faults=Faults(slow_every=1, slow_seconds=0.05))
    connect(operator, url, streams=["invoice", "customer", "bill", "payment", "item", "vendor"])
    kill_ingest_when(operator, "acme", "quickbooks", lambda: len(box.requests) >= 6)
    box.schedule.faults = Faults()
    ingest(operator, "acme", "quickbooks")
    assert_exact(operator, box, ["invoice", "customer", "bill", "payment", "item", "vendor"])
    assert not list(snapshot(operator).snapshots_dir.glob("draft-*"))


def test_each_rotated_refresh_token_is_stored_at_once_and_the_old_one_refused(operator, sandbox):
    """An expired access token is renewed before the first request; a token Intuit refuses
    early is renewed after the first 401. Each renewal rotates the refresh token, stored at
    once; the one it replaces no longer works."""
    stale = {**SECRETS, "access_token": "at_stale", "expires_at": str(int(time.time()) - 60)}
    url, box = sandbox()
    connect(operator, url, stale, streams=["term"])
    ingest(operator, "acme", "quickbooks")
    first = stored_secrets(operator)
    assert first["refresh_token"] not in ("rt-first", "") and first["access_token"] != "at_stale"
    refused = httpx.post(
        f"{url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": "rt-first"},
        auth=(SECRETS["client_id"], SECRETS["client_secret"]),
    )
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_grant"}
    httpx.post(f"{url}/_sandbox/oauth/expire")
    ingest(operator, "acme", "quickbooks")
    second = stored_secrets(operator)
    assert second["refresh_token"] != first["refresh_token"]
    renewed, refused_early, again = (r["token_digest"] for r in box.requests)
    assert renewed == refused_early != again
    actions = [event.action for event in audit.list_events(operator, "acme")]
    assert actions.count("connection.secrets_rotated") == 2


def test_a_revoked_refresh_token_asks_for_reauthorization_and_loads_nothing(operator, sandbox):
    url, _ = sandbox()
    connect(operator, url, streams=["term", "invoice"])
    ingest(operator, "acme", "quickbooks")
    before = snapshot(operator).current()
    httpx.post(f"{url}/_sandbox/oauth/revoke")
    httpx.post(f"{url}/_sandbox/advance")
    with pytest.raises(ReauthorizationNeeded, match="authorized again") as refused:
        ingest(operator, "acme", "quickbooks")
    assert snapshot(operator).current() == before
    assert "rt-" not in str(refused.value)


def test_a_base_url_elsewhere_a_missing_secret_or_an_unknown_stream_adds_nothing(operator):
    tenants.create_tenant(operator, "acme")
    attempts = [
        ({"base_url": "http://169.254.169.254/latest"}, SECRETS, r"may not reach '169\.254"),
        ({}, {"client_id": "c", "client_secret": "s"}, "needs secret refresh_token"),
        ({"streams": ["invoice", "ledger"]}, SECRETS, "'ledger' is not one of"),
    ]
    for config, secrets, message in attempts:
        with pytest.raises(AtsparkError, match=message):
            connections.add_connection(
                operator, "acme", "quickbooks", {"realm_id": REALM_ID, **config}, dict(secrets)
            )
    assert connections.list_connections(operator, "acme") == []


def fixed_tokens() -> dict[str, str]:
    """Secrets whose access token is good for an hour: a run asks for no other."""
    return {**SECRETS, "access_token": "at_fixed", "expires_at": str(int(time.time()) + 3600)}


def test_a_fault_is_one_line_of_ours_naming_status_and_path_never_intuits_text(operator, vendor):
    async def refusing(request):
        said = f"QueryParserError near {request.headers.get('authorization')}"
        fault = {"Error": [{"Message": "Error parsing query", "Detail": said, "code": "4000"}]}
        return JSONResponse({"Fault": {**fault, "type": "ValidationFault"}}, 400)

    app = Starlette(routes=[Route("/v3/company/{realm}/query", refusing, methods=["POST"])])
    url = vendor(app)
    connect(operator, url, fixed_tokens(), streams=["invoice"])
    with pytest.raises(AtsparkError) as caught:
        ingest(operator, "acme", "quickbooks")
    assert str(caught.value) == (
        f"QuickBooks answered HTTP 400 on /v3/company/{REALM_ID}/query "
        "(ValidationException, error 4000)"
    )


def test_a_reply_that_is_not_json_is_a_clear_error_and_publishes_nothing(operator, vendor):
    async def portal(request):
        return PlainTextResponse("<html>captive portal</html>")

    app = Starlette(routes=[Route("/v3/company/{realm}/query", portal, methods=["POST"])])
    url = vendor(app)
    connect(operator, url, fixed_tokens(), streams=["invoice"])
    before = snapshot(operator).current()
    with pytest.raises(AtsparkError, match="query with a body that is not JSON"):
        ingest(operator, "acme", "quickbooks")
    assert snapshot(operator).current() == before


def test_another_companys_realm_is_refused_as_credentials(operator, sandbox):
    url, _ = sandbox()
    tenants.create_tenant(operator, "acme")
    config = {"base_url": url, "realm_id": "123", "streams": ["term"]}
    connections.add_connection(operator, "acme", "quickbooks", config, dict(SECRETS))
    with pytest.raises(AtsparkError, match=r"refused the connection's credentials \(HTTP 403"):
        ingest(operator, "acme", "quickbooks")


def test_the_first_run_reads_from_the_start_date(operator, sandbox):
    url, box = sandbox()
    bills = box.company.entities["Bill"]
    start = sorted(updated_at(bill) for bill in bills)[len(bills) // 2].astimezone(UTC)
    connect(operator, url, streams=["bill"], start_date=start.isoformat())
    ingest(operator, "acme", "quickbooks")
    assert (
        f"WHERE MetaData.LastUpdatedTime >= '{start.isoformat()}'" in box.requests[0]["statement"]
    )
    assert set(loaded(operator, ["bill"])["bill"]) == {
        bill["Id"] for bill in bills if updated_at(bill) >= start
    }


def test_a_field_intuit_adds_is_left_out_with_a_warning(operator, vendor, caplog):
    term = {
        "Id": "3",
        "SyncToken": "0",
        "MetaData": {
            "CreateTime": "2026-01-02T03:04:05-08:00",
            "LastUpdatedTime": "2026-01-02T03:04:05-08:00",
        },
        "Name": "Net 30",
        "Active": True,
        "BrandNewField": {"x": 1},
    }

    async def terms(request):
        page = {"Term": [term], "startPosition": 1, "maxResults": 1}
        return JSONResponse({"QueryResponse": page, "time": "2026-01-02T03:04:05.000-08:00"})

    url = vendor(Starlette(routes=[Route("/v3/company/{realm}/query", terms, methods=["POST"])]))
    connect(operator, url, fixed_tokens(), streams=["term"])
    ingest(operator, "acme", "quickbooks")
    warnings = [r.getMessage() for r in caplog.records if "undeclared" in r.getMessage()]
    assert warnings == ["QuickBooks Term: undeclared fields left out: BrandNewField"]
    assert warehouse_columns(operator) == {"quickbooks_term": declared_columns()["quickbooks_term"]}
    (terms,) = read(operator, "SELECT id, name, active FROM acme.quickbooks_term")
    assert terms == [("3", "Net 30", True)]
