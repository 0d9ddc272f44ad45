"""Failed sign-ins: bursts per account and per address, and one address failing across accounts."""

from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any

from governance.anomalies.bursts import Burst, bursts
from governance.anomalies.model import Event, Finding, Thresholds

SIGN_IN_STEPS = frozenset({"auth.login", "auth.mfa"})
LISTED = 10
"""The most addresses or accounts a finding names."""


def failed_sign_ins(events: Sequence[Event]) -> list[Event]:
    """The refused password and second-factor steps."""
    return [e for e in events if e.outcome == "refused" and e.action in SIGN_IN_STEPS]


def _address(event: Event) -> str | None:
    return event.context.get("ip")


def _listed(values: set[str]) -> list[str]:
    return sorted(values)[:LISTED]


def _finding(detector: str, burst: Burst, subject: str, severity: str, **extra: Any) -> Finding:
    return Finding(
        tenant=burst[0].tenant,
        detector=detector,
        subject=subject,
        severity=severity,
        window=(burst[0].occurred_at, burst[-1].occurred_at),
        evidence={
            "count": len(burst),
            "first_sequence": burst[0].sequence,
            "last_sequence": burst[-1].sequence,
            **extra,
        },
    )


def _failure_bursts(
    detector: str,
    events: Sequence[Event],
    thresholds: Thresholds,
    key: Callable[[Event], Hashable],
    threshold: int,
) -> list[Finding]:
    """A finding per burst of ``threshold`` failures of one ``key``: medium, high from 3x."""
    failures = [e for e in failed_sign_ins(events) if key(e) is not None]
    window = timedelta(minutes=thresholds.signin_window_minutes)
    return [
        _finding(
            detector,
            burst,
            key(burst[0]),
            "high" if len(burst) >= 3 * threshold else "medium",
            ips=_listed({ip for ip in map(_address, burst) if ip}),
        )
        for burst in bursts(failures, key, window, threshold)
    ]


def signin_failures_account(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """Bursts of failed sign-ins to one account (password guessing)."""
    return _failure_bursts(
        "signin_failures_account",
        events,
        thresholds,
        lambda e: e.actor,
        thresholds.signin_failures_per_account,
    )


def signin_failures_address(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """Bursts of failed sign-ins from one address."""
    return _failure_bursts(
        "signin_failures_address",
        events,
        thresholds,
        _address,
        thresholds.signin_failures_per_address,
    )


def signin_spray(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """One address failing for many accounts (password spraying): always high."""
    failures = [e for e in failed_sign_ins(events) if _address(e) is not None]
    window = timedelta(minutes=thresholds.signin_window_minutes)
    found = bursts(
        failures, _address, window, thresholds.signin_accounts_per_address, lambda e: e.actor
    )
    return [
        _finding("signin_spray", burst, _address(burst[0]), "high", accounts=_accounts(burst))
        for burst in found
    ]


def _accounts(burst: Burst) -> dict[str, Any]:
    accounts = {e.actor for e in burst}
    return {"count": len(accounts), "names": _listed(accounts)}
