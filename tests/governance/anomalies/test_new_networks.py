"""Sign-ins from a new network: each a low finding about the account."""

from datetime import timedelta

from governance.anomalies import Thresholds
from governance.anomalies.new_networks import ACROSS_ACCOUNTS, new_network_signin
from tests.governance.anomalies.streams import (
    START,
    flagged,
    new_network,
    normal_traffic,
    replay,
    user,
)

AT = START + timedelta(days=1, hours=8)


def normal() -> list:
    return normal_traffic("acme", users=5) + normal_traffic("globex", users=5)


def test_normal_traffic_finds_nothing():
    assert new_network_signin(replay(normal()), Thresholds()) == []


def test_each_new_network_sign_in_is_a_low_finding_about_the_account():
    first, second = user("acme", 2), user("globex", 0)
    events = replay(
        normal(),
        [
            new_network("acme", AT, first, "203.0.113.40"),
            new_network("globex", AT, second, "203.0.113.8"),
        ],
    )
    flags = [e for e in events if e.action == "auth.suspicious_login"]

    findings = new_network_signin(events, Thresholds())

    assert [(f.tenant, f.subject, f.severity) for f in findings] == [
        ("acme", first, "low"),
        ("globex", second, "low"),
    ]
    assert [f.window for f in findings] == [(AT, AT), (AT, AT)]
    assert findings[0].evidence == {
        "sequence": flags[0].sequence,
        "ip": "203.0.113.40",
        "network": "203.0.113.0/24",
        "reason": "sign-in from a network not used in 30 days",
    }


def test_the_across_accounts_flag_is_left_to_the_spray_detector():
    flag = flagged("acme", AT, user("acme", 1), "192.0.2.5", ACROSS_ACCOUNTS)
    assert new_network_signin(replay(normal(), [flag]), Thresholds()) == []
