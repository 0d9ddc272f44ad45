"""Anomaly detection in Dagster: a sensor scans the audit trails and starts a run per finding.

Each tick calls ``services.anomalies.scan`` (the detectors ``atspark anomaly scan`` runs), which
raises every new finding once: an audit event and an email to the tenant's admins. The sensor
adds a run of ``anomaly_finding`` for each, with the finding as its metadata, so the Dagster UI
lists them; a run key per finding keeps a finding to one run.
"""

from typing import Any

from dagster import (
    DefaultSensorStatus,
    MetadataValue,
    OpExecutionContext,
    Output,
    Permissive,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    job,
    op,
    sensor,
)

from assets.resources import PlatformParam

MINIMUM_INTERVAL_SECONDS = 300
OP_NAME = "report_finding"


@op(
    name=OP_NAME,
    config_schema={"finding": Permissive()},
    description="Record an anomaly finding (raised, audited and mailed by the scan) as a run.",
)
def report_finding(context: OpExecutionContext) -> Output[None]:
    finding: dict[str, Any] = context.op_config["finding"]
    context.log.warning(
        f"{finding['severity']} anomaly in {finding['tenant']}: {finding['detector']} "
        f"about {finding['subject']}"
    )
    return Output(None, metadata=_metadata(finding))


def _metadata(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant": str(finding["tenant"]),
        "detector": finding["detector"],
        "subject": finding["subject"],
        "severity": finding["severity"],
        "window": " - ".join(finding["window"]),
        "evidence": MetadataValue.json(finding["evidence"]),
    }


@job(description="One anomaly finding, as the anomalies sensor raised it.")
def anomaly_finding():
    report_finding()


@sensor(
    job=anomaly_finding,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Runs the anomaly detectors over every tenant's audit trail; a run per finding.",
)
def anomalies_sensor(
    context: SensorEvaluationContext, platform: PlatformParam
) -> list[RunRequest] | SkipReason:
    from services.anomalies import scan  # at run time: see assets.resources
    from services.context import ServiceContext
    from services.ingestion import DAGSTER

    raised = [item.finding for item in scan(ServiceContext(platform, DAGSTER)) if item.new]
    if not raised:
        return SkipReason("no new finding")
    return [
        RunRequest(
            run_key=f"{f.tenant}:{f.detector}:{f.subject}:{f.window[0].isoformat()}",
            run_config={"ops": {OP_NAME: {"config": {"finding": f.document()}}}},
            tags={"atspark/tenant": str(f.tenant), "atspark/detector": f.detector},
        )
        for f in raised
    ]
