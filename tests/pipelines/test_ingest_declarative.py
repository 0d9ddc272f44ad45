"""Declarative connectors through the platform: the service, dlt's rest_api, an encrypted
snapshot; egress, faults, kills and refresh-token rotation."""

import json
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.registry import get_connector
from connectors.sandbox.generic import Faults, running_simulator
from connectors.sandbox.server import running
from governance.errors import AtsparkError
from services import audit, connections, tenants
from services.ingestion import ingest
from tests.fixtures.killed import kill_ingest_when

ATSPARK = str(Path(sys.executable).parent / "atspark")
PAGERDUTY = get_connector("pagerduty").spec
BOX = get_connector("box").spec


def table(operator, name: str, columns: str = "*") -> list[tuple]:
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        return connection.execute(f"SELECT {columns} FROM acme.{name} ORDER BY 1").fetchall()


def ids(simulator, stream: str) -> list[str]:
    return sorted(row["id"] for row in simulator.dataset.records[stream])


def add_pagerduty(operator, url: str, **config) -> None:
    tenants.create_tenant(operator, "acme")
    connections.add_connection(
        operator, "acme", "pagerduty", {"base_url": url, **config}, {"api_key": "pd-key"}
    )


def test_every_stream_lands_once_and_a_rerun_merges_what_moved(operator):
    with running_simulator(PAGERDUTY) as (url, simulator):
        add_pagerduty(operator, url)
        first = ingest(operator, "acme", "pagerduty")
        assert set(first.rows) == {f"pagerduty_{s.name}" for s in PAGERDUTY.streams}
        assert [r[0] for r in table(operator, "pagerduty_incidents", "id")] == ids(
            simulator, "incidents"
        )
        simulator.dataset.advance()
        ingest(operator, "acme", "pagerduty")
        moved = simulator.dataset.records["incidents"][0]
    assert [r[0] for r in table(operator, "pagerduty_incidents", "id")] == ids(
        simulator, "incidents"
    )
    summary = dict(table(operator, "pagerduty_incidents", "id, summary"))
    assert summary[moved["id"]] == moved["summary"]


def test_429_503_resets_and_timeouts_mid_pagination_are_retried(operator):
    faults = Faults(rate_limit_every=5, error_every=3, reset_every=7, max_each=2)
    with running_simulator(PAGERDUTY, faults=faults) as (url, simulator):
        add_pagerduty(operator, url, streams=["incidents"])
        ingest(operator, "acme", "pagerduty")
    assert [r[0] for r in table(operator, "pagerduty_incidents", "id")] == ids(
        simulator, "incidents"
    )


def test_a_retry_after_header_is_waited_for(operator):
    faults = Faults(rate_limit_every=2, retry_after_seconds=1, max_each=1)
    with running_simulator(PAGERDUTY, faults=faults) as (url, simulator):
        add_pagerduty(operator, url, streams=["teams"])
        ingest(operator, "acme", "pagerduty")
    limited, retried = simulator.requests[1], simulator.requests[2]
    assert limited["query"] == retried["query"]
    assert retried["at"] - limited["at"] >= 1.0


def test_a_killed_run_publishes_nothing_and_the_rerun_loses_and_duplicates_nothing(operator):
    slow = Faults(slow_every=1, slow_seconds=0.05)
    with running_simulator(PAGERDUTY, faults=slow) as (url, simulator):
        add_pagerduty(operator, url)
        kill_ingest_when(operator, "acme", "pagerduty", lambda: len(simulator.requests) >= 4)
        simulator.schedule.faults = Faults()
        ingest(operator, "acme", "pagerduty")
    for stream in PAGERDUTY.streams:
        loaded = [r[0] for r in table(operator, f"pagerduty_{stream.name}", "id")]
        assert loaded == ids(simulator, stream.name), stream.name


def test_a_next_page_on_another_host_is_refused_before_sending(operator):
    async def incidents(request):
        return JSONResponse(
            {"incidents": [], "more": True, "next": "http://localhost:9/steal"}, status_code=200
        )

    document = PAGERDUTY.model_dump(by_alias=True, exclude_none=True)
    document["defaults"]["paginator"] = {"type": "json_link", "next_url_path": "next"}
    spec = type(PAGERDUTY).model_validate(document)
    app = Starlette(routes=[Route("/incidents", incidents)])
    from connectors.base import ConnectionSpec, Runtime
    from connectors.declarative.engine import build_source

    with running(app) as url:
        connection = ConnectionSpec(
            "acme",
            "pd",
            {"base_url": url, "streams": ["incidents"]},
            {"api_key": "pd-key"},
            Runtime(egress_hosts=("127.0.0.1",)),
        )
        source = build_source(spec, connection)
        with pytest.raises(Exception, match="refused to send a request to 'localhost'"):
            list(source.resources["incidents"])


def test_a_base_url_outside_the_allowed_hosts_is_refused(operator, monkeypatch):
    tenants.create_tenant(operator, "acme")
    with pytest.raises(AtsparkError, match=r"may not reach '169\.254\.169\.254'"):
        connections.add_connection(
            operator,
            "acme",
            "pagerduty",
            {"base_url": "http://169.254.169.254/latest"},
            {"api_key": "k"},
        )
    assert connections.list_connections(operator, "acme") == []


def test_refused_credentials_are_a_clear_error_without_the_secret(operator):
    async def refuse(request):
        return JSONResponse({"error": {"message": "Invalid token"}}, status_code=401)

    app = Starlette(routes=[Route("/{path:path}", refuse)])
    with running(app) as url:
        add_pagerduty(operator, url)
        with pytest.raises(AtsparkError, match="refused the connection's credentials") as caught:
            ingest(operator, "acme", "pagerduty")
    assert "pd-key" not in str(caught.value)


def test_a_rotated_refresh_token_is_stored_encrypted_and_used_next_time(operator):
    with running_simulator(BOX) as (url, _):
        tenants.create_tenant(operator, "acme")
        secrets = {"client_id": "cid", "client_secret": "csecret", "refresh_token": "rt-first"}
        connections.add_connection(
            operator, "acme", "box", {"base_url": url, "streams": ["users"]}, secrets
        )
        ingest(operator, "acme", "box")
        stored = stored_secrets(operator)
        assert stored["refresh_token"] != "rt-first"
        assert stored["refresh_token"].startswith("rt_")
        assert int(stored["expires_at"]) > time.time() + 3000 and stored["access_token"]
        ingest(operator, "acme", "box")  # the access token is still good: no renewal
        assert stored_secrets(operator) == stored
        expire_stored_access_token(operator)
        ingest(operator, "acme", "box")  # the first refresh token is spent: the stored one works
        assert stored_secrets(operator)["refresh_token"] != stored["refresh_token"]
    home = operator.platform.settings.home
    assert not any(
        stored["refresh_token"].encode() in path.read_bytes()
        for path in home.rglob("*")
        if path.is_file()
    )
    actions = [event.action for event in audit.list_events(operator, "acme")]
    assert actions.count("connection.secrets_rotated") == 2


def expire_stored_access_token(operator) -> None:
    from governance import tenancy
    from governance.store.lookups import find_tenant

    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "box")
        tenancy.replace_connection_secrets(operator.platform, tenant, found, {"expires_at": "0"})


def stored_secrets(operator) -> dict:
    from governance import tenancy
    from governance.store.lookups import find_tenant

    with operator.platform.control_plane.session() as session:
        tenant = find_tenant(session, "acme")
        found = tenancy.find_connection(session, tenant, "box")
        return tenancy.connection_secrets(operator.platform, tenant, found)


def test_a_refresh_token_the_vendor_refuses_marks_the_connection_for_reauthorization(operator):
    with running_simulator(BOX) as (url, simulator):
        tenants.create_tenant(operator, "acme")
        secrets = {"client_id": "cid", "client_secret": "cs", "refresh_token": "rt-spent"}
        httpx.post(f"{url}/_sandbox/oauth/revoke").raise_for_status()  # the app was removed
        connections.add_connection(operator, "acme", "box", {"base_url": url}, secrets)
        with pytest.raises(AtsparkError, match="needs to be authorized again") as caught:
            ingest(operator, "acme", "box")
        assert "rt-spent" not in str(caught.value) and "cs" not in json.dumps(str(caught.value))
        events = audit.list_events(operator, "acme")
        failed = [event for event in events if event.action == "connection.refresh_failed"]
        assert [(event.outcome, event.context["connection"]) for event in failed] == [
            ("failed", "box")
        ]
        requests_before = len(simulator.requests)
        with pytest.raises(AtsparkError, match="re-authorize it"):  # refused before any request
            ingest(operator, "acme", "box")
        assert len(simulator.requests) == requests_before
