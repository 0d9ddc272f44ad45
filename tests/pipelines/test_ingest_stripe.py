"""The Stripe connector end to end: SDK -> dlt -> encrypted snapshot, incremental and resilient."""

import json
import os
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connectors.sandbox.server import running
from connectors.sandbox.stripe import generate, running_stripe_sandbox
from connectors.stripe.streams import STREAMS
from governance import tenancy
from governance.errors import AtsparkError
from pipelines.ingest import ingest

SEED, CUSTOMERS = 5, 60
ENDPOINT_OF = {s.spec.name: s.path.removeprefix("/v1/") for s in STREAMS}
ATSPARK = str(Path(sys.executable).parent / "atspark")


@cache
def dataset():
    return generate(SEED, CUSTOMERS)


def expected_counts() -> dict[str, int]:
    counts = dataset().counts()
    return {f"stripe_{name}": counts[endpoint] for name, endpoint in ENDPOINT_OF.items()}


def warehouse_counts(platform, tables) -> dict[str, int]:
    tenant = tenancy.get_tenant(platform, "acme")
    with platform.warehouse(tenant.id, "acme").read() as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM acme.{table}").fetchone()[0]
            for table in tables
        }


def connect(platform, base_url, **config) -> None:
    tenancy.create_tenant(platform, "acme")
    tenancy.add_connection(
        platform,
        "acme",
        "stripe",
        "stripe",
        {"base_url": base_url, **config},
        {"api_key": "sk_test_sandbox"},
    )


def test_every_stream_lands_as_a_table_with_every_object_once(platform):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connect(platform, url)
        result = ingest(platform, "acme", "stripe")
    expected = expected_counts()
    assert result.rows == {t: n for t, n in expected.items() if n}
    assert warehouse_counts(platform, [t for t, n in expected.items() if n]) == {
        t: n for t, n in expected.items() if n
    }
    tenant = tenancy.get_tenant(platform, "acme")
    with platform.warehouse(tenant.id, "acme").read() as connection:
        items = connection.execute(
            "SELECT items FROM acme.stripe_subscriptions LIMIT 1"
        ).fetchone()[0]
    assert json.loads(items)["object"] == "list"


def test_a_rerun_asks_only_for_objects_at_or_after_the_last_cursor(platform):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connect(platform, url)
        ingest(platform, "acme", "stripe")
        first_run = len(httpx.get(f"{url}/_sandbox/requests").json())
        again = ingest(platform, "acme", "stripe")
        second = httpx.get(f"{url}/_sandbox/requests").json()[first_run:]
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
    assert warehouse_counts(platform, loaded) == loaded
    assert sum(again.rows.values()) < sum(expected_counts().values()) / 10


def test_rate_limits_and_server_errors_are_retried(platform):
    with running_stripe_sandbox(
        seed=SEED, customers=CUSTOMERS, rate_limit_every=4, error_every=7, retry_after=0
    ) as url:
        connect(platform, url, streams="customers,charges")
        result = ingest(platform, "acme", "stripe")
    expected = expected_counts()
    assert result.rows == {t: expected[t] for t in ("stripe_customers", "stripe_charges")}


def test_a_rejected_api_key_is_a_clear_error_without_the_key(platform):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, api_key="sk_test_other") as url:
        connect(platform, url, streams="customers")
        with pytest.raises(AtsparkError, match="refused the API key") as caught:
            ingest(platform, "acme", "stripe")
    assert "sk_test_sandbox" not in str(caught.value)


def test_a_killed_run_publishes_nothing_and_the_rerun_loses_and_duplicates_nothing(platform):
    with running_stripe_sandbox(seed=SEED, customers=CUSTOMERS, rate_limit_every=None) as url:
        connect(platform, url)
        tenant = tenancy.get_tenant(platform, "acme")
        snapshots = platform.warehouse(tenant.id, "acme").snapshots
        before = snapshots.current()
        victim = subprocess.Popen(
            [ATSPARK, "ingest", "acme", "stripe"],
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not list(snapshots.snapshots_dir.glob("draft-*")):
            assert victim.poll() is None and time.monotonic() < deadline, "never reached the load"
            time.sleep(0.005)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        assert snapshots.current() == before
        result = ingest(platform, "acme", "stripe")
    expected = {t: n for t, n in expected_counts().items() if n}
    assert result.rows == expected
    assert warehouse_counts(platform, expected) == expected
    assert not list(snapshots.snapshots_dir.glob("draft-*"))
    assert not any(platform.settings.runs_dir.iterdir())


def test_a_reply_that_is_not_json_is_a_clear_error_and_publishes_nothing(platform):
    async def not_stripe(request):
        return PlainTextResponse("<html>captive portal</html>")

    app = Starlette(routes=[Route("/v1/{resource}", not_stripe)])
    with running(app) as url:
        connect(platform, url, streams="customers")
        tenant = tenancy.get_tenant(platform, "acme")
        before = platform.warehouse(tenant.id, "acme").snapshots.current()
        with pytest.raises(AtsparkError, match=r"/v1/customers with a body that is not JSON"):
            ingest(platform, "acme", "stripe")
        assert platform.warehouse(tenant.id, "acme").snapshots.current() == before
