"""Bulk reads: a user's (or a whole tenant's) rows read in an hour against their own baseline."""

from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from governance.anomalies.model import Event, Finding, Thresholds

READS = frozenset({"query", "query.export", "assist.ask"})
EXPORT = "query.export"
TENANT = "tenant"
"""The subject of a tenant's hours: every user's reads summed."""
HOUR = 3600


class Hour:
    """What one subject read in one hour."""

    __slots__ = ("exports", "rows")

    def __init__(self) -> None:
        self.rows = 0
        self.exports = 0


Hours = dict[int, Hour]
"""A subject's hours with reads, by hours since the epoch."""


def _hours(events: Sequence[Event]) -> dict[tuple[str | None, str], Hours]:
    """Per tenant and subject (each user, and the tenant), what was read each hour."""
    rows: dict[tuple[str | None, str, int], int] = {}
    exports: dict[tuple[str | None, str, int], int] = {}
    for event in events:
        if event.action not in READS or event.outcome != "ok":
            continue
        at = event.occurred_at
        hour = int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()) // HOUR
        key = (event.tenant, event.actor, hour)
        rows[key] = rows.get(key, 0) + (event.context.get("row_count") or 0)
        if event.action == EXPORT:
            exports[key] = exports.get(key, 0) + 1
    hours: dict[tuple[str | None, str], Hours] = defaultdict(dict)
    for (tenant, reader, hour), read_rows in rows.items():
        for subject in (reader, TENANT):
            read = hours[tenant, subject].get(hour)
            if read is None:
                read = hours[tenant, subject][hour] = Hour()
            read.rows += read_rows
            read.exports += exports.get((tenant, reader, hour), 0)
    return hours


def _unusual(
    tenant: str | None, subject: str, hours: Hours, thresholds: Thresholds
) -> Iterator[Finding]:
    """The hours of ``subject`` reading at least ``bulk_read_min_rows`` and ``bulk_read_factor``
    times the most it read in any hour of the baseline before (hours without reads: none)."""
    span = thresholds.bulk_read_baseline_days * 24
    ordered = sorted(hours)
    first = 0  # ordered[first:index]: the baseline's hours with reads
    peaks: deque[int] = deque()  # of the baseline's hours, rows decreasing: the first is its most
    for index, hour in enumerate(ordered):
        while ordered[first] < hour - span:
            first += 1
        while peaks and peaks[0] < hour - span:
            peaks.popleft()
        read = hours[hour]
        baseline_max = hours[peaks[0]].rows if peaks else 0
        limit = max(
            thresholds.bulk_read_min_rows, thresholds.bulk_read_factor * max(baseline_max, 1)
        )
        if read.rows >= limit:
            start = datetime.fromtimestamp(hour * HOUR, UTC)
            yield Finding(
                tenant=tenant,
                detector="bulk_reads",
                subject=subject,
                severity="high" if read.rows >= 10 * limit else "medium",
                window=(start, start + timedelta(hours=1)),
                evidence={
                    "rows": read.rows,
                    "baseline_max": baseline_max,
                    "baseline_hours": index - first,
                    "exports": read.exports,
                },
            )
        while peaks and hours[peaks[-1]].rows <= read.rows:
            peaks.pop()
        peaks.append(hour)


def bulk_reads(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """Hours in which a user, or a tenant, read far more rows than in any hour of its baseline."""
    findings = [
        finding
        for (tenant, subject), hours in _hours(events).items()
        for finding in _unusual(tenant, subject, hours, thresholds)
    ]
    findings.sort(key=lambda f: (f.window[0], f.tenant or "", f.subject))
    return findings
