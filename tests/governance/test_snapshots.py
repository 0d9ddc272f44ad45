"""Snapshot publishing: atomic publish, discarded failures, history for point-in-time recovery."""

from datetime import timedelta

import pytest

from governance.warehouse.snapshots import SnapshotStore
from governance.warehouse.tenant_warehouse import TenantWarehouse

KEY = "0" * 64


@pytest.fixture
def warehouse(tmp_path) -> TenantWarehouse:
    built = TenantWarehouse(tmp_path / "wh", "acme", lambda: KEY)
    built.provision()
    return built


def _count(warehouse: TenantWarehouse) -> int:
    with warehouse.read() as connection:
        return connection.execute("SELECT count(*) FROM acme.t").fetchone()[0]


def test_a_successful_write_is_published_as_a_new_snapshot(warehouse):
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE acme.t AS SELECT range AS v FROM range(10)")
    assert _count(warehouse) == 10
    assert [s.sequence for s in warehouse.snapshots.history()] == [1, 2]


def test_a_writer_knows_the_snapshot_it_published_after_another_has_followed(warehouse):
    other = TenantWarehouse(warehouse.snapshots.directory, "acme", lambda: KEY)
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE acme.t AS SELECT 1 AS v")
    with other.write() as connection:
        connection.execute("INSERT INTO acme.t VALUES (2)")
    assert warehouse.last_published.sequence == 2
    assert other.last_published == warehouse.snapshots.current()
    assert other.last_published.sequence == 3


def test_a_failed_write_publishes_nothing_and_leaves_no_draft(warehouse):
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE acme.t AS SELECT 1 AS v")
    with pytest.raises(RuntimeError, match="boom"), warehouse.write() as connection:
        connection.execute("INSERT INTO acme.t SELECT range FROM range(100)")
        raise RuntimeError("boom")
    assert _count(warehouse) == 1
    assert warehouse.last_published == warehouse.snapshots.current()
    assert not list(warehouse.snapshots.snapshots_dir.glob("draft-*"))


def test_a_reader_sees_the_last_commit_while_a_write_is_open(warehouse):
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE acme.t AS SELECT 1 AS v")
    with warehouse.write() as connection:
        connection.execute("INSERT INTO acme.t SELECT range FROM range(5)")
        assert _count(warehouse) == 1
    assert _count(warehouse) == 6


def test_as_of_returns_the_snapshot_current_at_that_moment(warehouse):
    first = warehouse.snapshots.current()
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE acme.t AS SELECT 1 AS v")
    second = warehouse.snapshots.current()
    store = warehouse.snapshots
    assert store.as_of(second.published_at) == second
    assert store.as_of(second.published_at - timedelta(microseconds=1)) == first
    assert store.as_of(first.published_at - timedelta(seconds=1)) is None


def test_prune_keeps_the_current_snapshot(warehouse):
    for _ in range(3):
        with warehouse.write():
            pass
    store = warehouse.snapshots
    removed = store.prune(store.current().published_at + timedelta(days=1))
    assert len(removed) == 3
    assert store.history() == [store.current()]


def test_prune_keeps_what_every_moment_since_the_cutoff_needs(warehouse):
    store = warehouse.snapshots
    for _ in range(3):
        with warehouse.write():
            pass
    first, second, third, fourth = store.history()
    cutoff = third.published_at - timedelta(microseconds=1)  # second is current at the cutoff
    moments = [cutoff, third.published_at, fourth.published_at + timedelta(days=1)]
    before = [store.as_of(moment) for moment in moments]
    assert store.prune(cutoff) == [first]
    assert [store.as_of(moment) for moment in moments] == before == [second, third, fourth]


def test_a_draft_left_by_a_crashed_writer_is_discarded(tmp_path, warehouse):
    crashed = warehouse.snapshots.snapshots_dir / "draft-crashed"
    crashed.write_bytes(b"partial")
    with warehouse.write():
        pass
    assert not crashed.exists()


def test_the_wrong_key_cannot_open_a_snapshot(tmp_path, warehouse):
    import duckdb

    stolen = TenantWarehouse(warehouse.snapshots.directory, "acme", lambda: "1" * 64)
    with pytest.raises(duckdb.Error), stolen.read():
        pass


def test_an_unprovisioned_store_has_no_current_snapshot(tmp_path):
    assert SnapshotStore(tmp_path / "none").current() is None
