"""Audit chains for tests: events sealed as ``audit.append`` seals them, at chosen times, and the
tampering of someone with write access to the control plane."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from governance import audit
from governance.store.models import AuditEvent, utcnow


def add_events(
    session: Session,
    chain: str,
    count: int,
    *,
    at: datetime | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    """``count`` events after the chain's head, all at ``at`` (default: now)."""
    last, previous = audit.head(session, chain)
    for sequence in range(last + 1, last + count + 1):
        event = AuditEvent(
            tenant_id=chain,
            sequence=sequence,
            occurred_at=at or utcnow(),
            previous_hash=previous,
            actor="operator:test",
            action="test.event",
            outcome="ok",
            context=context or {"n": sequence},
        )
        event.hash = previous = audit.event_hash(event)
        session.add(event)
    session.flush()


def backdate(session: Session, chain: str, days: float) -> None:
    """Move the whole chain ``days`` into the past, sealed again (as if it had been then)."""
    previous = audit.GENESIS
    for event in audit.events(session, chain):
        event.occurred_at -= timedelta(days=days)
        event.previous_hash = previous
        event.hash = previous = audit.event_hash(event)
    session.flush()


def edit(session: Session, chain: str, sequence: int, /, **values: Any) -> None:
    """Change an event's columns in place, as a hand on the database would."""
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.tenant_id == chain, AuditEvent.sequence == sequence)
        .values(**values)
    )


def remove(session: Session, chain: str, *sequences: int) -> None:
    session.execute(
        delete(AuditEvent).where(AuditEvent.tenant_id == chain, AuditEvent.sequence.in_(sequences))
    )


def swap(session: Session, chain: str, first: int, second: int) -> None:
    """Exchange two events' places (sequence numbers), by way of a free one."""
    edit(session, chain, first, sequence=-1)
    edit(session, chain, second, sequence=first)
    edit(session, chain, -1, sequence=second)


def sequences(session: Session, chain: str) -> list[int]:
    return [event.sequence for event in audit.events(session, chain)]
