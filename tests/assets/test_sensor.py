"""The partitions sensor follows the control plane within one tick."""

from dagster import (
    AddDynamicPartitionsRequest,
    SensorResult,
    SkipReason,
    build_sensor_context,
)

from assets.sensors import MINIMUM_INTERVAL_SECONDS, SENSOR_NAME
from services import connections, tenants

FILES = "files_connections"
STRIPE = "stripe_connections"


def tick(defs, instance):
    """Evaluate the sensor once and apply its requests, as the daemon does."""
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    resources = defs.get_repository_def().get_top_level_resources()  # as the daemon passes them
    with build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    if isinstance(result, SensorResult):
        for request in result.dynamic_partitions_requests or []:
            if isinstance(request, AddDynamicPartitionsRequest):
                instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
            else:
                for key in request.partition_keys:
                    instance.delete_dynamic_partition(request.partitions_def_name, key)
    return result


def requests_of(result) -> set[tuple[str, str, tuple[str, ...]]]:
    assert isinstance(result, SensorResult)
    return {
        (
            "add" if isinstance(r, AddDynamicPartitionsRequest) else "delete",
            r.partitions_def_name,
            tuple(r.partition_keys),
        )
        for r in result.dynamic_partitions_requests
    }


def test_sensor_is_running_by_default_every_30_seconds(defs):
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    assert sensor.default_status.value == "RUNNING"
    assert sensor.minimum_interval_seconds == MINIMUM_INTERVAL_SECONDS == 30


def test_new_connections_become_partitions_in_one_tick(defs, instance, operator, tmp_path):
    tenants.create_tenant(operator, "acme")
    tenants.create_tenant(operator, "globex")
    files = {"path": str(tmp_path), "primary_key": "id"}
    connections.add_connection(operator, "acme", "files", files, {}, "shop")
    connections.add_connection(operator, "globex", "files", files, {}, "shop")
    connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "sk_test_x"}, "billing")

    assert requests_of(tick(defs, instance)) == {
        ("add", FILES, ("acme.shop", "globex.shop")),
        ("add", STRIPE, ("acme.billing",)),
    }
    assert sorted(instance.get_dynamic_partitions(FILES)) == ["acme.shop", "globex.shop"]
    assert instance.get_dynamic_partitions(STRIPE) == ["acme.billing"]

    assert isinstance(tick(defs, instance), SkipReason), "a second tick has nothing to do"


def test_removed_connections_and_deleted_tenants_lose_their_partitions_in_one_tick(
    defs, instance, operator, tmp_path
):
    files = {"path": str(tmp_path)}
    for tenant in ("acme", "globex"):
        tenants.create_tenant(operator, tenant)
        connections.add_connection(operator, tenant, "files", files, {}, "shop")
        connections.add_connection(operator, tenant, "files", files, {}, "archive")
    connections.add_connection(
        operator, "globex", "stripe", {}, {"api_key": "sk_test_x"}, "billing"
    )
    tick(defs, instance)
    assert len(instance.get_dynamic_partitions(FILES)) == 4

    connections.remove_connection(operator, "acme", "archive")
    tenants.delete_tenant(operator, "globex")
    connections.add_connection(operator, "acme", "files", files, {}, "ledger")

    assert requests_of(tick(defs, instance)) == {
        ("add", FILES, ("acme.ledger",)),
        ("delete", FILES, ("acme.archive", "globex.archive", "globex.shop")),
        ("delete", STRIPE, ("globex.billing",)),
    }
    assert sorted(instance.get_dynamic_partitions(FILES)) == ["acme.ledger", "acme.shop"]
    assert instance.get_dynamic_partitions(STRIPE) == []


def test_connections_of_connectors_not_in_the_definitions_are_left_alone(
    operator, instance, tmp_path
):
    from assets.definitions import build_definitions
    from connectors.registry import load_connectors

    only_files = build_definitions({"files": load_connectors()["files"]}, lambda: operator.platform)
    tenants.create_tenant(operator, "acme")
    connections.add_connection(operator, "acme", "stripe", {}, {"api_key": "sk_test_x"}, "billing")
    assert isinstance(tick(only_files, instance), SkipReason)
    assert instance.get_dynamic_partitions(STRIPE) == []
