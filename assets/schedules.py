"""One schedule per connector, on the connector's cadence, ingesting every connection of it."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from assets.partitions import KEY_SEPARATOR, dagster_name, partitions_name
from connectors.base import Connector

TENANT_TAG = "atspark/tenant"
CONNECTOR_TAG = "atspark/connector"


def schedule_name(connector: Connector) -> str:
    return f"{dagster_name(connector.name)}_schedule"


def connector_schedule(connector: Connector, job_name: str) -> ScheduleDefinition:
    """At each ``connector.cadence`` tick, one run request per current partition of the connector.

    Each request's run key holds the scheduled time, so a tick evaluated twice launches nothing
    twice, and the next tick launches again.
    """
    partitions = partitions_name(connector.name)

    @schedule(
        name=schedule_name(connector),
        cron_schedule=connector.cadence,
        job_name=job_name,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Ingest every {connector.name} connection on `{connector.cadence}` (UTC).",
    )
    def _every_connection(context: ScheduleEvaluationContext) -> list[RunRequest] | SkipReason:
        keys = context.instance.get_dynamic_partitions(partitions)
        if not keys:
            return SkipReason(f"no {connector.name} connections yet")
        tick = context.scheduled_execution_time.isoformat()
        return [
            RunRequest(
                run_key=f"{key}@{tick}",
                partition_key=key,
                tags={
                    TENANT_TAG: key.partition(KEY_SEPARATOR)[0],
                    CONNECTOR_TAG: connector.name,
                },
            )
            for key in sorted(keys)
        ]

    return _every_connection
