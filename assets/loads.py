"""The sensor that shows Dagster every load, whoever started it.

``atspark ingest`` and ``make run`` load through the same ingestion service as the assets, which
records each load in the control plane. Each tick, this sensor reports the loads Dagster did not
run itself as runless materializations of the connection's partition (rows, snapshot, duration,
columns) with the results of their row-count and schema-drift checks, exactly as a run would have
reported them, then marks them reported.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetMaterialization,
    DagsterInstance,
    DefaultSensorStatus,
    MaterializeResult,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from assets.ingestion import IngestedAsset, partition_events
from assets.partitions import partition_key, partitions_name
from assets.resources import PlatformParam
from governance.errors import NotFoundError

if TYPE_CHECKING:
    from services.context import ServiceContext
    from services.ingestion import LoadRecord

SENSOR_NAME = "loads"
MINIMUM_INTERVAL_SECONDS = 30


def loads_sensor(targets: Mapping[str, Sequence[IngestedAsset]]) -> SensorDefinition:
    """Report unreported loads of the connectors in ``targets`` (connector -> its assets)."""

    @sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Reports loads made outside Dagster (atspark ingest, make run) as materializations "
            "of their connection's partition, with their checks."
        ),
    )
    def _report(context: SensorEvaluationContext, platform: PlatformParam) -> SkipReason | None:
        from services import ingestion
        from services.context import ServiceContext

        ctx = ServiceContext(platform, ingestion.DAGSTER)
        loads = ingestion.unreported_loads(ctx)
        if not loads:
            return SkipReason("every load is reported")
        for load in loads:
            if load.connector in targets:
                report_load(context.instance, ctx, targets[load.connector], load)
        ingestion.mark_reported(ctx, [load.id for load in loads])
        context.log.info(f"reported {len(loads)} loads")
        return None

    return _report


def report_load(
    instance: DagsterInstance,
    ctx: "ServiceContext",
    targets: Sequence[IngestedAsset],
    load: "LoadRecord",
) -> None:
    """Report one load as its partition's materialization and check results."""
    partition = partition_key(load.tenant, load.connection)
    partitions = partitions_name(load.connector)
    if not instance.has_dynamic_partition(partitions, partition):
        instance.add_dynamic_partitions(partitions, [partition])
    try:
        events = partition_events(instance, ctx, targets, partition, load.as_result())
    except NotFoundError:  # the tenant was deleted since: nothing left to report on
        return
    for event in events:
        instance.report_runless_asset_event(_runless(event, partition))


def _runless(
    event: MaterializeResult | AssetCheckResult, partition: str
) -> AssetMaterialization | AssetCheckEvaluation:
    if isinstance(event, MaterializeResult):
        assert event.asset_key is not None
        return AssetMaterialization(event.asset_key, metadata=event.metadata, partition=partition)
    assert event.asset_key is not None
    return AssetCheckEvaluation(
        asset_key=event.asset_key,
        check_name=event.check_name or "",
        passed=event.passed,
        metadata=event.metadata,
        severity=event.severity,
        description=event.description,
        partition=partition,
    )
