"""The audit trail: one hash-chained sequence of events per tenant.

Each event stores the hash of its predecessor and its own hash over its content, so deleting,
reordering or editing an event breaks the chain and ``verify_chain`` shows where.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from governance.platform import Platform
from governance.store.models import AuditEvent, utcnow

GENESIS = "0" * 64
_ATTEMPTS = 5


def _utc_naive(moment: datetime) -> datetime:
    """One form for a timestamp whether the database hands it back naive (SQLite) or aware."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _digest(previous_hash: str, sequence: int, occurred_at: datetime, fields: Mapping) -> str:
    payload = json.dumps(
        {
            "previous": previous_hash,
            "sequence": sequence,
            "at": _utc_naive(occurred_at).isoformat(),
            **fields,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    platform: Platform,
    tenant_id: str,
    actor: str,
    action: str,
    outcome: str,
    context: Mapping[str, Any],
) -> int:
    """Append an event to the tenant's chain and return its sequence number.

    Concurrent writers race for the next sequence number; the loser retries on the new head.
    """
    fields = {"actor": actor, "action": action, "outcome": outcome, "context": dict(context)}
    for _ in range(_ATTEMPTS):
        try:
            with platform.control_plane.session() as session:
                head = session.execute(
                    select(AuditEvent.sequence, AuditEvent.hash)
                    .where(AuditEvent.tenant_id == tenant_id)
                    .order_by(AuditEvent.sequence.desc())
                    .limit(1)
                ).first()
                sequence, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
                occurred_at = utcnow()
                session.add(
                    AuditEvent(
                        tenant_id=tenant_id,
                        sequence=sequence,
                        occurred_at=occurred_at,
                        previous_hash=previous,
                        hash=_digest(previous, sequence, occurred_at, fields),
                        **fields,
                    )
                )
            return sequence
        except IntegrityError:
            continue
    raise RuntimeError("could not append to the audit trail: too much contention")


def events(platform: Platform, tenant_id: str) -> list[AuditEvent]:
    """The tenant's events, oldest first."""
    with platform.control_plane.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_id == tenant_id)
                .order_by(AuditEvent.sequence)
            )
        )


def verify_chain(platform: Platform, tenant_id: str) -> int | None:
    """The sequence number of the first event that breaks the chain, or None when it holds."""
    previous, expected_sequence = GENESIS, 1
    for event in events(platform, tenant_id):
        fields = {
            "actor": event.actor,
            "action": event.action,
            "outcome": event.outcome,
            "context": event.context,
        }
        if (
            event.sequence != expected_sequence
            or event.previous_hash != previous
            or event.hash != _digest(previous, event.sequence, event.occurred_at, fields)
        ):
            return event.sequence
        previous, expected_sequence = event.hash, expected_sequence + 1
    return None
