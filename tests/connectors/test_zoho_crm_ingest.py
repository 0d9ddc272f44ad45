"""The zoho_crm connector end to end: the platform's service, dlt, an encrypted snapshot, against
the Zoho CRM simulator over real HTTP; faults, incremental loads, the 2,000-record page limit,
OAuth at run time, kills and bad input."""

import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.sandbox.zoho_crm import (
    SANDBOX_REFRESH_TOKEN,
    Faults,
    Simulator,
    running_zoho_crm,
)
from governance import tenancy
from governance.errors import AtsparkError
from governance.store.lookups import find_tenant
from services import connections, tenants
from services.ingestion import ingest
from tests.fixtures.killed import kill_ingest_when

ATSPARK = str(Path(sys.executable).parent / "atspark")
CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
SECRETS = {**CLIENT, "refresh_token": SANDBOX_REFRESH_TOKEN}
DEFAULT_MODULES = ("Leads", "Contacts", "Accounts", "Deals")


def connect(operator: Any, url: str, secrets: dict[str, str] = SECRETS, **config: Any) -> None:
    tenants.create_tenant(operator, "acme")
    connections.add_connection(operator, "acme", "zoho_crm", {"base_url": url, **config}, secrets)


def tables(operator: Any, modules: tuple[str, ...]) -> dict[str, dict[str, dict[str, Any]]]:
    """The modules' tables in the tenant's warehouse: each one's rows by id."""
    tenant = tenants.get_tenant(operator, "acme")
    found = {}
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        for module in modules:
            cursor = connection.execute(f"SELECT * FROM acme.zoho_crm_{module.lower()}")
            names = [column[0] for column in cursor.description]
            found[module] = {
                row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()
            }
    return found


def as_zoho_wrote(loaded: Any) -> Any:
    """A warehouse value as the JSON Zoho sent: timestamps and dates in ISO 8601, JSON text
    parsed."""
    if isinstance(loaded, datetime):
        return loaded
    if isinstance(loaded, date):
        return loaded.isoformat()
    if isinstance(loaded, str) and loaded[:1] in "[{":
        return json.loads(loaded)
    return loaded


def expected_value(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 25 and value[10:11] == "T":
        return datetime.fromisoformat(value)
    return value


def assert_tables_hold_exactly(operator: Any, simulator: Simulator, modules: tuple[str, ...]):
    """Each module's table has each of the simulator's records once, every field as Zoho has it
    (nothing lost, nothing doubled, nothing stale)."""
    for module, loaded in tables(operator, modules).items():
        records = simulator.dataset.module(module).records
        assert sorted(loaded) == sorted(record["id"] for record in records), module
        for record in records:
            row = loaded[record["id"]]
            for field, value in record.items():
                got = as_zoho_wrote(row[field.lower()])
                assert got == expected_value(value), (module, record["id"], field)


def stored_secrets(operator: Any) -> dict[str, str]:
    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "zoho_crm")
        return tenancy.connection_secrets(operator.platform, tenant, found)


def record_requests(simulator: Simulator, start: int = 0) -> list[dict[str, Any]]:
    return [r for r in simulator.requests[start:] if "settings" not in r["path"]]


def test_a_full_load_through_faults_then_incremental_loads_are_exact(operator):
    faults = Faults(
        rate_limit_every=4, error_every=5, reset_every=7, max_each=1, retry_after_seconds=1
    )
    with running_zoho_crm(seed=11, faults=faults) as (url, simulator):
        connect(operator, url)
        first = ingest(operator, "acme", "zoho_crm")
        statuses = {r.get("status") for r in simulator.requests}
        assert {429, 500, "reset"} <= statuses
        assert first.rows == {f"zoho_crm_{m.lower()}": 450 for m in DEFAULT_MODULES}
        assert_tables_hold_exactly(operator, simulator, DEFAULT_MODULES)

        loaded_up_to = {
            module: max(row["modified_time"] for row in rows.values())
            for module, rows in tables(operator, DEFAULT_MODULES).items()
        }
        httpx.post(f"{url}/_sandbox/advance").raise_for_status()
        before = len(simulator.requests)
        second = ingest(operator, "acme", "zoho_crm")
        asked = record_requests(simulator, before)
        assert_tables_hold_exactly(operator, simulator, DEFAULT_MODULES)
        for module in DEFAULT_MODULES:
            sent = {r["if_modified_since"] for r in asked if r["path"] == f"/crm/v8/{module}"}
            sent.discard(None)  # the requests by ids completing a page's other fields
            assert [datetime.fromisoformat(s) for s in sent] == [loaded_up_to[module]], module
        assert sum(second.rows.values()) < sum(first.rows.values()) / 4

        before = len(simulator.requests)
        ingest(operator, "acme", "zoho_crm")  # nothing changed since
        unchanged = record_requests(simulator, before)
        assert sorted(r["path"] for r in unchanged) == sorted(
            f"/crm/v8/{m}" for m in DEFAULT_MODULES
        )
        assert {r["status"] for r in unchanged} == {304}
        assert_tables_hold_exactly(operator, simulator, DEFAULT_MODULES)


def test_page_token_takes_over_where_page_stops_at_2000_records(operator):
    with running_zoho_crm(seed=4, records=2_050) as (url, simulator):
        connect(operator, url, modules="Contacts")
        result = ingest(operator, "acme", "zoho_crm")
        pages = [r for r in record_requests(simulator) if "ids" not in r["query"]]
    assert result.rows == {"zoho_crm_contacts": 2_050}
    assert len(tables(operator, ("Contacts",))["Contacts"]) == 2_050
    assert pages[0]["query"]["page"] == "1" and len(pages) == 11
    assert all("page_token" in r["query"] and "page" not in r["query"] for r in pages[1:])
    assert {r["status"] for r in pages} == {200}


def test_a_module_of_more_than_50_fields_is_read_in_parts_merged_by_id(operator):
    with running_zoho_crm(seed=5, records=250) as (url, simulator):
        connect(operator, url, modules="Leads")
        ingest(operator, "acme", "zoho_crm")
        asked = record_requests(simulator)
    assert all(len(r["query"]["fields"].split(",")) <= 50 for r in asked)
    by_ids = [r for r in asked if "ids" in r["query"]]
    assert [len(r["query"]["ids"].split(",")) for r in by_ids] == [100, 100, 50]
    assert_tables_hold_exactly(operator, simulator, ("Leads",))


def test_the_first_run_asks_from_the_start_date(operator):
    with running_zoho_crm(seed=7, records=60) as (url, simulator):
        connect(operator, url, modules="Products", start_date="2024-10-01")
        ingest(operator, "acme", "zoho_crm")
        (asked,) = record_requests(simulator)
        records = simulator.dataset.module("Products").records
    assert asked["if_modified_since"] == "2024-10-01T00:00:00+00:00"
    start = datetime.fromisoformat(asked["if_modified_since"])
    recent = {r["id"] for r in records if datetime.fromisoformat(r["Modified_Time"]) > start}
    assert set(tables(operator, ("Products",))["Products"]) == recent
    assert 0 < len(recent) < len(records)


def test_the_access_token_is_renewed_before_the_first_call_and_stored(operator):
    stale = {**SECRETS, "access_token": "1000.stale.token", "expires_at": "0"}
    with running_zoho_crm(seed=6, records=10) as (url, simulator):
        connect(operator, url, stale, modules="Tasks")
        ingest(operator, "acme", "zoho_crm")
        assert {r["status"] for r in simulator.requests} == {200}
    stored = stored_secrets(operator)
    assert stored["access_token"] not in ("", "1000.stale.token")
    assert int(stored["expires_at"]) > time.time() + 3000
    assert stored["refresh_token"] == SANDBOX_REFRESH_TOKEN  # Zoho does not rotate it


def test_a_revoked_refresh_token_needs_the_connection_authorized_again(operator):
    with running_zoho_crm(records=10) as (url, simulator):
        connect(operator, url, modules="Calls")
        httpx.post(f"{url}/_sandbox/oauth/revoke").raise_for_status()
        with pytest.raises(AtsparkError, match="needs to be authorized again") as caught:
            ingest(operator, "acme", "zoho_crm")
        assert simulator.requests == []
    assert SANDBOX_REFRESH_TOKEN not in str(caught.value)
    assert "sandbox-client-secret" not in str(caught.value)


def test_a_refused_access_token_is_one_clear_line_and_publishes_nothing(operator):
    with running_zoho_crm(records=10) as (url, _):
        connect(operator, url, {"access_token": "1000.wrong.token"}, modules="Cases")
        tenant = tenants.get_tenant(operator, "acme")
        before = operator.platform.warehouse(tenant.id, "acme").snapshots.current()
        with pytest.raises(AtsparkError) as caught:
            ingest(operator, "acme", "zoho_crm")
        assert operator.platform.warehouse(tenant.id, "acme").snapshots.current() == before
    assert str(caught.value) == (
        "Zoho CRM refused the connection's credentials (HTTP 401 INVALID_TOKEN on "
        "/crm/v8/settings/fields): check the secrets or re-authorize the connection"
    )


def test_a_killed_run_publishes_nothing_and_the_rerun_loses_and_duplicates_nothing(operator):
    with running_zoho_crm(seed=8, faults=Faults(slow_every=1, slow_seconds=0.05)) as (
        url,
        simulator,
    ):
        connect(operator, url)
        kill_ingest_when(operator, "acme", "zoho_crm", lambda: len(record_requests(simulator)) >= 6)
        simulator.schedule.faults = Faults()
        ingest(operator, "acme", "zoho_crm")
        assert_tables_hold_exactly(operator, simulator, DEFAULT_MODULES)


@pytest.mark.parametrize(
    ("config", "secrets", "message"),
    [
        ({"base_url": "http://169.254.169.254"}, SECRETS, r"may not reach '169\.254\.169\.254'"),
        ({}, CLIENT, "needs secrets client_id, client_secret and refresh_token"),
        ({"modules": "Leads,Widgets"}, SECRETS, "modules takes Zoho CRM module API names"),
    ],
)
def test_bad_input_is_refused_before_anything_is_stored(operator, config, secrets, message):
    tenants.create_tenant(operator, "acme")
    with pytest.raises(AtsparkError, match=message):
        connections.add_connection(operator, "acme", "zoho_crm", config, secrets)
    assert connections.list_connections(operator, "acme") == []
