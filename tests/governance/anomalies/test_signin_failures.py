"""Failed sign-ins: bursts per account, per address, and one address across accounts."""

from datetime import timedelta

import pytest

from governance.anomalies import Thresholds
from governance.anomalies.signin_failures import (
    signin_failures_account,
    signin_failures_address,
    signin_spray,
)
from tests.governance.anomalies.streams import (
    START,
    guessing,
    normal_traffic,
    replay,
    sign_in,
    spray,
    user,
)

DEFAULTS = Thresholds()
ATTACK = START + timedelta(days=1, hours=2)
TENANTS = ("acme", "globex")
VICTIM = user("acme", 1)
ATTACKERS = ("192.0.2.7", "192.0.2.3", "192.0.2.5")


def normal(seed: int = 0) -> list:
    return [d for tenant in TENANTS for d in normal_traffic(tenant, days=3, users=6, seed=seed)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "detector", [signin_failures_account, signin_failures_address, signin_spray]
)
def test_normal_traffic_with_typos_finds_nothing(detector, seed):
    events = replay(normal(seed))
    assert any(e.outcome == "refused" for e in events)  # the typos are there
    assert detector(events, DEFAULTS) == []


def test_guessing_one_account_is_one_finding_with_its_evidence():
    attack = guessing("acme", ATTACK, VICTIM, 12, ATTACKERS)
    events = replay(normal(), attack)
    attempts = [e for e in events if e.context.get("ip") in ATTACKERS]

    [finding] = signin_failures_account(events, DEFAULTS)

    assert (finding.tenant, finding.detector, finding.subject) == (
        "acme",
        "signin_failures_account",
        VICTIM,
    )
    assert finding.severity == "medium"
    assert finding.window == (attempts[0].occurred_at, attempts[-1].occurred_at)
    assert finding.evidence == {
        "count": 12,
        "first_sequence": attempts[0].sequence,
        "last_sequence": attempts[-1].sequence,
        "ips": sorted(ATTACKERS),
    }


def test_second_factor_failures_count_too():
    attack = [
        sign_in(
            "acme", ATTACK + timedelta(seconds=20 * k), VICTIM, "192.0.2.9", "refused", "auth.mfa"
        )
        for k in range(10)
    ]
    [finding] = signin_failures_account(replay(normal(), attack), DEFAULTS)
    assert finding.evidence["count"] == 10


def test_the_account_threshold_decides():
    events = replay(normal(), guessing("acme", ATTACK, VICTIM, 12, ATTACKERS))
    assert signin_failures_account(events, Thresholds(signin_failures_per_account=13)) == []
    [finding] = signin_failures_account(events, Thresholds(signin_failures_per_account=4))
    assert finding.severity == "high"  # 12 failures: three times the threshold
    assert finding.evidence["count"] == 12


def test_the_window_decides():
    slow = guessing("acme", ATTACK, VICTIM, 10, every=timedelta(minutes=1))  # over 9 minutes
    events = replay(normal(), slow)
    assert len(signin_failures_account(events, DEFAULTS)) == 1
    assert signin_failures_account(events, Thresholds(signin_window_minutes=5)) == []


def test_a_long_attack_is_one_finding_per_window():
    # 40 failures, one a minute: a burst takes minutes 0-15, the next 16-31; 32-39 are too few
    events = replay(guessing("acme", ATTACK, VICTIM, 40, every=timedelta(minutes=1)))
    findings = signin_failures_account(events, DEFAULTS)
    assert [f.evidence["count"] for f in findings] == [16, 16]
    assert [f.window for f in findings] == [
        (ATTACK, ATTACK + timedelta(minutes=15)),
        (ATTACK + timedelta(minutes=16), ATTACK + timedelta(minutes=31)),
    ]


def test_tenants_are_never_mixed():
    # the same account and address failing 6 times in each of two tenants: 12, but not in one
    attack = [
        d
        for tenant in TENANTS
        for d in guessing(tenant, ATTACK, VICTIM, 6, [f"192.0.2.{n}" for n in range(6)])
    ]
    events = replay(normal(), attack)
    thresholds = Thresholds(signin_failures_per_address=2, signin_accounts_per_address=2)
    assert signin_failures_account(events, Thresholds(signin_failures_per_account=7)) == []
    assert len(signin_failures_account(events, Thresholds(signin_failures_per_account=6))) == 2
    assert signin_failures_address(events, thresholds) == []
    assert signin_spray(events, thresholds) == []


def test_failures_from_one_address_across_accounts():
    accounts = [user("acme", n) for n in range(3)]
    attack = spray("acme", ATTACK, "192.0.2.66", accounts * 8)  # 24 failures, 3 accounts
    events = replay(normal(), attack)
    attempts = [e for e in events if e.context.get("ip") == "192.0.2.66"]

    [finding] = signin_failures_address(events, DEFAULTS)

    assert (finding.tenant, finding.subject, finding.severity) == ("acme", "192.0.2.66", "medium")
    assert finding.window == (attempts[0].occurred_at, attempts[-1].occurred_at)
    assert finding.evidence["count"] == 24
    assert finding.evidence["ips"] == ["192.0.2.66"]
    assert signin_failures_address(events, Thresholds(signin_failures_per_address=25)) == []
    [high] = signin_failures_address(events, Thresholds(signin_failures_per_address=8))
    assert high.severity == "high"
    assert signin_spray(events, DEFAULTS) == []  # three accounts are not a spray


def test_a_spray_is_one_high_finding_naming_its_accounts():
    accounts = [user("acme", n) for n in range(12)]
    events = replay(normal(), spray("acme", ATTACK, "192.0.2.99", accounts))

    [finding] = signin_spray(events, DEFAULTS)

    assert (finding.tenant, finding.detector) == ("acme", "signin_spray")
    assert (finding.subject, finding.severity) == ("192.0.2.99", "high")
    assert finding.evidence["count"] == 12
    assert finding.evidence["accounts"] == {"count": 12, "names": sorted(accounts)[:10]}
    assert signin_failures_address(events, DEFAULTS) == []  # 12 failures: under 20
    assert signin_failures_account(events, DEFAULTS) == []


def test_the_spray_threshold_counts_distinct_accounts():
    accounts = [user("acme", n) for n in range(5)]
    events = replay(normal(), spray("acme", ATTACK, "192.0.2.99", accounts * 3))
    assert signin_spray(events, Thresholds(signin_accounts_per_address=6)) == []
    [finding] = signin_spray(events, Thresholds(signin_accounts_per_address=5))
    assert finding.evidence["accounts"]["count"] == 5
    assert finding.evidence["count"] == 15
