"""The audit trail: one hash-chained sequence of events per tenant, and one for the platform.

Each event stores the hash of its predecessor and its own hash over its content, so deleting,
reordering or editing an event breaks the chain and ``verify_chain`` shows where. Events are
appended in the caller's transaction, so a change and its audit event commit together or not at
all. A tenant's chain is keyed by its id and outlives the tenant; ``PLATFORM_CHAIN`` holds what
belongs to no tenant (an attempt on a tenant that does not exist).
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.store.models import AuditEvent, utcnow

ACTOR_LENGTH = AuditEvent.actor.type.length

GENESIS = "0" * 64
PLATFORM_CHAIN = "platform"
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


def append(
    session: Session,
    chain: str,
    actor: str,
    action: str,
    outcome: str,
    context: Mapping[str, Any],
) -> int:
    """Append an event to ``chain`` in ``session``'s transaction; returns its sequence number.

    Concurrent writers race for the next sequence number (SQLite serializes them; PostgreSQL's
    unique index stops the second): the loser retries on the new head inside a savepoint. An
    actor as given (an unknown user) is cut to the column's length, so the event is never lost.
    """
    fields = {
        "actor": actor[:ACTOR_LENGTH],
        "action": action,
        "outcome": outcome,
        "context": dict(context),
    }
    for _ in range(_ATTEMPTS):
        head = session.execute(
            select(AuditEvent.sequence, AuditEvent.hash)
            .where(AuditEvent.tenant_id == chain)
            .order_by(AuditEvent.sequence.desc())
            .limit(1)
        ).first()
        sequence, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
        occurred_at = utcnow()
        event = AuditEvent(
            tenant_id=chain,
            sequence=sequence,
            occurred_at=occurred_at,
            previous_hash=previous,
            hash=_digest(previous, sequence, occurred_at, fields),
            **fields,
        )
        try:
            with session.begin_nested():
                session.add(event)
        except IntegrityError:
            continue
        return sequence
    raise RuntimeError("could not append to the audit trail: too much contention")


def events(session: Session, chain: str) -> list[AuditEvent]:
    """The chain's events, oldest first."""
    query = select(AuditEvent).where(AuditEvent.tenant_id == chain)
    return list(session.scalars(query.order_by(AuditEvent.sequence)))


def verify_chain(session: Session, chain: str) -> int | None:
    """The sequence number of the first event that breaks the chain, or None when it holds."""
    previous, expected_sequence = GENESIS, 1
    for event in events(session, chain):
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
