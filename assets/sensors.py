"""The sensor keeping each connector's partitions equal to the control plane's connections.

Every tick reads all connections once and, per connector, adds the partition keys of new
connections and deletes those of removed connections (a deleted tenant removes all of its
connections), so a change in the control plane reaches Dagster within one tick.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    DeleteDynamicPartitionsRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.partitions import partition_key
from assets.resources import PlatformParam

if TYPE_CHECKING:
    from governance.tenancy import ConnectionInfo

SENSOR_NAME = "connection_partitions"
MINIMUM_INTERVAL_SECONDS = 30

PartitionsRequest = AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest


def partition_changes(
    connections: Iterable["ConnectionInfo"],
    partitions: Mapping[str, str],
    existing: Callable[[str], Sequence[str]],
) -> list[PartitionsRequest]:
    """Requests turning each connector's current keys (``existing(name)``) into its connections.

    ``partitions`` maps connector names to the names of their dynamic partitions; connections of
    connectors missing from it (not installed in this code location) are left alone.
    """
    wanted: dict[str, set[str]] = {connector: set() for connector in partitions}
    for connection in connections:
        if connection.connector in wanted:
            wanted[connection.connector].add(partition_key(connection.tenant, connection.name))
    requests: list[PartitionsRequest] = []
    for connector, name in partitions.items():
        have = set(existing(name))
        added = sorted(wanted[connector] - have)
        removed = sorted(have - wanted[connector])
        if added:
            requests.append(AddDynamicPartitionsRequest(name, added))
        if removed:
            requests.append(DeleteDynamicPartitionsRequest(name, removed))
    return requests


def connection_partitions_sensor(partitions: Mapping[str, str]) -> SensorDefinition:
    """The sensor syncing ``partitions`` (connector -> partitions name) with the control plane."""

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Adds a partition for every new tenant connection and deletes the partitions of "
            "removed connections and deleted tenants."
        ),
    )
    def _sync(
        context: SensorEvaluationContext, platform: PlatformParam
    ) -> SensorResult | SkipReason:
        from services.connections import list_connections  # at run time: see assets.resources
        from services.context import ServiceContext
        from services.ingestion import DAGSTER

        connections = list_connections(ServiceContext(platform, DAGSTER))
        requests = partition_changes(
            connections, partitions, context.instance.get_dynamic_partitions
        )
        if not requests:
            return SkipReason("partitions match the control plane's connections")
        for request in requests:
            verb = "adding" if isinstance(request, AddDynamicPartitionsRequest) else "deleting"
            context.log.info(
                f"{verb} {len(request.partition_keys)} partitions of {request.partitions_def_name}"
            )
        return SensorResult(dynamic_partitions_requests=requests)

    return _sync
