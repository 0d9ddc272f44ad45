"""The Stripe connector end to end: SDK -> dlt -> encrypted snapshot, incremental and resilient."""

import json
import sys
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from connectors.sandbox.server import running
from connectors.sandbox.stripe import create_app, generate, running_stripe_sandbox
from connectors.stripe.source import API_VERSION
from connectors.stripe.streams import STREAMS
from governance.errors import AtsparkError
from services import connections, tenants
from services.ingestion import ingest
from tests.fixtures.killed import kill_ingest_when

SEED, CUSTOMERS = 5, 60
ENDPOINT_OF = {s.spec.name: s.path.removeprefix("/v1/") for s in STREAMS}
ATSPARK = str(Path(sys.executable).parent / "atspark")


@cache
def dataset():
    return generate(SEED, CUSTOMERS)


def expected_counts() -> dict[str, int]:
    counts = dataset().counts()
    return {f"stripe_{name}": counts[endpoint] for name, endpoint in ENDPOINT_OF.items()}


def warehouse_counts(operator, tables) -> dict[str, int]:
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM acme.{table}").fetchone()[0]
            for table in tables
        }


def connect(operator, base_url, **config) -> None:
    tenants.create_tenant(operator, "acme")
    connections.add_connection(
        operator, "acme", "stripe", {"base_url": base_url, **config}, {"api_key": "sk_test_sandbox"}
    )


def test_every_stream_lands_as_a_table_with_every_object_once(operator):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connect(operator, url)
        result = ingest(operator, "acme", "stripe")
    expected = expected_counts()
    assert result.rows == {t: n for t, n in expected.items() if n}
    assert warehouse_counts(operator, [t for t, n in expected.items() if n]) == {
        t: n for t, n in expected.items() if n
    }
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        items = connection.execute(
            "SELECT items FROM acme.stripe_subscriptions LIMIT 1"
        ).fetchone()[0]
    assert json.loads(items)["object"] == "list"


def test_a_rerun_asks_only_for_objects_at_or_after_the_last_cursor(operator):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connect(operator, url)
        ingest(operator, "acme", "stripe")
        first_run = len(httpx.get(f"{url}/_sandbox/requests").json())
        again = ingest(operator, "acme", "stripe")
        every = httpx.get(f"{url}/_sandbox/requests").json()
        second = every[first_run:]
    # The API version the declared columns describe, whatever the SDK's default.
    assert {request["stripe_version"] for request in every} == {API_VERSION}
    newest = {
        endpoint: max(
            o["created" if name != "invoice_items" else "date"] for o in dataset().objects(endpoint)
        )
        for name, endpoint in ENDPOINT_OF.items()
        if dataset().counts()[endpoint]
    }
    asked = {r["path"].removeprefix("/v1/"): parse_qs(r["query"]) for r in second}
    for endpoint, cursor in newest.items():
        assert asked[endpoint]["created[gte]"] == [str(cursor)], endpoint
    loaded = {t: n for t, n in expected_counts().items() if n}
    assert warehouse_counts(operator, loaded) == loaded
    assert sum(again.rows.values()) < sum(expected_counts().values()) / 10


def test_rate_limits_and_server_errors_are_retried(operator):
    with running_stripe_sandbox(
        seed=SEED, customers=CUSTOMERS, rate_limit_every=4, error_every=7, retry_after=0
    ) as url:
        connect(operator, url, streams="customers,charges")
        result = ingest(operator, "acme", "stripe")
    expected = expected_counts()
    assert result.rows == {t: expected[t] for t in ("stripe_customers", "stripe_charges")}


def test_a_rejected_api_key_is_a_clear_error_without_the_key(operator):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, api_key="sk_test_other") as url:
        connect(operator, url, streams="customers")
        with pytest.raises(AtsparkError, match="refused the API key") as caught:
            ingest(operator, "acme", "stripe")
    assert "sk_test_sandbox" not in str(caught.value)


def test_a_killed_run_publishes_nothing_and_the_rerun_loses_and_duplicates_nothing(operator):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connect(operator, url)
        tenant = tenants.get_tenant(operator, "acme")
        snapshots = operator.platform.warehouse(tenant.id, "acme").snapshots
        drafts = snapshots.snapshots_dir
        kill_ingest_when(operator, "acme", "stripe", lambda: any(drafts.glob("draft-*")))
        result = ingest(operator, "acme", "stripe")
    expected = {t: n for t, n in expected_counts().items() if n}
    assert result.rows == expected
    assert warehouse_counts(operator, expected) == expected
    assert not list(snapshots.snapshots_dir.glob("draft-*"))
    assert not any(operator.platform.settings.runs_dir.iterdir())


def test_a_reply_that_is_not_json_is_a_clear_error_and_publishes_nothing(operator):
    async def not_stripe(request):
        return PlainTextResponse("<html>captive portal</html>")

    app = Starlette(routes=[Route("/v1/{resource}", not_stripe)])
    with running(app) as url:
        connect(operator, url, streams="customers")
        tenant = tenants.get_tenant(operator, "acme")
        before = operator.platform.warehouse(tenant.id, "acme").snapshots.current()
        with pytest.raises(AtsparkError, match=r"/v1/customers with a body that is not JSON"):
            ingest(operator, "acme", "stripe")
        assert operator.platform.warehouse(tenant.id, "acme").snapshots.current() == before


def test_an_error_reply_is_one_line_of_ours_that_never_quotes_the_server(operator):
    async def echoing(request):
        said = f"bad request from {request.headers.get('authorization')}"
        return JSONResponse({"error": {"type": "invalid_request_error", "message": said}}, 400)

    app = Starlette(routes=[Route("/v1/{resource}", echoing)])
    with running(app) as url:
        connect(operator, url, streams="customers")
        with pytest.raises(AtsparkError) as caught:
            ingest(operator, "acme", "stripe")
    assert str(caught.value) == (
        "Stripe answered /v1/customers with HTTP 400 (InvalidRequestError): check the "
        "connection's base_url"
    )


def test_two_stripe_connections_keep_their_own_schemas_and_tables(operator):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        tenants.create_tenant(operator, "acme")
        for name in ("billing", "shop"):
            config = {"base_url": url, "streams": "customers"}
            secrets = {"api_key": "sk_test_sandbox"}
            connections.add_connection(operator, "acme", "stripe", config, secrets, name)
        for _ in range(2):
            for name in ("billing", "shop"):
                ingest(operator, "acme", name)
    customers = dataset().counts()["customers"]
    assert warehouse_counts(operator, ["billing_customers", "shop_customers"]) == {
        "billing_customers": customers,
        "shop_customers": customers,
    }
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as connection:
        schemas = connection.execute(
            "SELECT DISTINCT schema_name FROM acme._dlt_version"
        ).fetchall()
    assert sorted(name for (name,) in schemas) == ["billing", "shop"]


DUCKDB_TYPES = {"text": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN"}
TINY_SEED, TINY_CUSTOMERS = 2, 1  # one customer: no refund, no dispute, no failed charge


def declared_columns(tables: str = "stripe") -> dict[str, list[tuple[str, str]]]:
    return {
        f"{tables}_{s.spec.name}": [(c, DUCKDB_TYPES[t]) for c, t in s.columns.items()]
        for s in STREAMS
    }


def stripe_tables(operator, slug: str) -> dict[str, list[tuple[str, str]]]:
    """Each ``stripe_*`` table of a tenant's warehouse: its (column, type)s in order."""
    tenant = tenants.get_tenant(operator, slug)
    with operator.platform.warehouse(tenant.id, slug).read() as connection:
        rows = connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? "
            "AND starts_with(table_name, 'stripe_') ORDER BY table_name, ordinal_position",
            [slug],
        ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return tables


def non_null(operator, slug: str, table: str, column: str) -> tuple[int, int]:
    """(rows, rows where ``column`` is not null) of one of a tenant's tables."""
    tenant = tenants.get_tenant(operator, slug)
    with operator.platform.warehouse(tenant.id, slug).read() as connection:
        return connection.execute(
            f"SELECT count(*), count({column}) FROM {slug}.{table}"
        ).fetchone()


class Switchable:
    """An ASGI app serving whichever app it holds: one base URL whose data changes between runs."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


def test_every_tenant_gets_the_declared_columns_whatever_its_data(operator, caplog):
    """A tenant with one customer (most columns null in every row, no refund, no dispute) and one
    with sixty end with the same tables, columns and types, the declared ones; and keep them when
    they ingest again, the small one now getting values where it had only nulls."""
    sandbox = Switchable(create_app(generate(TINY_SEED, TINY_CUSTOMERS), rate_limit_every=None))
    with (
        running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url,
        running(sandbox) as tiny_url,
    ):
        for slug, base_url in (("acme", url), ("tiny", tiny_url)):
            tenants.create_tenant(operator, slug)
            connections.add_connection(
                operator, slug, "stripe", {"base_url": base_url}, {"api_key": "sk_test_sandbox"}
            )
            ingest(operator, slug, "stripe")
        declared = declared_columns()
        assert stripe_tables(operator, "acme") == declared
        assert stripe_tables(operator, "tiny") == declared

        # Before the declaration these columns were missing from tiny's tables (all-null) ...
        assert non_null(operator, "tiny", "stripe_charges", "failure_code") == (1, 0)
        assert non_null(operator, "tiny", "stripe_subscriptions", "canceled_at") == (1, 0)
        assert non_null(operator, "tiny", "stripe_refunds", "id") == (0, 0)
        assert non_null(operator, "tiny", "stripe_disputes", "id") == (0, 0)
        assert non_null(operator, "acme", "stripe_charges", "failure_code")[1] > 0
        # ... and this one from everyone's (Stripe sends it only for other currencies).
        assert non_null(operator, "acme", "stripe_balance_transactions", "exchange_rate")[1] == 0

        sandbox.app = create_app(dataset(), rate_limit_every=None)  # tiny's account grows
        again = {slug: ingest(operator, slug, "stripe") for slug in ("acme", "tiny")}
        assert again["acme"].rows == {}  # nothing new: no load, not even an empty table
        assert again["tiny"].rows["stripe_charges"] > 0
        assert non_null(operator, "tiny", "stripe_charges", "failure_code")[1] > 0
        assert stripe_tables(operator, "acme") == declared
        assert stripe_tables(operator, "tiny") == declared
    assert not [r.getMessage() for r in caplog.records if "undeclared" in r.getMessage()]


def test_a_field_stripe_adds_is_left_out_with_a_warning(operator, caplog):
    customer = {"id": "cus_1", "object": "customer", "created": 1, "email": "a@example.com"}

    async def customers(request):
        data = [{**customer, "brand_new_field": {"x": 1}}, {**customer, "id": "cus_2"}]
        return JSONResponse({"object": "list", "data": data, "has_more": False})

    with running(Starlette(routes=[Route("/v1/customers", customers)])) as url:
        connect(operator, url, streams="customers")
        ingest(operator, "acme", "stripe")
    assert stripe_tables(operator, "acme") == {
        "stripe_customers": declared_columns()["stripe_customers"]
    }
    assert non_null(operator, "acme", "stripe_customers", "email") == (2, 2)
    warnings = [r.getMessage() for r in caplog.records if "undeclared" in r.getMessage()]
    assert warnings == ["/v1/customers returned undeclared fields, left out: brand_new_field"]


def test_a_value_its_declared_column_cannot_hold_is_a_clear_error(operator):
    async def charges(request):
        charge = {"id": "ch_1", "object": "charge", "created": 1, "amount": 12.5}
        return JSONResponse({"object": "list", "data": [charge], "has_more": False})

    with running(Starlette(routes=[Route("/v1/charges", charges)])) as url:
        connect(operator, url, streams="charges")
        with pytest.raises(AtsparkError, match=r"/v1/charges: .* double values for 'amount'"):
            ingest(operator, "acme", "stripe")
