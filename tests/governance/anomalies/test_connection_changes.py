"""Connection changes: one finding each, about the connection; routine rotations are none."""

from datetime import timedelta

import pytest

from governance.anomalies import Thresholds
from governance.anomalies.connection_changes import connection_changes
from tests.governance.anomalies.streams import (
    ROTATION,
    START,
    connection_event,
    normal_traffic,
    replay,
)

AT = START + timedelta(days=1, hours=11)


def normal() -> list:
    return normal_traffic("acme", days=7) + normal_traffic("globex", days=7)


def test_daily_token_rotations_are_routine():
    events = replay(normal())
    assert sum(e.action == ROTATION for e in events) == 2 * 7 * 2
    assert connection_changes(events, Thresholds()) == []


@pytest.mark.parametrize(
    ("action", "outcome", "change", "severity"),
    [
        ("connection.add", "ok", "added", "low"),
        ("connection.connect", "ok", "connected", "low"),
        ("connection.reauthorize", "ok", "reauthorized", "low"),
        ("connection.remove", "ok", "removed", "medium"),
        ("connection.disconnect", "ok", "disconnected", "medium"),
        ("connection.refresh_failed", "failed", "refresh failed", "medium"),
    ],
)
def test_each_change_is_a_finding(action, outcome, change, severity):
    drafted = connection_event(
        "globex", AT, action, "crm", "ana@globex.example", outcome, connector="hubspot"
    )
    events = replay(normal(), [drafted])
    [changed] = [e for e in events if e.action == action]

    [finding] = connection_changes(events, Thresholds())

    assert (finding.tenant, finding.detector) == ("globex", "connection_changes")
    assert (finding.subject, finding.severity, finding.window) == ("crm", severity, (AT, AT))
    assert finding.evidence == {
        "change": change,
        "action": action,
        "actor": "ana@globex.example",
        "connector": "hubspot",
        "sequence": changed.sequence,
    }


def test_setting_secrets_is_a_change_and_setting_config_is_not():
    events = replay(
        normal(),
        [
            connection_event("acme", AT, "connection.set", "stripe", secrets=["api_key"]),
            connection_event("acme", AT, "connection.set", "hubspot", config={"retries": 5}),
        ],
    )
    [finding] = connection_changes(events, Thresholds())
    assert (finding.subject, finding.severity) == ("stripe", "medium")
    assert finding.evidence["change"] == "secrets changed"


def test_refused_attempts_change_nothing():
    refused = [
        connection_event("acme", AT, action, outcome="refused")
        for action in ("connection.add", "connection.remove", "connection.connect")
    ]
    assert connection_changes(replay(normal(), refused), Thresholds()) == []
