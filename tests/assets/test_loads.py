"""Dagster knows every load: one made outside it (``atspark ingest``, ``make run``) is reported
as a materialization of its connection's partition, with its checks, on the next tick."""

from pathlib import Path

from dagster import AssetKey, AssetRecordsFilter, SkipReason, build_sensor_context

from assets.checks import ROW_COUNT_CHECK, SCHEMA_DRIFT_CHECK
from assets.loads import SENSOR_NAME
from services import connections, ingestion, tenants
from tests.assets.test_ingestion import run_partition, write_csv

TABLES = AssetKey(["files", "tables"])


def tick(defs, instance):
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    resources = defs.get_repository_def().get_top_level_resources()
    with build_sensor_context(instance=instance, resources=resources) as context:
        return sensor(context)


def materializations(instance, partition: str) -> list:
    return instance.fetch_materializations(
        AssetRecordsFilter(asset_key=TABLES, asset_partitions=[partition]), limit=10
    ).records


def connect(operator, tmp_path: Path, tenant: str) -> None:
    data = tmp_path / tenant
    write_csv(data / "orders.csv", ["id", "amount"], [[1, 10], [2, 20]])
    tenants.create_tenant(operator, tenant)
    config = {"path": str(data), "primary_key": "id"}
    connections.add_connection(operator, tenant, "files", config, {}, "shop")


def test_a_load_made_outside_dagster_is_reported_with_its_checks(
    defs, instance, operator, tmp_path
):
    for tenant in ("acme", "globex"):
        connect(operator, tmp_path, tenant)
        ingestion.ingest(operator, tenant, "shop")
    assert materializations(instance, "acme.shop") == []

    assert tick(defs, instance) is None
    for tenant in ("acme", "globex"):
        [record] = materializations(instance, f"{tenant}.shop")
        metadata = {k: v.value for k, v in record.asset_materialization.metadata.items()}
        assert metadata["rows"] == 2 and metadata["snapshot"] == 2 and metadata["duration_s"] > 0
        assert instance.has_dynamic_partition("files_connections", f"{tenant}.shop")
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [key for key in defs.resolve_asset_graph().asset_check_keys if key.asset_key == TABLES]
    )
    assert {key.name for key in checks} == {ROW_COUNT_CHECK, SCHEMA_DRIFT_CHECK}
    assert isinstance(tick(defs, instance), SkipReason), "each load is reported once"


def test_a_load_dagster_ran_itself_is_not_reported_again(defs, instance, operator, tmp_path):
    connect(operator, tmp_path, "acme")
    instance.add_dynamic_partitions("files_connections", ["acme.shop"])
    assert run_partition(defs, instance).success
    assert isinstance(tick(defs, instance), SkipReason)
    assert len(materializations(instance, "acme.shop")) == 1
