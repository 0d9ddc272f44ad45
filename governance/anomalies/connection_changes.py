"""Changes to connections: added, removed, (re)authorized, disconnected, secrets changed, and
refreshes the vendor refused. Routine token rotations (``connection.secrets_rotated``) are not."""

from collections.abc import Sequence
from typing import NamedTuple

from governance.anomalies.model import Event, Finding, Thresholds


class Change(NamedTuple):
    name: str
    severity: str
    outcome: str = "ok"
    """The outcome of an event that means it happened."""


CHANGES = {
    "connection.add": Change("added", "low"),
    "connection.connect": Change("connected", "low"),
    "connection.reauthorize": Change("reauthorized", "low"),
    "connection.remove": Change("removed", "medium"),
    "connection.disconnect": Change("disconnected", "medium"),
    "connection.refresh_failed": Change("refresh failed", "medium", "failed"),
}
SECRETS_CHANGED = Change("secrets changed", "medium")
"""What any other ``connection.*`` event naming ``secrets`` records (``connection.set``)."""
ROUTINE = frozenset({"connection.secrets_rotated"})
"""Connection events that are not changes, though they name secrets."""


def _change(event: Event) -> Change | None:
    """The change ``event`` records, if it records one."""
    if not event.action.startswith("connection.") or event.action in ROUTINE:
        return None
    change = CHANGES.get(event.action)
    if change is None and "secrets" in event.context:
        change = SECRETS_CHANGED
    return change if change is not None and event.outcome == change.outcome else None


def connection_changes(events: Sequence[Event], thresholds: Thresholds) -> list[Finding]:
    """A finding per connection change, about the connection."""
    findings = []
    for event in events:
        change = _change(event)
        if change is not None:
            findings.append(
                Finding(
                    tenant=event.tenant,
                    detector="connection_changes",
                    subject=str(event.context.get("connection")),
                    severity=change.severity,
                    window=(event.occurred_at, event.occurred_at),
                    evidence={
                        "change": change.name,
                        "action": event.action,
                        "actor": event.actor,
                        "connector": event.context.get("connector"),
                        "sequence": event.sequence,
                    },
                )
            )
    return findings
