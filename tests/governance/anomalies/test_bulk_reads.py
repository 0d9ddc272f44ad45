"""Bulk reads: a user's, or a tenant's, rows in an hour against its own baseline."""

from collections import Counter
from datetime import timedelta

import pytest

from governance.anomalies import Thresholds
from governance.anomalies.bulk_reads import bulk_reads
from tests.governance.anomalies.streams import START, normal_traffic, read, replay, user

DEFAULTS = Thresholds()
HOUR = START + timedelta(days=15, hours=11)
READER = user("acme", 2)


def normal(seed: int = 0) -> list:
    return [d for t in ("acme", "globex") for d in normal_traffic(t, days=16, users=5, seed=seed)]


def hourly_rows(events, tenant: str, reader: str | None = None) -> Counter:
    """Rows read per hour (its start) by ``reader``, or by everyone in ``tenant``."""
    rows: Counter = Counter()
    for e in events:
        if e.tenant == tenant and reader in (None, e.actor) and "row_count" in e.context:
            rows[e.occurred_at.replace(minute=0, second=0, microsecond=0)] += e.context["row_count"]
    return rows


def baseline_max(rows: Counter, hour, days: int = 14) -> int:
    return max((n for at, n in rows.items() if hour - timedelta(days=days) <= at < hour), default=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steady_reads_find_nothing(seed):
    assert bulk_reads(replay(normal(seed)), DEFAULTS) == []


def test_an_export_far_above_the_baseline_is_found_for_the_user_and_the_tenant():
    events = replay(
        normal(), [read("acme", HOUR + timedelta(minutes=20), READER, 400_000, "query.export")]
    )
    mine, everyone = hourly_rows(events, "acme", READER), hourly_rows(events, "acme")

    findings = {f.subject: f for f in bulk_reads(events, DEFAULTS)}

    assert findings.keys() == {READER, "tenant"}
    for subject, rows in ((READER, mine), ("tenant", everyone)):
        finding = findings[subject]
        assert (finding.tenant, finding.detector, finding.severity) == (
            "acme",
            "bulk_reads",
            "medium",
        )
        assert finding.window == (HOUR, HOUR + timedelta(hours=1))
        assert finding.evidence["rows"] == rows[HOUR] > 400_000
        assert finding.evidence["baseline_max"] == baseline_max(rows, HOUR)
        assert finding.evidence["baseline_hours"] == sum(
            HOUR - timedelta(days=14) <= at < HOUR for at in rows
        )
        assert finding.evidence["exports"] >= 1


def test_the_thresholds_decide():
    events = replay(normal(), [read("acme", HOUR, READER, 400_000)])
    assert len(bulk_reads(events, DEFAULTS)) == 2
    assert bulk_reads(events, Thresholds(bulk_read_min_rows=500_000)) == []
    # the user's busiest hour reads thousands of rows (at most 10,000): 100x is above 400,000
    assert bulk_reads(events, Thresholds(bulk_read_factor=100)) == []
    lower = Thresholds(bulk_read_min_rows=10_000, bulk_read_factor=2.0)
    at_the_hour = {f.subject: f for f in bulk_reads(events, lower) if f.window[0] == HOUR}
    assert at_the_hour[READER].severity == "high"  # 10x max(10,000, 2x its busiest hour)


def test_an_earlier_spike_raises_the_baseline_for_as_long_as_it_lasts():
    spike = read("acme", HOUR - timedelta(days=10), READER, 300_000)
    events = replay(normal(), [spike, read("acme", HOUR, READER, 400_000)])
    later = [f for f in bulk_reads(events, DEFAULTS) if f.window[0] == HOUR]
    assert later == []  # 400,000 is not 10x the 300,000 of ten days before
    shorter = Thresholds(bulk_read_baseline_days=7)
    later = [f for f in bulk_reads(events, shorter) if f.window[0] == HOUR]
    assert {f.subject for f in later} == {READER, "tenant"}


def test_a_reader_without_history_has_a_baseline_of_nothing():
    events = replay(normal(), [read("globex", HOUR, "new@globex.example", 150_000, "assist.ask")])
    [mine] = bulk_reads(events, DEFAULTS)  # globex reads tens of thousands an hour: not 10x
    assert mine.subject == "new@globex.example"
    assert mine.evidence == {"rows": 150_000, "baseline_max": 0, "baseline_hours": 0, "exports": 0}
