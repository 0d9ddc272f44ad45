"""Backups in Dagster: a run after each publish, a daily prune, and a scheduled restore check.

- ``backups`` (an asset): each materialization backs up a tenant's snapshots; the
  ``backup_after_publish`` sensor starts one for every tenant whose current snapshot is not
  backed up yet (a run key per snapshot: one run each).
- ``backups_restorable`` (its check): per tenant, the newest backup and one random moment are
  restored to a scratch file and compared with the manifest; it fails on a mismatch, a missing or
  undecryptable object, or a publish waiting longer than a day for its backup.
- ``backup_prune`` (a job, daily): deletes what no moment of each tenant's window needs.
"""

import random
from datetime import timedelta
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MaterializeResult,
    MetadataValue,
    OpExecutionContext,
    Output,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    define_asset_job,
    job,
    op,
    sensor,
)

from assets.resources import PlatformParam

MAX_BACKUP_AGE = timedelta(days=1)
"""How long a publish may wait for its backup before the check fails."""


def _operator(platform: Any):
    from services.context import ServiceContext  # at run time: see assets.resources
    from services.ingestion import DAGSTER

    return ServiceContext(platform, DAGSTER)


@asset(
    name="backups",
    config_schema={"tenant": str},
    description="Each tenant's published snapshots and control plane, sealed in the backup target.",
)
def backups(context: AssetExecutionContext, platform: PlatformParam) -> MaterializeResult:
    from services.backups import backup, restorable

    tenant = context.op_execution_context.op_config["tenant"]
    [done] = backup(_operator(platform), tenant)
    window = restorable(_operator(platform), tenant)
    return MaterializeResult(
        metadata={
            "tenant": tenant,
            "snapshots": done.snapshots,
            "bytes": done.bytes_written,
            "oldest": window.oldest.isoformat() if window.oldest else "",
            "newest": window.newest.isoformat() if window.newest else "",
        }
    )


@asset_check(asset=backups, name="restorable", description="Backups restore and match.")
def backups_restorable(platform: PlatformParam) -> AssetCheckResult:
    from services.backups import check
    from services.tenants import list_tenants

    operator = _operator(platform)
    rng = random.Random()
    checks = [check(operator, t.slug, rng, MAX_BACKUP_AGE) for t in list_tenants(operator)]
    problems = {c.tenant: c.problem for c in checks if c.problem}
    return AssetCheckResult(
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "restored": MetadataValue.json({c.tenant: c.restored for c in checks}),
            "problems": MetadataValue.json(problems),
        },
    )


backup_job = define_asset_job(
    "backup", selection=AssetSelection.assets(backups).without_checks(),
    description="Back up one tenant (config: tenant).",
)  # fmt: skip
verify_backups_job = define_asset_job(
    "verify_backups", selection=AssetSelection.checks_for_assets(backups),
    description="Restore every tenant's newest backup and a random moment; compare.",
)  # fmt: skip
verify_backups_schedule = ScheduleDefinition(
    job=verify_backups_job, cron_schedule="41 4 * * *", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)  # fmt: skip


@sensor(
    job=backup_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts a backup of each tenant whose current snapshot is not backed up yet.",
)
def backup_after_publish(
    context: SensorEvaluationContext, platform: PlatformParam
) -> list[RunRequest] | SkipReason:
    from services.backups import pending

    waiting = pending(_operator(platform))
    if not waiting:
        return SkipReason("every tenant's current snapshot is backed up")
    return [
        RunRequest(
            run_key=f"{tenant}:{snapshot}",
            run_config={"ops": {"backups": {"config": {"tenant": tenant}}}},
            tags={"atspark/tenant": tenant},
        )
        for tenant, snapshot in waiting
    ]


@op(description="Delete what no moment of each tenant's backup window needs.")
def prune_backups(context: OpExecutionContext, platform: PlatformParam) -> Output[None]:
    from services.backups import prune

    done = prune(_operator(platform))
    return Output(
        None,
        metadata={
            "window_starts": MetadataValue.json(
                {p.tenant: p.window_start.isoformat() for p in done}
            ),
            "backups_deleted": sum(p.backups for p in done),
            "snapshots_deleted": sum(p.snapshots for p in done),
        },
    )


@job(description="Prune backups and past snapshots to each tenant's retention window (daily).")
def backup_prune():
    prune_backups()


backup_prune_schedule = ScheduleDefinition(
    job=backup_prune, cron_schedule="23 3 * * *", execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)  # fmt: skip
