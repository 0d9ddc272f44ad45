"""Audit trail benchmarks: what appending an event costs, and how long verifying a chain takes.

Append cost: ``audit.append`` (read the chain's head, hash the event, insert it in a savepoint)
of a typical query event, against a plain INSERT of the same row into a table of the same shape
in the same SQLite control plane: each event in a transaction of its own, as an operation
commits it, and all of them in one transaction, where no commit hides the difference.

Verification: a chain of 100,000 events written in bulk and verified with
``audit.verify_chain`` (read, decode, re-encode canonically, hash, compare), extrapolated to a
million events, and against hashing the same payloads with hashlib alone.
"""

import hashlib
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import MetaData, insert
from sqlalchemy.orm import Session

from bench.report import emit
from governance import audit
from governance.platform import Platform
from governance.settings import Settings
from governance.store.db import ControlPlane
from governance.store.models import AuditEvent, utcnow

APPENDS = 1_000
CHAIN_EVENTS = 100_000
CONTEXT = {
    "sql": "SELECT region, sum(amount) FROM deals GROUP BY 1",
    "sql_executed": "SELECT region, sum(amount) FROM (SELECT * FROM acme.deals WHERE "
    "region IN ('emea')) AS deals GROUP BY 1",
    "tables": ["deals"],
    "policies": ["by_region"],
    "duration_ms": 12.5,
    "ip": "203.0.113.9",
    "request_id": "r-1",
}


def per_event_us(
    control_plane: ControlPlane, writers: dict[str, Callable[[Session, int], None]]
) -> dict[str, dict[str, float]]:
    """Microseconds per event each writer takes: each event committed alone (the writers taking
    turns, so drift in commit latency falls on both alike), and all in one transaction."""
    spent = {name: {"committed": 0.0, "batched": 0.0} for name in writers}
    for n in range(APPENDS):
        for name, write in writers.items():
            started = time.perf_counter()
            with control_plane.session() as session:
                write(session, n)
            spent[name]["committed"] += time.perf_counter() - started
    for name, write in writers.items():
        started = time.perf_counter()
        with control_plane.session() as session:
            for n in range(APPENDS, 2 * APPENDS):
                write(session, n)
        spent[name]["batched"] = time.perf_counter() - started
    return {
        name: {mode: seconds / APPENDS * 1e6 for mode, seconds in modes.items()}
        for name, modes in spent.items()
    }


def append_cost(control_plane: ControlPlane) -> None:
    plain = AuditEvent.__table__.to_metadata(MetaData(), name="bench_plain_events")
    plain.create(control_plane.engine)
    row = {
        "tenant_id": "bench-plain",
        "actor": "ana@acme.io",
        "action": "query",
        "outcome": "ok",
        "context": CONTEXT,
        "previous_hash": "0" * 64,
        "hash": "f" * 64,
    }
    cost = per_event_us(
        control_plane,
        {
            "plain": lambda session, n: session.execute(
                insert(plain).values(sequence=n, occurred_at=utcnow(), **row)
            ),
            "audited": lambda session, n: audit.append(
                session, "bench-audited", "ana@acme.io", "query", "ok", CONTEXT
            ),
        },
    )
    appended, inserted = cost["audited"], cost["plain"]
    for mode in ("committed", "batched"):
        emit(
            f"audit_append_{mode}_ratio_to_plain_insert",
            appended[mode] / inserted[mode],
            append_us=round(appended[mode], 1),
            plain_insert_us=round(inserted[mode], 1),
            events=APPENDS,
        )


def sealed_chain(count: int) -> tuple[list[dict], list[bytes]]:
    """A chain of ``count`` sealed events as rows to insert, and the payloads their hashes cover."""
    rows, payloads, previous = [], [], audit.GENESIS
    start = utcnow()
    for sequence in range(1, count + 1):
        event = SimpleNamespace(
            tenant_id="bench-verified",
            sequence=sequence,
            occurred_at=start + timedelta(microseconds=sequence),
            actor="ana@acme.io",
            action="query",
            outcome="ok",
            context={**CONTEXT, "row_count": sequence % 100},
            previous_hash=previous,
        )
        fields = {key: getattr(event, key) for key in ("actor", "action", "outcome", "context")}
        payloads.append(audit.payload(previous, sequence, event.occurred_at, fields))
        event.hash = previous = audit.event_hash(event)
        rows.append(vars(event))
    return rows, payloads


def verification_time(control_plane: ControlPlane) -> None:
    rows, payloads = sealed_chain(CHAIN_EVENTS)
    with control_plane.engine.begin() as connection:
        connection.execute(insert(AuditEvent.__table__), rows)
    with control_plane.session() as session:
        started = time.perf_counter()
        broken = audit.verify_chain(session, "bench-verified")
        verified_s = time.perf_counter() - started
    assert broken is None, "the bench's chain must hold"
    started = time.perf_counter()
    for payload in payloads:
        hashlib.sha256(payload).hexdigest()
    hashed_s = time.perf_counter() - started
    per_million = 1_000_000 / CHAIN_EVENTS
    emit(
        "audit_verify_s_per_million_events",
        verified_s * per_million,
        measured_events=CHAIN_EVENTS,
        measured_s=round(verified_s, 3),
    )
    emit(
        "audit_verify_ratio_to_hashlib",
        verified_s / hashed_s,
        hashlib_s_per_million_events=round(hashed_s * per_million, 3),
    )


if __name__ == "__main__":
    platform = Platform(Settings(home=Path(tempfile.mkdtemp()) / "home"))
    append_cost(platform.control_plane)
    verification_time(platform.control_plane)
