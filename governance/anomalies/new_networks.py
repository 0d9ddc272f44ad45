"""Sign-ins from a network the user had not used lately."""

from collections.abc import Sequence

from governance.anomalies.model import Event, Finding, Thresholds

ACROSS_ACCOUNTS = "failed sign-ins across accounts from one address"
"""The reason of the other ``auth.suspicious_login`` flag, which ``signin_spray`` covers."""


def new_network_signin(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """Each sign-in flagged as from a new network: low, as the user was mailed already."""
    return [
        Finding(
            tenant=e.tenant,
            detector="new_network_signin",
            subject=e.actor,
            severity="low",
            window=(e.occurred_at, e.occurred_at),
            evidence={
                "sequence": e.sequence,
                "ip": e.context.get("ip"),
                "network": e.context.get("network"),
                "reason": e.context.get("reason"),
            },
        )
        for e in events
        if e.action == "auth.suspicious_login" and e.context.get("reason") != ACROSS_ACCOUNTS
    ]
