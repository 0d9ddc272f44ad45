"""The audit trail: one hash-chained sequence of events per tenant, and one for the platform.

Each event stores the hash of its predecessor and its own hash over its content, so deleting,
reordering or editing an event breaks the chain and ``verify_chain`` shows where. Events are
appended in the caller's transaction, so a change and its audit event commit together or not at
all. A tenant's chain is keyed by its id and outlives the tenant; ``PLATFORM_CHAIN`` holds what
belongs to no tenant (an attempt on a tenant that does not exist).

Retention: ``purge`` deletes a chain's oldest events and returns an anchor (the last sequence
deleted and its hash) for the caller to record in a ``PURGE_ACTION`` event on the same chain. A
chain that no longer starts at sequence 1 holds only if such a record, itself covered by the
chain, anchors its first event: events deleted by hand are still caught. No chain shows its
newest events deleted (what is left is a valid chain), nor a chain rewritten whole with fresh
hashes: a copy kept elsewhere (an export) does.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.errors import AtsparkError
from governance.store.models import AuditEvent, utcnow

ACTOR_LENGTH = AuditEvent.actor.type.length

GENESIS = "0" * 64
PLATFORM_CHAIN = "platform"
PURGE_ACTION = "audit.purge"
_ATTEMPTS = 5
_VERIFY_BATCH = 5_000
_HASHED = (
    AuditEvent.sequence,
    AuditEvent.occurred_at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.outcome,
    AuditEvent.context,
    AuditEvent.previous_hash,
    AuditEvent.hash,
)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC time; a naive one (as SQLite hands them back) is UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def payload(previous_hash: str, sequence: int, occurred_at: datetime, fields: Mapping) -> bytes:
    """The canonical bytes an event's hash is taken over."""
    document = {
        "previous": previous_hash,
        "sequence": sequence,
        "at": as_utc(occurred_at).replace(tzinfo=None).isoformat(),
        **fields,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: Any) -> str:
    """The hash ``event`` (a row or anything with its columns) must carry to be intact."""
    fields = {
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "context": event.context,
    }
    digest = payload(event.previous_hash, event.sequence, event.occurred_at, fields)
    return hashlib.sha256(digest).hexdigest()


def head(session: Session, chain: str) -> tuple[int, str]:
    """The chain's newest sequence number and hash; (0, ``GENESIS``) when it has no events."""
    newest = session.execute(
        select(AuditEvent.sequence, AuditEvent.hash)
        .where(AuditEvent.tenant_id == chain)
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    return (newest.sequence, newest.hash) if newest else (0, GENESIS)


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
    for _ in range(_ATTEMPTS):
        last, previous = head(session, chain)
        sequence = last + 1
        event = AuditEvent(
            tenant_id=chain,
            sequence=sequence,
            occurred_at=utcnow(),
            previous_hash=previous,
            actor=actor[:ACTOR_LENGTH],
            action=action,
            outcome=outcome,
            context=dict(context),
        )
        event.hash = event_hash(event)
        try:
            with session.begin_nested():
                session.add(event)
        except IntegrityError:
            continue
        return sequence
    raise RuntimeError("could not append to the audit trail: too much contention")


def events(
    session: Session,
    chain: str,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEvent]:
    """The chain's events, oldest first (or newest first): only ``actor``'s, only ``action``,
    from ``since`` and before ``until``, the first ``limit`` of them in that order."""
    if limit is not None and limit < 1:
        raise AtsparkError(f"the limit must be at least 1, not {limit}")
    if "\x00" in (actor or "") + (action or ""):
        raise AtsparkError("an actor or action to filter by cannot hold a NUL character")
    query = select(AuditEvent).where(AuditEvent.tenant_id == chain)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= as_utc(since))
    if until is not None:
        query = query.where(AuditEvent.occurred_at < as_utc(until))
    order = AuditEvent.sequence.desc() if newest_first else AuditEvent.sequence
    return list(session.scalars(query.order_by(order).limit(limit)))


def chains(session: Session) -> list[str]:
    """Every chain in the control plane: live tenants', deleted tenants' and the platform's."""
    query = select(AuditEvent.tenant_id).distinct().order_by(AuditEvent.tenant_id)
    return list(session.scalars(query))


def verify_chain(session: Session, chain: str) -> int | None:
    """The sequence number of the first event that breaks the chain, or None when it holds.

    The chain starts at sequence 1 after ``GENESIS``, or later after the anchor a purge recorded
    further on in the chain; from there every sequence follows the last, every event names its
    predecessor's hash and carries its own.
    """
    first, anchors, broken = None, set(), None
    query = select(*_HASHED).where(AuditEvent.tenant_id == chain).order_by(AuditEvent.sequence)
    with session.execute(query.execution_options(yield_per=_VERIFY_BATCH)) as rows:
        for event in rows:
            if first is None:
                first = event
                previous, expected = event.previous_hash, event.sequence
            if (
                event.sequence != expected
                or event.previous_hash != previous
                or event.hash != event_hash(event)
            ):
                broken = event.sequence
                break
            if event.action == PURGE_ACTION and event.outcome == "ok" and "anchor" in event.context:
                anchors.add((event.context.get("purged_through"), event.context["anchor"]))
            previous, expected = event.hash, expected + 1
    if first is None:
        return None
    if first.sequence == 1 and first.previous_hash == GENESIS:
        return broken
    return broken if (first.sequence - 1, first.previous_hash) in anchors else first.sequence


@dataclass(frozen=True)
class Purge:
    """Events deleted from the start of a chain: how many, through which sequence, and that
    last one's hash (which the chain's first remaining event names as its predecessor)."""

    count: int
    through: int
    anchor: str

    @property
    def record(self) -> dict[str, Any]:
        """What the ``PURGE_ACTION`` event recording this purge says."""
        return {"purged": self.count, "purged_through": self.through, "anchor": self.anchor}


def purge(session: Session, chain: str, before: datetime) -> Purge | None:
    """Delete the chain's events from its start up to the first one not older than ``before``
    (a chain stays contiguous), keeping its newest (the chain goes on from it); None when there
    are none to delete.

    The caller records ``Purge.record`` in a ``PURGE_ACTION`` event on the same chain, in the
    same transaction: without it the rest of the chain no longer verifies.
    """
    in_chain = AuditEvent.tenant_id == chain
    newest = select(func.max(AuditEvent.sequence)).where(in_chain).scalar_subquery()
    kept = select(func.min(AuditEvent.sequence)).where(
        in_chain, or_(AuditEvent.occurred_at >= as_utc(before), AuditEvent.sequence == newest)
    )
    last = session.execute(
        select(AuditEvent.sequence, AuditEvent.hash)
        .where(in_chain, AuditEvent.sequence < kept.scalar_subquery())
        .order_by(AuditEvent.sequence.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    deleted = session.execute(
        delete(AuditEvent)
        .where(AuditEvent.tenant_id == chain, AuditEvent.sequence <= last.sequence)
        .execution_options(synchronize_session=False)
    )
    return Purge(deleted.rowcount, last.sequence, last.hash)
