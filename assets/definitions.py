"""The one Dagster ``Definitions`` of atspark (``workspace.yaml`` loads ``defs`` from here).

Per connector: a dynamic partitions definition of its connections, a multi-asset of its streams
with their checks, a job and a schedule on the connector's cadence. One sensor keeps every
connector's partitions in step with the control plane; another reports the loads made outside
Dagster, so the UI shows every load. A daily job applies the audit log's retention; a sensor
runs the anomaly detectors over the audit trails and starts a run per finding; backups run after
each publish, are pruned daily and restored and compared by a daily check. Building
reads no environment and opens
nothing: the platform is made when a run or a tick first needs it.
"""

from collections.abc import Mapping

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from assets.anomalies import anomalies_sensor, anomaly_finding
from assets.audit_retention import audit_retention, audit_retention_schedule
from assets.backups import (
    backup_after_publish,
    backup_job,
    backup_prune,
    backup_prune_schedule,
    backups,
    backups_restorable,
    verify_backups_job,
    verify_backups_schedule,
)
from assets.ingestion import connector_assets, ingested_assets
from assets.loads import loads_sensor
from assets.partitions import connection_partitions, dagster_name, partitions_name
from assets.resources import PLATFORM, PlatformFactory, platform_from_settings, platform_resource
from assets.schedules import connector_schedule
from assets.sensors import connection_partitions_sensor
from connectors.base import Connector
from connectors.registry import load_connectors
from governance.errors import AtsparkError


def job_name(connector: Connector) -> str:
    return f"{dagster_name(connector.name)}_ingest"


def build_definitions(
    connectors: Mapping[str, Connector] | None = None,
    platform_factory: PlatformFactory = platform_from_settings,
) -> Definitions:
    """Definitions for ``connectors`` (default: every registered connector).

    ``platform_factory`` makes the platform the assets and the sensor use; tests pass one bound
    to their own settings.
    """
    connectors = load_connectors() if connectors is None else connectors
    _refuse_name_clashes(connectors)
    partitions: dict[str, str] = {}
    assets = [backups]
    jobs = [audit_retention, anomaly_finding, backup_job, verify_backups_job, backup_prune]
    schedules = [audit_retention_schedule, verify_backups_schedule, backup_prune_schedule]
    for name, connector in sorted(connectors.items()):
        partitions_def = connection_partitions(connector.name)
        partitions[name] = partitions_name(connector.name)
        assets.append(connector_assets(connector, partitions_def))
        job = define_asset_job(
            job_name(connector),
            selection=AssetSelection.assets(*(a.key for a in ingested_assets(connector))),
            partitions_def=partitions_def,
            description=f"Ingest one {connector.name} connection (a partition).",
        )
        jobs.append(job)
        schedules.append(connector_schedule(connector, job.name))
    return Definitions(
        assets=assets,
        asset_checks=[backups_restorable],
        jobs=jobs,
        schedules=schedules,
        sensors=[
            connection_partitions_sensor(partitions),
            loads_sensor({name: ingested_assets(c) for name, c in connectors.items()}),
            anomalies_sensor,
            backup_after_publish,
        ],
        resources={PLATFORM: platform_resource(platform_factory)},
        # Each run is one op (a connector's multi-asset): running it in the run worker itself
        # saves starting and importing a second process per run.
        executor=in_process_executor,
    )


def _refuse_name_clashes(connectors: Mapping[str, Connector]) -> None:
    seen: dict[str, str] = {}
    for name, connector in connectors.items():
        if name != connector.name:
            raise AtsparkError(f"connector registered as {name!r} is named {connector.name!r}")
        other = seen.setdefault(dagster_name(name), name)
        if other != name:
            raise AtsparkError(f"connectors {other!r} and {name!r} have the same Dagster name")


defs = build_definitions()
