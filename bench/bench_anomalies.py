"""Anomaly detection benchmark: the time every detector takes to scan a million audit events.

About a million events of 50 tenants (10 to 30 users each, six weeks of sign-ins, reads,
exports and nightly token rotations) with a few attacks injected, generated before the clock
starts; ``detect`` is timed alone, once.
"""

import time
from datetime import timedelta

from bench.report import emit
from governance.anomalies import Thresholds, detect
from tests.governance.anomalies.streams import (
    START,
    connection_event,
    guessing,
    new_network,
    normal_traffic,
    read,
    replay,
    spray,
    user,
)

TENANTS = 50
DAYS = 42


def tenant_name(n: int) -> str:
    return f"tenant{n:02d}"


def attacks() -> list:
    """A few of each kind, in the last week."""
    day = START + timedelta(days=DAYS - 5)
    found = []
    for n in range(0, TENANTS, 10):
        tenant, at = tenant_name(n), day + timedelta(days=n % 4, hours=n % 7)
        found += guessing(tenant, at, user(tenant, 1), 25, ["192.0.2.1", "192.0.2.2"])
        found += spray(
            tenant, at + timedelta(hours=1), "192.0.2.9", [user(tenant, k) for k in range(8)]
        )
        found.append(new_network(tenant, at + timedelta(hours=2), user(tenant, 2), "203.0.113.7"))
        found.append(connection_event(tenant, at + timedelta(hours=3), "connection.remove"))
        found.append(
            read(tenant, at + timedelta(hours=5), user(tenant, 3), 2_000_000, "query.export")
        )
    return found


def main() -> None:
    traffic = [
        normal_traffic(tenant_name(n), days=DAYS, users=10 + n % 21, seed=n) for n in range(TENANTS)
    ]
    events = replay(*traffic, attacks())
    started = time.perf_counter()
    findings = detect(events, Thresholds())
    elapsed = time.perf_counter() - started
    emit(
        "anomaly_scan_s_per_million_events",
        elapsed / len(events) * 1_000_000,
        "< 5",
        events=len(events),
        tenants=TENANTS,
        findings=len(findings),
    )
    emit("anomaly_scan_events_per_s", len(events) / elapsed, events=len(events))


if __name__ == "__main__":
    main()
