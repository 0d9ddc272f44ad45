"""Governed reads in worker processes: memory and time bounded by the operating system.

DuckDB's own memory limit does not cover a value one function call builds, and such a call cannot
be interrupted; an attacker exhausted the host's memory with a single read that way. These reads
run in a worker whose address space is capped and which is killed when it overruns.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace

import psutil
import pytest

from governance.governed_query import LIMITS, GovernedReads, QueryFailed, QueryResult
from governance.identity import find_user
from governance.readers import reader_for
from governance.rls.context import QueryRefused, Reader
from governance.store.lookups import find_tenant
from governance.warehouse.read_workers import ReadGuard, ReadLimits, ReadRequest, ReadWorkers
from services import identity, tenants


@pytest.fixture
def workers() -> Iterator[ReadWorkers]:
    pool = ReadWorkers(size=1, grace_s=0.5)
    yield pool
    pool.close()


@dataclass
class Reads:
    """Governed reads of one reader through a pool of this test's own."""

    governed: GovernedReads
    tenant_id: str
    reader: Reader

    def run(self, sql: str, **limits) -> QueryResult:
        compilation = self.governed.compile(self.tenant_id, self.reader, sql)
        return self.governed.execute(compilation, replace(LIMITS, **limits))


@pytest.fixture
def reads(operator, workers) -> Reads:
    tenant = tenants.create_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").write() as connection:
        connection.execute("CREATE TABLE acme.deals AS SELECT range AS id FROM range(3)")
    identity.add_user(operator, "acme", "boss@acme.io", ["owner"])
    with operator.platform.control_plane.session() as session:
        found = find_tenant(session, "acme")
        reader = reader_for(session, found, find_user(session, found, "boss@acme.io"))
    return Reads(GovernedReads(operator.platform, workers=workers), tenant.id, reader)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT length(repeat('x', 3000000000)) AS n",
        "SELECT len(generate_series(1, 500000000)) AS n",
        "SELECT count(*) AS n FROM (SELECT unnest(generate_series(1, 3000000000)))",
    ],
)
def test_a_value_larger_than_the_memory_limit_is_refused_and_the_host_is_spared(reads, sql):
    before = psutil.virtual_memory().available
    with pytest.raises(QueryRefused, match="needs more than the 64 MiB of memory a read may use"):
        reads.run(sql, memory_limit=64 * 1024**2)
    assert before - psutil.virtual_memory().available < 2 * 1024**3
    assert reads.run("SELECT count(*) FROM deals").rows == [(3,)]


def test_a_read_that_cannot_be_interrupted_is_killed_at_its_time_limit(reads, workers):
    reads.run("SELECT 1")
    [first] = workers.idle_pids()
    with pytest.raises(QueryFailed, match=r"exceeded the 0\.2s time limit"):
        reads.run("SELECT length(repeat('x', 900000000))", timeout_s=0.2)
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    assert reads.run("SELECT max(id) FROM deals").rows == [(2,)]
    assert workers.idle_pids() and first not in workers.idle_pids()


def test_a_worker_serves_read_after_read(reads, workers):
    for expected in range(3):
        sql = f"SELECT count(*) FROM deals WHERE id <= {expected}"
        assert reads.run(sql).rows == [(expected + 1,)]
    assert len(workers.idle_pids()) == 1


def test_the_worker_checks_with_duckdbs_parser_before_it_runs_anything(operator, workers):
    """SQL that reads a tenant table outside the reader's policy wrapper never runs."""
    tenant = tenants.create_tenant(operator, "acme")
    warehouse = operator.platform.warehouse(tenant.id, "acme")
    with warehouse.write() as connection:
        connection.execute("CREATE TABLE acme.deals AS SELECT 'CANARY' AS secret")
    wrapper = 'SELECT * FROM "acme"."deals" AS __rls WHERE FALSE'
    guard = ReadGuard("acme", ("deals",), (wrapper,))
    source = warehouse.attachment(warehouse.snapshots.current())
    for sql in ("SELECT * FROM acme.deals", f"SELECT * FROM ({wrapper}) AS d, acme.deals"):
        outcome = workers.run(ReadRequest(source, sql, guard, ReadLimits()))
        assert outcome.kind == "refused" and "could not be run safely" in outcome.message
        assert "CANARY" not in repr(outcome)
    wrapped = f"SELECT * FROM ({wrapper}) AS d"
    allowed = workers.run(ReadRequest(source, wrapped, guard, ReadLimits()))
    assert allowed.kind == "ok" and allowed.rows == []
