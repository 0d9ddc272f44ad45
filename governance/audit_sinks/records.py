"""An audit event as exported: one JSON object on one line."""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from governance.audit import as_utc
from governance.store.models import AuditEvent, utcnow


def record(event: AuditEvent) -> dict[str, Any]:
    """The event's exported fields; its time in ISO 8601, UTC."""
    return {
        "sequence": event.sequence,
        "occurred_at": as_utc(event.occurred_at).isoformat(),
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "context": event.context,
        "previous_hash": event.previous_hash,
        "hash": event.hash,
    }


def line(event: AuditEvent) -> str:
    """The event as one line of JSON (without its newline)."""
    return json.dumps(record(event), separators=(",", ":"))


def json_lines(events: Sequence[AuditEvent]) -> str:
    """The events as JSON Lines, one a line."""
    return "".join(f"{line(event)}\n" for event in events)


def span(events: Sequence[AuditEvent], since: datetime | None) -> tuple[datetime, datetime]:
    """The time range an export covers: from ``since`` (or its first event) to its last event."""
    start = as_utc(since or (events[0].occurred_at if events else utcnow()))
    return start, as_utc(events[-1].occurred_at) if events else start
