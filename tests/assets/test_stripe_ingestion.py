"""Stripe partitions against the Stripe sandbox: eleven stream assets from one ingestion."""

from dagster import AssetKey

from assets.checks import ROW_COUNT_CHECK, SCHEMA_DRIFT_CHECK
from assets.definitions import job_name
from connectors.registry import load_connectors
from connectors.sandbox import stripe as sandbox
from services import connections, tenants

STRIPE = load_connectors()["stripe"]
STREAMS = [s.name for s in STRIPE.streams()]
CUSTOMERS = 12


def ingest_stripe(defs, instance, operator, **config: str):
    """Run partition ``acme.billing`` against a fresh sandbox; the run's result."""
    with sandbox.running_stripe_sandbox(seed=7, customers=CUSTOMERS, rate_limit_every=None) as url:
        tenants.create_tenant(operator, "acme")
        secrets = {"api_key": sandbox.DEFAULT_API_KEY}
        config = {"base_url": url, **config}
        connections.add_connection(operator, "acme", "stripe", config, secrets, "billing")
        instance.add_dynamic_partitions("stripe_connections", ["acme.billing"])
        job = defs.resolve_job_def(job_name(STRIPE))
        return job.execute_in_process(instance=instance, partition_key="acme.billing")


def materializations(result) -> dict:
    return {
        e.materialization.asset_key: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def failed_checks(result) -> list:
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 2 * len(STREAMS)
    assert {e.check_name for e in evaluations} == {ROW_COUNT_CHECK, SCHEMA_DRIFT_CHECK}
    return [(e.asset_key, e.check_name, e.description) for e in evaluations if not e.passed]


def test_selected_stripe_streams_load_and_the_others_report_no_rows(defs, instance, operator):
    result = ingest_stripe(defs, instance, operator, streams="customers,charges,invoices")

    assert result.success
    reported = materializations(result)
    assert set(reported) == {AssetKey(["stripe", s]) for s in STREAMS}
    customers = reported[AssetKey(["stripe", "customers"])]
    assert customers["rows"].value == CUSTOMERS
    assert customers["table"].value == "billing_customers"
    assert customers["dagster/row_count"].value == CUSTOMERS
    assert customers["duration_s"].value > 0
    assert customers["snapshot"].value >= 2
    assert "id" in customers["columns"].value["billing_customers"]
    payouts = reported[AssetKey(["stripe", "payouts"])]
    assert payouts["rows"].value == 0 and payouts["columns"].value == {}
    assert failed_checks(result) == []


def test_every_stripe_stream_loads_with_passing_checks(defs, instance, operator):
    result = ingest_stripe(defs, instance, operator)

    assert result.success
    reported = materializations(result)
    assert reported[AssetKey(["stripe", "customers"])]["rows"].value == CUSTOMERS
    assert failed_checks(result) == []
