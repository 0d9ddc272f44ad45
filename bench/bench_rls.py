"""RLS compiler benchmarks: compile latency over a query corpus, and execution overhead.

Compile latency: parse, guard, rewrite and generate, then read the output back and verify it,
for realistic report and AI Assist queries over Stripe tables, compiled for a restricted reader
with four policies (p50, p99).

Read-guard latency: the second barrier, DuckDB's own parse of each compiled query checked before
it runs (``duckdb_read_guard``), over the same corpus (p50, p99): a fixed cost per query, on top
of the execution overhead below.

Governed-read latency: the queries service end to end (one unit of work resolving the reader and
checking the permission, compile, the read guard and the query in an isolated worker process, the
audit event) for a restricted reader on a 100,000-row
encrypted warehouse, against a baseline in the same run: the same compiled SQL on a connection
opened and attached in-process for each read, as reads ran before they were isolated (p50 each).

Execution overhead: policy-filtered aggregates over 10 million rows (a grouped report-style one
and a bare scalar one), compiled and run, against the same queries on a table holding only the
admitted rows, both in one DuckDB database. The data
is ordered by the policy column (an integer region id), as a warehouse clustered for its
policies would be, so DuckDB's zone maps skip the row groups the policy excludes; the ratio
against a hand-written ``WHERE`` on the full table is reported too.
"""

import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from bench.report import emit
from governance.platform import Platform
from governance.rls.compiler import compile_query
from governance.rls.context import PolicyRule, Reader
from governance.settings import Settings
from governance.warehouse.duckdb_read_guard import check_read
from services import identity, policies, tenants
from services.context import Operator, ServiceContext, TenantUser
from services.queries import run_query

TABLES = [
    "stripe_charges",
    "stripe_customers",
    "stripe_subscriptions",
    "stripe_invoices",
    "stripe_refunds",
    "stripe_disputes",
    "stripe_prices",
    "events",
]
READER = Reader(
    tenant_schema="acme",
    user_id="u1",
    email="ana@acme.io",
    attributes={"region": ("emea", "apac")},
    policies=(
        PolicyRule("own_customers", "stripe_customers", "email = {{ user.email }}"),
        PolicyRule("region_charges", "stripe_charges", "region IN ({{ user.attr.region }})"),
        PolicyRule(
            "region_subscriptions", "stripe_subscriptions", "region IN ({{ user.attr.region }})"
        ),
        PolicyRule("region_events", "events", "region_id = 2"),
    ),
)
CORPUS = [
    "SELECT count(*) FROM stripe_customers",
    "SELECT status, count(*) AS n FROM stripe_charges GROUP BY status ORDER BY n DESC",
    "SELECT date_trunc('month', to_timestamp(created)) AS month, sum(amount) / 100.0 AS revenue "
    "FROM stripe_charges WHERE paid AND NOT refunded GROUP BY 1 ORDER BY 1",
    "SELECT c.id, c.email, sum(ch.amount) AS total FROM stripe_customers AS c "
    "JOIN stripe_charges AS ch ON ch.customer = c.id GROUP BY c.id, c.email "
    "ORDER BY total DESC LIMIT 10",
    "WITH monthly AS (SELECT date_trunc('month', to_timestamp(created)) AS m, customer, "
    "sum(amount) AS amt FROM stripe_invoices WHERE status = 'paid' GROUP BY 1, 2) "
    "SELECT m, count(DISTINCT customer) AS payers, sum(amt) AS mrr FROM monthly "
    "GROUP BY m ORDER BY m",
    "SELECT s.status, count(*) FROM stripe_subscriptions AS s LEFT JOIN stripe_customers AS c "
    "ON c.id = s.customer WHERE c.delinquent IS NOT TRUE GROUP BY s.status",
    "SELECT customer, amount, rank() OVER (PARTITION BY customer ORDER BY amount DESC) AS r "
    "FROM stripe_charges QUALIFY r <= 3",
    "SELECT (SELECT count(*) FROM stripe_refunds) * 1.0 / nullif((SELECT count(*) FROM "
    "stripe_charges), 0) AS refund_rate",
    "SELECT c.id FROM stripe_customers AS c WHERE EXISTS (SELECT 1 FROM stripe_disputes AS d "
    "JOIN stripe_charges AS ch ON ch.id = d.charge WHERE ch.customer = c.id)",
    "SELECT currency, sum(amount) FROM stripe_charges GROUP BY currency "
    "HAVING sum(amount) > (SELECT avg(amount) FROM stripe_charges)",
    "WITH churned AS (SELECT customer, max(canceled_at) AS at FROM stripe_subscriptions "
    "WHERE status = 'canceled' GROUP BY customer), active AS (SELECT DISTINCT customer FROM "
    "stripe_subscriptions WHERE status = 'active') SELECT count(*) FROM churned "
    "WHERE customer NOT IN (SELECT customer FROM active)",
    "SELECT p.id, p.unit_amount, count(s.id) FROM stripe_prices AS p LEFT JOIN "
    "stripe_subscriptions AS s ON s.plan_id = p.id GROUP BY ALL ORDER BY 3 DESC",
    "SELECT id FROM stripe_charges UNION ALL SELECT charge FROM stripe_refunds",
    "SELECT coalesce(c.email, 'unknown') AS email, round(avg(ch.amount) / 100, 2) "
    "FROM stripe_charges AS ch LEFT JOIN stripe_customers AS c ON c.id = ch.customer "
    "WHERE ch.created >= 1700000000 GROUP BY 1 ORDER BY 2 DESC NULLS LAST LIMIT 20",
    "SELECT date_diff('day', to_timestamp(s.start_date), to_timestamp(s.canceled_at)) AS days, "
    "count(*) FROM stripe_subscriptions AS s WHERE s.canceled_at IS NOT NULL GROUP BY 1",
    "SELECT sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) * 100.0 / count(*) "
    "FROM stripe_charges",
]
ROWS = 10_000_000
AGGREGATES = {
    "grouped": "SELECT amount % 100 AS bucket, count(*), sum(amount), avg(amount) FROM {table}"
    " GROUP BY bucket ORDER BY bucket",
    "scalar": "SELECT count(*), sum(amount), avg(amount) FROM {table}",
}


def compile_latency() -> None:
    for sql in CORPUS:  # warm-up, and proof that the whole corpus compiles
        compile_query(sql, "duckdb", READER, TABLES)
    samples = []
    for _ in range(100):
        for sql in CORPUS:
            started = time.perf_counter()
            compile_query(sql, "duckdb", READER, TABLES)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    emit("rls_compile_p50_ms", statistics.median(samples), "< 2", queries=len(CORPUS))
    emit("rls_compile_p99_ms", samples[int(len(samples) * 0.99)])


def read_guard_latency() -> None:
    compiled = [compile_query(sql, "duckdb", READER, TABLES) for sql in CORPUS]
    samples = []
    for round_ in range(101):
        for query in compiled:
            started = time.perf_counter()
            check_read(query.sql, schema="acme", tables=TABLES, wrappers=query.wrappers)
            if round_:  # the first round warms the wrapper cache
                samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    emit("rls_read_guard_p50_ms", statistics.median(samples), queries=len(CORPUS))
    emit("rls_read_guard_p99_ms", samples[int(len(samples) * 0.99)])


def governed_read_latency(reads: int = 60) -> None:
    platform = Platform(Settings(home=Path(tempfile.mkdtemp()) / "home"))
    operator = ServiceContext(platform, Operator("bench"))
    tenant = tenants.create_tenant(operator, "acme")
    warehouse = operator.platform.warehouse(tenant.id, "acme")
    with warehouse.write() as connection:
        connection.execute(
            "CREATE TABLE acme.events AS SELECT i AS id, i % 4 + 1 AS region_id,"
            " (i * 7919) % 10000 AS amount FROM range(100000) t(i)"
        )
    identity.add_user(operator, "acme", "ana@acme.io", ["viewer"])
    policies.add_policy(operator, "acme", "region", "events", "region_id = 2", ["viewer"])
    ana = operator.acting_as(TenantUser("ana@acme.io"))
    sql = (
        "SELECT amount % 10 AS bucket, count(*), sum(amount) FROM events WHERE id <> -{}"
        " GROUP BY 1 ORDER BY 1"
    )
    run_query(ana, "acme", sql.format(0))  # starts the worker
    snapshot = warehouse.snapshots.current()
    governed_ms, inline_ms = [], []
    for read in range(1, reads + 1):  # a new literal each time: never served from the cache
        started = time.perf_counter()
        run_query(ana, "acme", sql.format(read))
        governed_ms.append((time.perf_counter() - started) * 1000)
        compiled = compile_query(sql.format(read), "duckdb", READER, ["events"]).sql
        started = time.perf_counter()
        with warehouse.read(snapshot) as connection:
            connection.execute(compiled).fetchall()
        inline_ms.append((time.perf_counter() - started) * 1000)
    governed_p50, inline_p50 = statistics.median(governed_ms), statistics.median(inline_ms)
    emit(
        "governed_read_p50_ratio_to_inline",
        governed_p50 / inline_p50,
        governed_p50_ms=round(governed_p50, 2),
        inline_p50_ms=round(inline_p50, 2),
    )


def best_of(connection: duckdb.DuckDBPyConnection, sql: str, runs: int = 7) -> float:
    connection.execute(sql).fetchall()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        connection.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return min(times)


def execution_overhead() -> None:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA acme; USE acme")
    connection.execute(
        "CREATE TABLE events AS SELECT i AS id, i % 4 + 1 AS region_id,"
        f" (i * 7919) % 10000 AS amount FROM range({ROWS}) t(i) ORDER BY region_id"
    )
    connection.execute("CREATE TABLE events_admitted AS SELECT * FROM events WHERE region_id = 2")
    for name, aggregate in AGGREGATES.items():
        full, admitted = aggregate.format(table="events"), aggregate.format(table="events_admitted")
        governed = compile_query(full, "duckdb", READER, TABLES).sql
        assert governed != full, "the policy must be applied"
        assert connection.execute(governed).fetchall() == connection.execute(admitted).fetchall()
        governed_s = best_of(connection, governed)
        prefiltered_s = best_of(connection, admitted)
        handwritten = full.replace(" FROM events", " FROM events WHERE region_id = 2")
        handwritten_s = best_of(connection, handwritten)
        emit(
            f"rls_exec_{name}_ratio_to_prefiltered",
            governed_s / prefiltered_s,
            target="<= 1.15",
            governed_s=round(governed_s, 4),
            prefiltered_s=round(prefiltered_s, 4),
            rows=ROWS,
        )
        emit(
            f"rls_exec_{name}_ratio_to_handwritten_filter",
            governed_s / handwritten_s,
            handwritten_s=round(handwritten_s, 4),
        )


if __name__ == "__main__":
    compile_latency()
    read_guard_latency()
    governed_read_latency()
    execution_overhead()
