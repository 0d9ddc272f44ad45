"""The hash chain against a hand on the database, retention purges, and filtered reading: on
SQLite and on PostgreSQL."""

from datetime import timedelta

import pytest

from governance import audit
from governance.errors import AtsparkError
from governance.store.models import utcnow
from tests.governance.audit_chains import add_events, edit, remove, sequences, swap

CHAIN = "c" * 32
OLD = timedelta(days=40)
RETENTION = timedelta(days=30)


def sealed_again(session, chain: str) -> None:
    """Event 3 edited and given the hash its new content calls for."""
    edit(session, chain, 3, context={"n": 99})
    [event] = [event for event in audit.events(session, chain) if event.sequence == 3]
    event.hash = audit.event_hash(event)


TAMPERING = {
    "context edited": (lambda s, c: edit(s, c, 3, context={"n": 99}), 3),
    "actor edited": (lambda s, c: edit(s, c, 3, actor="mallory"), 3),
    "outcome edited": (lambda s, c: edit(s, c, 3, outcome="failed"), 3),
    "time edited": (lambda s, c: edit(s, c, 3, occurred_at=utcnow() - OLD), 3),
    "one in the middle deleted": (lambda s, c: remove(s, c, 4), 5),
    "the first deleted": (lambda s, c: remove(s, c, 1), 2),
    "neighbours swapped": (lambda s, c: swap(s, c, 3, 4), 3),
    "distant ones swapped": (lambda s, c: swap(s, c, 2, 6), 2),
    "sealed again after an edit": (sealed_again, 4),
    # The limit of any hash chain: what is left is a valid chain. Only a copy kept elsewhere
    # (an export to S3 or CloudWatch Logs) shows that the newest events are gone.
    "the newest deleted": (lambda s, c: remove(s, c, 6, 7), None),
}


def test_tampering_is_caught_at_the_first_broken_event(any_platform):
    """Each tampering on a chain of its own, all in one control plane (each backend in turn)."""
    control_plane = any_platform.control_plane
    with control_plane.session() as session:
        for chain in TAMPERING:
            add_events(session, chain, 7)
            assert audit.verify_chain(session, chain) is None
    with control_plane.session() as session:
        for chain, (change, _) in TAMPERING.items():
            change(session, chain)
    with control_plane.session() as session:
        found = {chain: audit.verify_chain(session, chain) for chain in TAMPERING}
    assert found == {chain: broken_at for chain, (_, broken_at) in TAMPERING.items()}


def aged(session, chain: str) -> None:
    """Five events 40 days old, then two new ones."""
    add_events(session, chain, 5, at=utcnow() - OLD)
    add_events(session, chain, 2)


def purge_and_record(session, chain: str, before=None) -> audit.Purge | None:
    """Purge as the audit service does: the purge and its record in one transaction."""
    done = audit.purge(session, chain, before or utcnow() - RETENTION)
    if done is not None:
        audit.append(session, chain, "operator:test", audit.PURGE_ACTION, "ok", done.record)
    return done


def test_a_recorded_purge_leaves_a_chain_that_holds(any_platform):
    with any_platform.control_plane.session() as session:
        aged(session, CHAIN)
        assert purge_and_record(session, CHAIN, utcnow() - OLD - timedelta(days=1)) is None
        assert audit.purge(session, "no-such-chain", utcnow()) is None
        anchor = audit.events(session, CHAIN)[4].hash
        done = purge_and_record(session, CHAIN)
    assert (done.count, done.through, done.anchor) == (5, 5, anchor)
    with any_platform.control_plane.session() as session:
        assert audit.verify_chain(session, CHAIN) is None
        assert sequences(session, CHAIN) == [6, 7, 8]
        record = audit.events(session, CHAIN)[-1]
    assert (record.action, record.context) == (
        audit.PURGE_ACTION,
        {"purged": 5, "purged_through": 5, "anchor": anchor},
    )


def test_deletions_no_purge_record_covers_are_caught(any_platform):
    cases = {
        "no record": (False, lambda s, c: remove(s, c, 1, 2, 3, 4, 5), 6),
        "more than recorded": (True, lambda s, c: remove(s, c, 6), 7),
        "record edited to cover more": (
            True,
            lambda s, c: (
                edit(s, c, 8, context={"purged": 6, "purged_through": 6, "anchor": "0" * 64}),
                remove(s, c, 6),
            ),
            7,
        ),
    }
    with any_platform.control_plane.session() as session:
        for chain, (purged, change, _) in cases.items():
            aged(session, chain)
            if purged:
                purge_and_record(session, chain)
            change(session, chain)
    with any_platform.control_plane.session() as session:
        found = {chain: audit.verify_chain(session, chain) for chain in cases}
    assert found == {chain: broken_at for chain, (_, _, broken_at) in cases.items()}


def test_a_purge_keeps_the_newest_event_and_purges_again_later(any_platform):
    with any_platform.control_plane.session() as session:
        aged(session, CHAIN)
        purge_and_record(session, CHAIN)
        done = purge_and_record(session, CHAIN, before=utcnow() + timedelta(seconds=1))
    assert (done.count, done.through) == (2, 7)
    with any_platform.control_plane.session() as session:
        assert audit.verify_chain(session, CHAIN) is None
        assert sequences(session, CHAIN) == [8, 9]


def test_events_filter_in_sql_by_actor_action_time_and_count(any_platform):
    with any_platform.control_plane.session() as session:
        aged(session, CHAIN)
        audit.append(session, CHAIN, "ana@acme.io", "query", "ok", {})
        audit.append(session, CHAIN, "ana@acme.io", "query.export", "ok", {})
        audit.append(session, CHAIN, "bob@acme.io", "query", "refused", {})

        def found(**filters):
            return [event.sequence for event in audit.events(session, CHAIN, **filters)]

        assert found(actor="ana@acme.io") == [8, 9]
        assert found(action="query") == [8, 10]
        assert found(actor="ana@acme.io", action="query") == [8]
        assert found(since=utcnow() - timedelta(days=1)) == [6, 7, 8, 9, 10]
        assert found(until=utcnow() - timedelta(days=1)) == [1, 2, 3, 4, 5]
        assert found(since=utcnow() - timedelta(days=1), limit=2) == [6, 7]
        with pytest.raises(AtsparkError, match="the limit must be at least 1"):
            found(limit=0)
        with pytest.raises(AtsparkError, match="cannot hold a NUL character"):
            found(action="query\x00")
