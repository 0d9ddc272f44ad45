"""Materializing a partition ingests the tenant's connection end to end, with its checks."""

from pathlib import Path

import pytest
from dagster import AssetCheckSeverity, AssetKey, DagsterInstance, materialize

from assets.checks import COLUMNS_METADATA, ROW_COUNT_CHECK, SCHEMA_DRIFT_CHECK
from assets.definitions import job_name
from assets.ingestion import connector_assets
from assets.partitions import connection_partitions
from connectors.registry import load_connectors
from services import connections, tenants

TABLES = AssetKey(["files", "tables"])


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def shop(operator, instance: DagsterInstance, tmp_path: Path) -> Path:
    """Tenant ``acme`` with a files connection ``shop`` over two CSV files, partition added."""
    data = tmp_path / "data"
    write_csv(data / "orders.csv", ["id", "customer", "amount"], [[1, "a", 10], [2, "b", 20]])
    write_csv(data / "customers.csv", ["id", "name"], [["a", "Ann"], ["b", "Bob"], ["c", "Cy"]])
    tenants.create_tenant(operator, "acme")
    config = {"path": str(data), "primary_key": "id"}
    connections.add_connection(operator, "acme", "files", config, {}, "shop")
    instance.add_dynamic_partitions("files_connections", ["acme.shop"])
    return data


def run_partition(defs, instance, key="acme.shop", connector="files", raise_on_error=True):
    job = defs.resolve_job_def(job_name(load_connectors()[connector]))
    return job.execute_in_process(
        instance=instance, partition_key=key, raise_on_error=raise_on_error
    )


def checks_by_name(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_partition_ingests_its_connection_and_reports_rows_and_duration(
    defs, instance, operator, shop
):
    result = run_partition(defs, instance)

    assert result.success
    (event,) = result.get_asset_materialization_events()
    materialization = event.materialization
    assert materialization.asset_key == TABLES
    assert materialization.partition == "acme.shop"
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    assert metadata["rows"] == 5
    assert metadata["rows_by_table"] == {"shop_customers": 3, "shop_orders": 2}
    assert metadata["duration_s"] > 0
    assert metadata["snapshot"] >= 2
    assert metadata["tenant"] == "acme" and metadata["connection"] == "shop"
    assert set(metadata[COLUMNS_METADATA]["shop_orders"]) >= {"id", "customer", "amount"}

    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").read() as db:
        assert db.execute('select count(*) from acme."shop_orders"').fetchone() == (2,)


def test_row_count_check_passes_after_a_run(defs, instance, shop):
    checks = checks_by_name(run_partition(defs, instance))

    row_count = checks[ROW_COUNT_CHECK]
    assert row_count.passed
    assert row_count.asset_key == TABLES
    tables = row_count.metadata["tables"].value
    assert tables["shop_orders"] == {"rows_loaded": 2, "row_count": 2}
    assert checks[SCHEMA_DRIFT_CHECK].passed, "the first run only records the columns"


def test_schema_drift_warns_when_a_column_is_added_between_two_runs(defs, instance, shop):
    run_partition(defs, instance)
    assert checks_by_name(run_partition(defs, instance))[SCHEMA_DRIFT_CHECK].passed

    write_csv(
        shop / "orders.csv",
        ["id", "customer", "amount", "currency"],
        [[1, "a", 10, "eur"], [2, "b", 20, "usd"], [3, "c", 30, "eur"]],
    )
    checks = checks_by_name(run_partition(defs, instance))

    drift = checks[SCHEMA_DRIFT_CHECK]
    assert not drift.passed
    assert drift.severity == AssetCheckSeverity.WARN
    assert drift.metadata["changes"].value == {"shop_orders": {"added": ["currency"]}}
    assert "currency" in drift.description
    assert checks[ROW_COUNT_CHECK].passed
    assert checks[ROW_COUNT_CHECK].metadata["tables"].value["shop_orders"] == {
        "rows_loaded": 3,
        "row_count": 3,
    }


def test_a_new_table_is_recorded_but_is_not_drift(defs, instance, shop):
    run_partition(defs, instance)
    write_csv(shop / "payments.csv", ["id", "order_id"], [[1, 1]])

    checks = checks_by_name(run_partition(defs, instance))

    drift = checks[SCHEMA_DRIFT_CHECK]
    assert drift.passed
    assert drift.metadata["new_tables"].value == ["shop_payments"]
    assert checks[ROW_COUNT_CHECK].metadata["tables"].value["shop_payments"] == {
        "rows_loaded": 1,
        "row_count": 1,
    }


def test_materialize_runs_the_connector_multi_asset(instance, platform, shop):
    files = load_connectors()["files"]
    assets_def = connector_assets(files, connection_partitions("files"))
    result = materialize(
        [assets_def], instance=instance, partition_key="acme.shop", resources={"platform": platform}
    )
    assert result.success
    assert result.get_asset_materialization_events()[0].materialization.metadata["rows"].value == 5


def test_a_partition_of_another_connector_fails_without_ingesting(defs, instance, platform, shop):
    instance.add_dynamic_partitions("stripe_connections", ["acme.shop"])
    result = run_partition(defs, instance, connector="stripe", raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "is a files connection, not a stripe one" in failure.message


def test_a_partition_whose_connection_was_removed_fails_clearly(defs, instance, operator, shop):
    connections.remove_connection(operator, "acme", "shop")
    result = run_partition(defs, instance, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "has no connection 'shop'" in failure.message
