"""Anomaly detectors over the audit trail: pure functions of events and thresholds.

Each detector works per tenant (a stream may mix several) on events oldest first.
"""

from collections.abc import Sequence

from governance.anomalies.bulk_reads import bulk_reads
from governance.anomalies.connection_changes import connection_changes
from governance.anomalies.model import Detector, Event, Finding, Thresholds
from governance.anomalies.new_networks import new_network_signin
from governance.anomalies.signin_failures import (
    signin_failures_account,
    signin_failures_address,
    signin_spray,
)

DETECTORS: dict[str, Detector] = {
    "signin_failures_account": signin_failures_account,
    "signin_failures_address": signin_failures_address,
    "signin_spray": signin_spray,
    "new_network_signin": new_network_signin,
    "connection_changes": connection_changes,
    "bulk_reads": bulk_reads,
}


def detect(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """Every detector's findings, by window start, tenant, detector and subject."""
    findings = [finding for run in DETECTORS.values() for finding in run(events, thresholds)]
    findings.sort(key=lambda f: (f.window[0], f.tenant or "", f.detector, f.subject))
    return findings


__all__ = ["DETECTORS", "Detector", "Event", "Finding", "Thresholds", "detect"]
