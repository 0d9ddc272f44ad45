"""A daily job that purges audit events older than ``ATSPARK_AUDIT_RETENTION_DAYS`` from every
chain (``services.audit.purge``: each purge is recorded, so what remains still verifies)."""

from dagster import DefaultScheduleStatus, OpExecutionContext, ScheduleDefinition, job, op

from assets.resources import PlatformParam

CRON = "17 3 * * *"


@op(description="Purge audit events past their retention, on every chain.")
def purge_expired_audit_events(context: OpExecutionContext, platform: PlatformParam) -> None:
    from services import audit, ingestion
    from services.context import ServiceContext

    purged = audit.purge(ServiceContext(platform, ingestion.DAGSTER))
    for chain, done in sorted(purged.items()):
        context.log.info(f"{chain}: purged {done.count} audit events")


@job(description="Apply the audit log's retention (daily).")
def audit_retention():
    purge_expired_audit_events()


audit_retention_schedule = ScheduleDefinition(
    job=audit_retention,
    cron_schedule=CRON,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
