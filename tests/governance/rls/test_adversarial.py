"""Known escape shapes against the RLS compiler, one group per mechanism in rls-bypasses.md.

Every test asserts one of two things precisely:

- the query is refused (``QueryRefused``, with a reason naming the problem), or
- the compiled query, run on a real in-memory DuckDB holding every row of the tenant, returns
  exactly what the original query returns over a copy holding only the rows the reader may see;
  and no canary value of a hidden row, hidden table, other schema or other database appears.

The database: catalog ``warehouse`` (the alias production attaches tenant databases under) with the
tenant schema ``acme`` (``orders``, ``customers``, ``events``; ``secrets`` exists but is hidden), a
decoy ``warehouse.other_tenant`` and ``warehouse.main``, a decoy ``memory.main``; and catalog
``visible_copy`` with ``acme`` holding only what ``ALICE`` may see. Cursors ``USE`` the tenant
schema in one or the other. Item numbers refer to /work/shared/research/rls-bypasses.md.
"""

import re
from collections import Counter
from collections.abc import Iterator

import duckdb
import pytest

from governance.rls.compiler import compile_query
from governance.rls.context import PolicyRule, QueryRefused, Reader
from tests.fixtures.visible_copy import VisibleCopy, multiset
from tests.governance.rls.engine import engine_checked

TENANT = "acme"
VISIBLE_TABLES = ("orders", "customers", "events")

# id, region, email, amount, note, customer_id
ORDERS = (
    (1, "eu", "alice@acme.io", 10.0, "12", 1),
    (2, "eu", "bob@acme.io", 20.0, "7", 2),
    (3, "us", "victim@acme.io", 666666.0, "CANARY-ORDER", 3),
    (4, "us", None, 55555.0, "x", None),
    (5, None, "alice@acme.io", 30.0, "5", 1),
    (6, "apac", "CANARY-6@acme.io", 44444.0, None, 4),
)
# id, region, name, email
CUSTOMERS = (
    (1, "eu", "Alice Co", "alice@acme.io"),
    (2, "eu", "Bob Co", "bob@acme.io"),
    (3, "us", "CANARY-CUSTOMER", "victim@acme.io"),
    (4, None, "CANARY-NULL-REGION", None),
)
EVENTS = ((1, 1, "CANARY-EVENT"), (2, 3, "CANARY-EVENT-2"))  # id, customer_id, kind
CANARIES = ("CANARY", "666666", "55555", "44444", "the-secret")

ORDERS_BY_REGION = PolicyRule("orders_by_region", "orders", "region IN {{ user.attr.region }}")
OWN_ORDERS = PolicyRule("own_orders", "orders", "email = {{ user.email }}")
CUSTOMERS_BY_REGION = PolicyRule(
    "customers_by_region", "customers", "region = {{ user.attr.region }}"
)
ALICE = Reader(
    tenant_schema=TENANT,
    user_id="u1",
    email="alice@acme.io",
    attributes={"region": ("eu",)},
    policies=(ORDERS_BY_REGION, OWN_ORDERS, CUSTOMERS_BY_REGION),
)
# The same rows as ALICE, through predicates DuckDB cannot push into the table scan: they are
# evaluated in a filter next to (and possibly after) the query's own pushed-down conditions.
ALICE_COMPUTED = Reader(
    tenant_schema=TENANT,
    user_id="u1",
    email="alice@acme.io",
    attributes={"region": ("eu",)},
    policies=(
        PolicyRule("orders_by_arithmetic", "orders", "id % 3 <> 0 AND id <> 4"),
        CUSTOMERS_BY_REGION,
    ),
)
OWNER = Reader(TENANT, "u0", "owner@acme.io", unrestricted=True)
NOBODY = Reader(TENANT, "u7", "nobody@acme.io")


def alice_sees(table: str, row: tuple[object, ...]) -> bool:
    """ALICE's policies, evaluated in Python (``events`` has no policy for her: no rows)."""
    if table == "orders":
        return row[1] == "eu" or row[2] == "alice@acme.io"
    if table == "customers":
        return row[1] == "eu"
    return False


# ------------------------------------------------------------------ the database


class Database(VisibleCopy):
    """The oracle (``full``: every row; ``copy``: ALICE's rows only), and ``main``, a cursor on
    ``warehouse`` (schema main), as production opens it."""

    def __init__(self) -> None:
        super().__init__()
        self.main = self.root.cursor()
        self.main.execute("USE warehouse")


ORDER_COLUMNS = (
    "id INTEGER, region VARCHAR, email VARCHAR, amount DOUBLE, note VARCHAR, customer_id INTEGER"
)
CUSTOMER_COLUMNS = "id INTEGER, region VARCHAR, name VARCHAR, email VARCHAR"
EVENT_COLUMNS = "id INTEGER, customer_id INTEGER, kind VARCHAR"
DECOY = "(9, 'eu', 'alice@acme.io', 1.0, 'CANARY-DECOY', 1)"


@pytest.fixture(scope="module")
def db() -> Iterator[Database]:
    db = Database()
    tables = {
        "orders": (ORDER_COLUMNS, ORDERS),
        "customers": (CUSTOMER_COLUMNS, CUSTOMERS),
        "events": (EVENT_COLUMNS, EVENTS),
    }
    for table, (columns, rows) in tables.items():
        db.create(table, columns, rows, [row for row in rows if alice_sees(table, row)])
    db.create("secrets", "id INTEGER, value VARCHAR", [(1, "the-secret")], None)
    # A loaded table whose (struct) column happens to carry the compiler's row alias as its name.
    db.root.execute(
        "CREATE TABLE warehouse.acme.profiles AS SELECT {'owner': 'u1'} AS __rls, 1 AS id"
    )
    db.root.execute("CREATE SCHEMA warehouse.other_tenant")
    for table in ("warehouse.other_tenant.orders", "warehouse.main.orders", "memory.main.orders"):
        db.root.execute(
            f"CREATE TABLE {table} ({ORDER_COLUMNS}); INSERT INTO {table} VALUES {DECOY}"
        )
    yield db
    db.main.close()
    db.close()


# ------------------------------------------------------------------ helpers


def compiled_sql(sql: str, reader: Reader = ALICE, tables=VISIBLE_TABLES) -> str:
    return compile_query(sql, "duckdb", reader, tables).sql


def refused(sql: str, reason: str, reader: Reader = ALICE, tables=VISIBLE_TABLES) -> str:
    """Assert ``sql`` is refused with ``reason`` (a regex) in the message; return the message."""
    with pytest.raises(QueryRefused, match=reason) as refusal:
        compile_query(sql, "duckdb", reader, tables)
    return str(refusal.value)


def leaks(rows: list[tuple[object, ...]]) -> list[str]:
    text = repr(rows)
    return [canary for canary in CANARIES if canary in text]


def governed_sql(sql: str, reader: Reader = ALICE) -> str:
    """``sql`` compiled for ``reader`` and checked by DuckDB's parser, as the governed path runs
    it."""
    return engine_checked(
        compile_query(sql, "duckdb", reader, VISIBLE_TABLES), reader, VISIBLE_TABLES
    )


def shows_nothing_hidden(rows: list[tuple[object, ...]], reader: Reader, sql: str) -> None:
    if not reader.unrestricted:
        assert not leaks(rows), f"hidden values in the result of {sql!r}: {leaks(rows)}"


def governed(db: Database, sql: str, reader: Reader = ALICE) -> list[tuple[object, ...]]:
    rows = db.full.execute(governed_sql(sql, reader)).fetchall()
    shows_nothing_hidden(rows, reader, sql)
    return rows


def same_as_visible_copy(
    db: Database, sql: str, *, ordered: bool = False, reader: Reader = ALICE
) -> list[tuple]:
    """Assert ALICE's governed result equals the original query's result on her visible copy."""
    rows = db.same_rows(sql, governed_sql(sql, reader), ordered)
    shows_nothing_hidden(rows, reader, sql)
    return rows


def visible(table: str) -> list[tuple[object, ...]]:
    rows = {"orders": ORDERS, "customers": CUSTOMERS, "events": EVENTS}[table]
    return [r for r in rows if alice_sees(table, r)]


def test_the_fixture_hides_what_it_should(db: Database):
    assert db.copy.execute("SELECT id FROM orders ORDER BY id").fetchall() == [(1,), (2,), (5,)]
    assert db.copy.execute("SELECT count(*) FROM customers").fetchall() == [(2,)]
    assert db.copy.execute("SELECT count(*) FROM events").fetchall() == [(0,)]
    assert len(db.full.execute("SELECT * FROM orders").fetchall()) == len(ORDERS)


# ------------------------------------------------------------------ the basic guarantees


def test_a_plain_read_returns_the_visible_rows_and_reports_tables_and_policies(db: Database):
    rows = same_as_visible_copy(db, "SELECT * FROM orders")
    assert Counter(rows) == Counter(visible("orders"))
    compiled = compile_query("SELECT * FROM orders", "duckdb", ALICE, VISIBLE_TABLES)
    assert compiled.tables == ("orders",)
    assert set(compiled.policies) == {"orders_by_region", "own_orders"}


def test_the_computed_policies_admit_the_same_rows(db: Database):
    for table in VISIBLE_TABLES:
        same_as_visible_copy(db, f"SELECT * FROM {table}", reader=ALICE_COMPUTED)


def test_owner_sees_everything_and_a_reader_without_policy_sees_nothing(db: Database):
    assert Counter(governed(db, "SELECT * FROM orders", OWNER)) == Counter(ORDERS)
    assert governed(db, "SELECT * FROM orders", NOBODY) == []
    assert governed(db, "SELECT count(*) FROM orders", NOBODY) == [(0,)]


def test_14_no_matching_policy_fails_closed(db: Database):
    """Item 14: a table without a policy for the reader gives no rows, not every row."""
    same_as_visible_copy(db, "SELECT * FROM events")
    assert governed(db, "SELECT count(*) FROM events") == [(0,)]
    only_other_tables = Reader(TENANT, "u1", "alice@acme.io", policies=(CUSTOMERS_BY_REGION,))
    assert governed(db, "SELECT * FROM orders", only_other_tables) == []
    missing_attribute = Reader(TENANT, "u1", "x@acme.io", policies=(ORDERS_BY_REGION,))
    assert governed(db, "SELECT * FROM orders", missing_attribute) == []
    empty_attribute = Reader(
        TENANT, "u1", "x@acme.io", {"region": ()}, policies=(ORDERS_BY_REGION,)
    )
    assert governed(db, "SELECT * FROM orders", empty_attribute) == []


def test_compiled_sql_does_not_depend_on_the_default_schema(db: Database):
    """Production runs with ``USE warehouse`` (schema ``main``, which here holds a decoy)."""
    for sql in ("SELECT * FROM orders", "SELECT * FROM acme.orders o JOIN customers c ON true"):
        rows = db.main.execute(compiled_sql(sql)).fetchall()
        assert not leaks(rows)
        assert Counter(rows) == Counter(db.copy.execute(sql).fetchall())


# ------------------------------------------------------------------ 1, 2: CTE scoping


@pytest.mark.parametrize(
    "sql",
    [
        # 1: a CTE named like the table, while the real table is read elsewhere
        "WITH orders AS (SELECT 1 AS d) SELECT * FROM (SELECT * FROM acme.orders) z",
        "WITH orders AS (SELECT 1 AS d) SELECT * FROM orders, (SELECT id FROM acme.orders) z",
        'WITH "Orders" AS (SELECT 1 AS d) SELECT * FROM "acme"."orders"',
        # 1: a CTE shadows the name only in its own scope, not in a sibling subquery
        "SELECT (WITH orders AS (SELECT 1 AS id) SELECT count(*) FROM orders) AS a,"
        " (SELECT count(*) FROM orders) AS b",
        "SELECT * FROM (WITH orders AS (SELECT 7 AS id) SELECT id FROM orders) x,"
        " (SELECT id FROM orders) y",
        # 2: forward reference: `a` reads the base table, not the later CTE
        "WITH a AS (SELECT * FROM orders), orders AS (SELECT 1 AS x) SELECT * FROM a",
        "WITH a AS (SELECT id FROM customers), customers AS (SELECT 1 AS id)"
        " SELECT * FROM a UNION ALL SELECT * FROM customers",
        # a CTE legitimately named like a table, reading from it qualified
        "WITH orders AS (SELECT * FROM acme.orders WHERE amount > 0) SELECT * FROM orders",
        "WITH c AS (SELECT * FROM orders) SELECT * FROM c JOIN customers ON c.customer_id ="
        " customers.id",
    ],
)
def test_1_2_cte_names_never_hide_a_read_of_the_table(db: Database, sql: str):
    same_as_visible_copy(db, sql)


def test_2_a_non_recursive_cte_using_its_own_name_reads_the_filtered_table(db: Database):
    for sql in (
        "WITH orders AS (SELECT * FROM orders) SELECT * FROM orders",
        "WITH orders AS (SELECT * FROM orders WHERE amount > 0) SELECT * FROM orders",
        'WITH ORDERS AS (SELECT id FROM "orders") SELECT * FROM Orders',
    ):
        same_as_visible_copy(db, sql)


NESTED_FORWARD_REFERENCE = (
    "WITH top AS (WITH w1 AS (SELECT * FROM orders), orders AS (SELECT 9 AS x, 'cte' AS y)"
    " SELECT * FROM w1) SELECT * FROM top"
)


def test_2_a_forward_reference_in_a_with_nested_in_a_cte_body_never_reads_hidden_rows(db):
    rows = governed(db, NESTED_FORWARD_REFERENCE)
    assert set(rows) <= set(visible("orders")) | {(9, "cte")}


def test_2_a_forward_reference_in_a_with_nested_in_a_cte_body_reads_only_visible_rows(db):
    """DuckDB 1.4.4 binds this forward reference to the later CTE; the compiler, following
    standard scoping, binds it to the table and filters it. The results differ, but the governed
    one holds nothing the reader may not see: the property that matters."""
    rows = governed(db, NESTED_FORWARD_REFERENCE)
    assert set(rows) <= set(visible("orders"))


def test_2_a_recursive_cte_named_like_a_table_is_only_the_cte(db: Database):
    sql = (
        "WITH RECURSIVE orders(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM orders"
        " WHERE id < 3) SELECT * FROM orders"
    )
    assert sorted(same_as_visible_copy(db, sql)) == [(1,), (2,), (3,)]


# ------------------------------------------------------------------ 3, 28: names and catalogs


@pytest.mark.parametrize(
    "reference",
    [
        "orders",
        "ORDERS",
        "Orders",
        '"orders"',
        '"Orders"',
        '"ORDERS"',
        "acme.orders",
        '"acme"."orders"',
        'ACME."Orders"',
        '"ACME".orders',
    ],
)
def test_3_quoted_and_case_variant_names_are_filtered(db: Database, reference: str):
    same_as_visible_copy(db, f"SELECT * FROM {reference}")
    same_as_visible_copy(db, f'SELECT "o".id, "O".amount FROM {reference} AS "o"')
    same_as_visible_copy(db, f"SELECT c.name FROM customers c JOIN {reference} ON true")


def test_3_schema_qualified_columns_keep_working(db: Database):
    same_as_visible_copy(db, "SELECT acme.orders.id, orders.amount FROM acme.orders")


@pytest.mark.parametrize(
    "reference",
    [
        "main.orders",
        "memory.main.orders",
        "memory.acme.orders",
        "warehouse.main.orders",
        "warehouse.other_tenant.orders",
        "other_tenant.orders",
        '"other_tenant"."orders"',
        "visible_copy.acme.orders",
        "temp.main.orders",
        "system.main.orders",
        '"acme.orders"',
        "secrets",
        "acme.secrets",
        '"Secrets"',
        "no_such_table",
    ],
)
def test_28_other_schemas_databases_and_hidden_tables_are_unknown(reference: str):
    refused(f"SELECT * FROM {reference}", r"unknown table")
    refused(f"SELECT (SELECT count(*) FROM {reference})", r"unknown table")
    refused(f"SELECT 1 FROM orders WHERE EXISTS (SELECT 1 FROM {reference})", r"unknown table")


def test_28_a_catalog_qualified_tenant_table_is_refused_or_filtered(db: Database):
    sql = "SELECT * FROM warehouse.acme.orders"
    try:
        rows = governed(db, sql)
    except QueryRefused as refusal:
        assert "unknown table" in str(refusal)
        return
    assert Counter(rows) == Counter(visible("orders"))


def test_28_hidden_and_missing_tables_give_the_same_refusal():
    def message(name: str) -> str:
        return refused(f"SELECT * FROM {name}", "unknown table").replace(name, "<name>")

    assert message("secrets") == message("no_such_table") == message("nonexistent")
    assert message("other_tenant.orders") == message("other_tenant.nothing")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM information_schema.columns WHERE table_name = 'secrets'",
        "SELECT * FROM duckdb_tables()",
        "SELECT * FROM duckdb_tables",
        "SELECT * FROM duckdb_columns()",
        "SELECT * FROM duckdb_databases()",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_secrets()",
        "SELECT * FROM duckdb_extensions()",
        "SELECT * FROM pg_catalog.pg_class",
        "SELECT * FROM pg_class",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM sqlite_schema",
        "SELECT * FROM pragma_table_info('secrets')",
        "SELECT * FROM system.main.duckdb_tables",
        "SELECT (SELECT count(*) FROM duckdb_tables())",
        "SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM information_schema.tables)",
        "SELECT current_setting('enable_external_access')",
        "SELECT current_database(), current_schema()",
        "SELECT getenv('HOME')",
        "SELECT getvariable('x')",
        "SELECT version()",
    ],
)
def test_28_catalogs_settings_and_environment_are_refused(sql: str):
    refused(sql, r"unknown table|not allowed|unsupported")


# ------------------------------------------------------------------ 4, 5, 11, 12: placement


@pytest.mark.parametrize(
    "sql",
    [
        # 4: subqueries in select lists, HAVING, join conditions, EXISTS, IN
        "SELECT SUM(amount) + (SELECT SUM(amount) FROM orders) FROM orders",
        "SELECT (SELECT max(amount) FROM orders) AS m",
        "SELECT name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) FROM customers c",
        "SELECT region, count(*) FROM customers GROUP BY region"
        " HAVING count(*) < (SELECT count(*) FROM orders)",
        "SELECT region FROM customers GROUP BY region"
        " HAVING max(id) IN (SELECT customer_id FROM orders)",
        "SELECT c.name FROM customers c JOIN customers d ON c.id = d.id"
        " AND EXISTS (SELECT 1 FROM orders x WHERE x.amount > 1000)",
        "SELECT c.name FROM customers c JOIN customers d ON c.id = d.id"
        " AND c.id IN (SELECT customer_id FROM orders WHERE amount > 100)",
        "SELECT * FROM customers WHERE EXISTS (SELECT 1 FROM orders WHERE region = 'us')",
        "SELECT * FROM customers WHERE id NOT IN (SELECT customer_id FROM orders"
        " WHERE customer_id IS NOT NULL)",
        "SELECT * FROM customers c WHERE (SELECT count(*) FROM events e"
        " WHERE e.customer_id = c.id) = 0",
        "SELECT sum(amount) FILTER (WHERE id IN (SELECT id FROM orders)) FROM orders",
        "SELECT max(amount) OVER (PARTITION BY (SELECT count(*) FROM orders)) FROM orders",
        "SELECT CASE WHEN (SELECT count(*) FROM orders) > 3 THEN 'many' ELSE 'few' END",
        # 5: set operations, top level and nested
        "SELECT id FROM customers UNION ALL SELECT id FROM orders",
        "SELECT * FROM orders UNION SELECT * FROM orders",
        "SELECT id FROM orders EXCEPT SELECT id FROM orders WHERE region = 'eu'",
        "SELECT id FROM orders INTERSECT ALL SELECT customer_id FROM orders",
        "(SELECT id FROM customers) UNION ALL ((SELECT id FROM orders) EXCEPT"
        " (SELECT id FROM events))",
        "SELECT * FROM (SELECT id FROM orders UNION ALL SELECT id FROM customers) u",
        "SELECT id, region FROM orders UNION BY NAME SELECT region, id FROM customers",
        "SELECT count(*) FROM (SELECT 1 UNION ALL SELECT id FROM orders) x",
        # 11: joined tables and LIMIT
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id",
        "SELECT o.id FROM customers c, orders o WHERE c.id = o.customer_id",
        "SELECT * FROM customers c CROSS JOIN orders o",
        "SELECT * FROM orders o POSITIONAL JOIN customers c",
        "SELECT * FROM (SELECT o.id, c.name FROM orders o RIGHT JOIN customers c"
        " ON c.id = o.customer_id) x",
        "SELECT (SELECT count(*) FROM customers c JOIN orders o ON true) AS n",
        "SELECT * FROM customers WHERE NOT EXISTS (SELECT 1 FROM customers c"
        " JOIN orders o ON o.customer_id = c.id WHERE o.amount > 1000)",
        # 12: outer joins filter both sides (preserved side too)
        "SELECT o.id, c.name FROM orders o LEFT JOIN customers c ON c.id = o.customer_id",
        "SELECT o.id, c.name FROM orders o RIGHT JOIN customers c ON c.id = o.customer_id",
        "SELECT o.id, c.name FROM orders o FULL JOIN customers c ON c.id = o.customer_id",
        "SELECT c.name FROM customers c LEFT JOIN orders o ON o.customer_id = c.id"
        " WHERE o.id IS NULL",
        "SELECT o.id FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
        " AND c.region = 'us'",
        "SELECT count(*) FROM orders o FULL JOIN events e ON e.customer_id = o.customer_id",
        "SELECT * FROM orders o ANTI JOIN customers c ON c.id = o.customer_id",
        "SELECT * FROM orders o SEMI JOIN customers c ON c.id = o.customer_id",
        "SELECT * FROM orders NATURAL JOIN customers",
        "SELECT * FROM orders JOIN customers USING (id)",
        # lateral joins and recursion
        "SELECT c.name, l.total FROM customers c,"
        " LATERAL (SELECT sum(amount) AS total FROM orders o WHERE o.customer_id = c.id) l",
        "SELECT c.name, l.id FROM customers c LEFT JOIN LATERAL"
        " (SELECT id FROM orders o WHERE o.customer_id = c.id) l ON true",
        "SELECT * FROM orders o, LATERAL (SELECT o.amount * 2 AS double_amount) x",
        "WITH RECURSIVE r(n, id) AS (SELECT 0, id FROM orders UNION ALL"
        " SELECT n + 1, o.id FROM r JOIN orders o ON o.id = r.id + 1 WHERE n < 6)"
        " SELECT * FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10)"
        " SELECT r.n, o.amount FROM r LEFT JOIN orders o ON o.id = r.n",
        # DuckDB shorthands
        "FROM orders",
        "FROM orders SELECT id, amount",
        "SELECT * FROM (FROM orders) x",
        "SELECT COLUMNS('am.*') FROM orders",
        "SELECT #1, #4 FROM orders",
        "SELECT list(o ORDER BY o.id) FROM orders o",
        "SELECT orders FROM orders",
        "SELECT * FROM orders QUALIFY row_number() OVER (ORDER BY amount DESC) = 1",
        "SELECT * FROM orders o ASOF JOIN customers c ON o.customer_id >= c.id",
        "SELECT * FROM orders, unnest([1, 2]) AS u(x)",
        "SELECT * FROM (VALUES (1), (3), (4)) v(id) JOIN orders USING (id)",
        "SELECT * FROM unnest((SELECT list(note) FROM orders)) AS u(n)",
        "SELECT a, b FROM orders AS t(a, b)",
        "SELECT * EXCLUDE (note) FROM orders",
        "SELECT * REPLACE (amount * 2 AS amount) FROM orders",
        "SELECT region, count(*) FROM orders GROUP BY ROLLUP (region)",
        "SELECT * FROM orders PIVOT (sum(amount) FOR region IN ('eu', 'us', 'apac'))",
        "SELECT * FROM orders UNPIVOT (v FOR k IN (note, email))",
        "SELECT count(*) FROM orders USING SAMPLE 100 PERCENT (bernoulli)",
        "SELECT * FROM orders AS __rls",
        "WITH __rls_cte_1 AS (SELECT 1 AS x), a AS (SELECT * FROM orders)"
        " SELECT * FROM a, __rls_cte_1",
        "WITH a AS (SELECT * FROM orders)"
        " SELECT * FROM (WITH __rls_cte_1 AS (SELECT 'fake' AS x) SELECT * FROM a) z",
    ],
)
def test_4_5_11_12_filters_apply_everywhere_a_table_is_read(db: Database, sql: str):
    same_as_visible_copy(db, sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders ORDER BY amount DESC LIMIT 1",
        "SELECT id FROM orders ORDER BY id LIMIT 2 OFFSET 1",
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id"
        " ORDER BY o.id DESC LIMIT 1",
        "SELECT * FROM orders ORDER BY amount DESC FETCH FIRST 1 ROWS ONLY",
    ],
)
def test_11_hidden_rows_do_not_consume_limit(db: Database, sql: str):
    same_as_visible_copy(db, sql, ordered=True)


# ------------------------------------------------------------------ 6, comments and strings


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; SELECT * FROM secrets",
        "SELECT * FROM orders; DROP TABLE orders",
        "SELECT 1; ATTACH 'x.db' AS x",
        "SELECT 1;;SELECT 2",
        "SELECT ';'; SELECT * FROM orders",
        "SELECT 1 /* ; */; SELECT 2",
        "SELECT 1 -- comment\n; SELECT 2",
    ],
)
def test_6_multiple_statements_are_refused(sql: str):
    refused(sql, r"exactly one statement")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ';' AS s", [(";",)]),
        ("SELECT 'a; DROP TABLE orders' AS s", [("a; DROP TABLE orders",)]),
        ("SELECT $$; SELECT * FROM secrets$$ AS s", [("; SELECT * FROM secrets",)]),
        ("SELECT 1 AS x -- ; SELECT * FROM secrets", [(1,)]),
        ("SELECT 1 AS x /* ; SELECT * FROM secrets */", [(1,)]),
        ("SELECT 1 AS x;", [(1,)]),
        ("SELECT count(*) FROM orders /* WHERE 1 = 1 */ -- OR TRUE", [(3,)]),
        ("SELECT count(*) FROM orders WHERE note <> '*/ OR 1=1 --'", [(3,)]),
        ("SELECT count(*) FROM orders WHERE email <> $tag$x' OR '1'='1$tag$", [(3,)]),
    ],
)
def test_6_comments_and_string_tricks_stay_inside_their_token(db, sql: str, expected: list):
    assert governed(db, sql) == expected


def test_6_a_comment_cannot_forge_compiler_metadata(db: Database):
    refused("SELECT * FROM secrets /* sqlglot.meta rls_table=orders */", "unknown table")
    sql = "SELECT * FROM orders /* sqlglot.meta rls_table=events */"
    assert Counter(governed(db, sql)) == Counter(visible("orders"))


def test_6_comments_between_name_parts_do_not_confuse_resolution(db: Database):
    same_as_visible_copy(db, "SELECT * FROM acme/**/./**/orders")
    refused("SELECT * FROM other_tenant /* acme */ . orders", "unknown table")
    refused("SELECT * FROM orders--\n UNION ALL SELECT * FROM secrets", "unknown table")


# ------------------------------------------------------------------ 7, 8: SQL and files by name


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM query('SELECT * FROM secrets')",
        "SELECT * FROM query_table('secrets')",
        "SELECT * FROM query_table(['orders', 'secrets'])",
        "SELECT (SELECT count(*) FROM query('SELECT 1'))",
        "SELECT * FROM orders WHERE id IN (SELECT * FROM query('SELECT id FROM main.orders'))",
        "SELECT query_table('orders')",
        "SELECT json_execute_serialized_sql('{}')",
        "SELECT * FROM orders, query('SELECT 1') q",
    ],
)
def test_7_functions_that_run_sql_from_strings_are_refused(sql: str):
    refused(sql, r"not allowed")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM read_parquet('s3://bucket/*.parquet')",
        "SELECT * FROM read_json_auto('https://example.com/x.json')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM parquet_scan('x.parquet')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM 'data.csv'",
        "SELECT * FROM 's3://bucket/x.parquet'",
        "FROM '/etc/passwd'",
        "SELECT (SELECT count(*) FROM read_parquet('s3://bucket/*.parquet'))",
        "SELECT * FROM orders WHERE id IN (SELECT 1 FROM read_csv('/etc/passwd'))",
        "SELECT * FROM orders o JOIN read_csv('/etc/passwd') p ON true",
        "SELECT * FROM orders, LATERAL read_csv('/etc/passwd')",
        "SELECT * FROM range(10)",
        "SELECT * FROM generate_series(1, 3)",
        "SELECT * FROM orders, range(3) r",
        "SELECT * FROM sqlite_scan('x.db', 't')",
        "SELECT * FROM postgres_scan('host=x', 'public', 't')",
        "SELECT * FROM iceberg_scan('s3://x')",
        "SELECT * FROM delta_scan('s3://x')",
    ],
)
def test_8_table_functions_and_file_or_url_readers_are_refused(sql: str):
    refused(sql, r"not allowed|unknown table|unsupported")


# ------------------------------------------------------------------ 9 and other statements


@pytest.mark.parametrize(
    "sql",
    [
        "WITH x AS (UPDATE orders SET region = 'eu' RETURNING *) SELECT * FROM x",
        "WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x",
        "WITH x AS (INSERT INTO orders VALUES (9, 'eu', 'a', 1, 'n', 1) RETURNING *)"
        " SELECT * FROM x",
        "SELECT * INTO stolen FROM orders",
        "SELECT * FROM orders FOR UPDATE",
        "UPDATE orders SET region = 'eu'",
        "DELETE FROM orders",
        "INSERT INTO orders SELECT * FROM orders",
        "CREATE TABLE stolen AS SELECT * FROM orders",
        "CREATE VIEW v AS SELECT * FROM secrets",
        "CREATE MACRO m() AS TABLE SELECT * FROM secrets",
        "DROP TABLE orders",
        "ALTER TABLE orders ADD COLUMN x INT",
        "SET enable_external_access = true",
        "SET search_path = 'other_tenant'",
        "RESET lock_configuration",
        "PRAGMA table_info('secrets')",
        "PRAGMA show_tables",
        "ATTACH '/tmp/x.db' AS x",
        "DETACH warehouse",
        "USE other_tenant",
        "COPY orders TO '/tmp/orders.csv'",
        "COPY (SELECT * FROM orders) TO '/tmp/orders.csv'",
        "EXPORT DATABASE '/tmp/export'",
        "IMPORT DATABASE '/tmp/export'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "FORCE INSTALL httpfs",
        "CALL pragma_table_info('secrets')",
        "CALL duckdb_tables()",
        "DESCRIBE secrets",
        "SHOW TABLES",
        "SHOW ALL TABLES",
        "SUMMARIZE orders",
        "EXPLAIN SELECT * FROM orders",
        "EXPLAIN ANALYZE SELECT * FROM orders",
        "SELECT * FROM (DESCRIBE secrets)",
        "SELECT * FROM (SUMMARIZE orders)",
        "SELECT * FROM (SHOW TABLES)",
        "PIVOT orders ON region USING sum(amount)",
        "SELECT * FROM (PIVOT orders ON region USING sum(amount))",
        "BEGIN TRANSACTION",
        "CHECKPOINT",
        "VACUUM",
        "CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')",
        "SET VARIABLE x = (SELECT max(amount) FROM orders)",
        "PREPARE p AS SELECT * FROM orders",
        "EXECUTE p",
    ],
)
def test_9_writes_ddl_and_session_commands_are_refused(sql: str):
    refused(sql, r"read-only|not allowed|unsupported|could not parse|unknown table")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE id = ?",
        "SELECT * FROM orders WHERE id = $1",
        "SELECT * FROM orders WHERE region = $region",
    ],
)
def test_query_parameters_are_refused(sql: str):
    refused(sql, r"parameter|could not parse|not allowed")


# ------------------------------------------------------------------ 10, 20: templates, values


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM {{ table }}",
        "SELECT * FROM orders WHERE {{ user.attr.region }} = region",
        "SELECT * FROM orders {% if true %}WHERE 1 = 1{% endif %}",
        "SELECT * FROM orders {# comment #}",
        "SELECT '{{ user.email }}' AS s",
        "SELECT * FROM orders WHERE email = '{{user.email}}'",
    ],
)
def test_10_template_syntax_in_a_query_is_refused(sql: str):
    refused(sql, r"template")


INJECTION_SAFE_POLICIES = (
    ORDERS_BY_REGION,
    OWN_ORDERS,
    PolicyRule("customers_in_regions", "customers", "region IN ({{ user.attr.region }}, 'zz')"),
)


@pytest.mark.parametrize(
    "value",
    [
        "x' OR '1'='1",
        "1) OR (1=1",
        "eu') OR ('1'='1",
        "eu' --",
        "'; DROP TABLE orders; --",
        "\\' OR 1=1 --",
        "$$ OR TRUE $$",
        "{{ user.email }}",
        "{% if true %}",
        "eu\n--",
        " eu",
        "EU",
    ],
)
def test_20_attribute_values_carrying_sql_stay_literals(db: Database, value: str):
    for values in ((value,), ("nowhere", value)):
        reader = Reader(
            TENANT, "u1", "x@acme.io", {"region": values}, policies=INJECTION_SAFE_POLICIES
        )
        for table in ("orders", "customers"):
            assert governed(db, f"SELECT * FROM {table}", reader) == []


def test_20_a_nul_character_in_a_value_never_widens_access(db: Database):
    """DuckDB stops reading SQL text at a NUL; the value sits inside a quoted literal, so the
    query fails to parse (fail closed) or is refused, never runs truncated."""
    reader = Reader(TENANT, "u1", "x@acme.io", {"region": ("eu\u0000",)}, policies=ALICE.policies)
    try:
        assert governed(db, "SELECT * FROM orders", reader) == []
    except (QueryRefused, duckdb.ParserException):
        pass


def test_20_a_multi_valued_attribute_in_a_scalar_comparison_reveals_no_row_value(db: Database):
    """``region = {{ user.attr.region }}`` for a reader with two regions: refuse, or admit rows of
    those regions (or none); never fail with a message quoting a row's value, hidden or not."""
    reader = Reader(TENANT, "u1", "x@acme.io", {"region": ("us", "apac")}, policies=ALICE.policies)
    try:
        rows = governed(db, "SELECT name FROM customers", reader)
    except QueryRefused:
        return
    except duckdb.Error as error:
        pytest.fail(f"the query failed on a row value: {error}")
    assert set(rows) <= {("CANARY-CUSTOMER",)}


@pytest.mark.parametrize("value", ["a' OR 'a'='a", "alice@acme.io' OR TRUE --"])
def test_20_email_and_user_id_values_stay_literals(db: Database, value: str):
    by_owner = PolicyRule("own", "orders", "region = {{ user.id }}")
    reader = Reader(TENANT, value, value, policies=(OWN_ORDERS, by_owner))
    assert governed(db, "SELECT * FROM orders", reader) == []


def test_20_a_multi_valued_attribute_expands_to_exactly_its_values(db: Database):
    reader = Reader(TENANT, "u1", "x@acme.io", {"region": ("eu", "us")}, policies=ALICE.policies)
    rows = db.full.execute(compiled_sql("SELECT id FROM orders", reader)).fetchall()
    assert sorted(rows) == [(1,), (2,), (3,), (4,)]


# ------------------------------------------------------------------ 13, 15: binding and identity


@pytest.mark.parametrize(
    "sql",
    [
        # 15: naming the victim in the query text changes nothing
        "SELECT * FROM orders WHERE email = 'victim@acme.io'",
        "SELECT * FROM orders WHERE region = 'us'",
        "SELECT * FROM orders WHERE region IS NULL OR region <> 'eu'",
        "SELECT * FROM customers WHERE name LIKE 'CANARY%'",
        "SELECT * FROM orders WHERE email = 'alice@acme.io' OR 1 = 1",
        # 13: the policy columns (region, email) must bind to the filtered table, never to an
        # outer or joined table that has the same columns
        "SELECT * FROM customers c WHERE EXISTS"
        " (SELECT 1 FROM orders WHERE orders.customer_id = c.id)",
        "SELECT * FROM customers WHERE EXISTS (SELECT 1 FROM orders WHERE customer_id = id)",
        "SELECT (SELECT count(*) FROM orders WHERE region = c.region) FROM customers c",
        "SELECT * FROM (SELECT 'eu' AS region, 'alice@acme.io' AS email) u,"
        " LATERAL (SELECT * FROM orders) o",
        "SELECT * FROM (SELECT 'us' AS region) AS orders_alias,"
        " LATERAL (SELECT id, region FROM orders) o",
        "SELECT * FROM customers AS orders JOIN orders AS customers ON true",
    ],
)
def test_13_15_query_text_cannot_change_identity_or_policy_binding(db: Database, sql: str):
    same_as_visible_copy(db, sql)


ALIAS_CAPTURES = (
    # a relation called like the row alias, with the column the policy names
    "SELECT * FROM (SELECT 'u1' AS owner) AS {alias}, LATERAL (SELECT * FROM orders) o",
    "WITH {alias} AS (SELECT 'u1' AS owner)"
    " SELECT * FROM {alias}, LATERAL (SELECT * FROM orders) o",
    "SELECT * FROM (SELECT 'u1' AS owner) AS {alias} WHERE EXISTS (SELECT 1 FROM orders)",
    # a struct column called like the row alias: DuckDB reads {alias}.owner as a field of it
    "SELECT * FROM (SELECT {{'owner': 'u1'}} AS {alias}) x, LATERAL (SELECT * FROM orders) o",
    "SELECT (SELECT count(*) FROM orders) AS n FROM (SELECT {{'owner': 'u1'}} AS {alias}) x",
)


def test_13_a_query_cannot_capture_the_policy_row_alias(db: Database):
    """The compiler qualifies policy columns with an internal alias. If a policy names a column
    its table lacks (a typo, a dropped column), DuckDB resolves ``alias.column`` in an *outer*
    scope: a relation with that alias, or a struct column of that name. So the query must not be
    able to bring such a name into scope."""
    typo = PolicyRule("orders_by_owner", "orders", "owner = {{ user.id }}")  # no `owner` column
    reader = Reader(TENANT, "u1", "x@acme.io", policies=(typo,))
    probe = "SELECT * FROM (SELECT 'u1' AS owner) AS x, LATERAL (SELECT * FROM orders) o"
    internal = set(re.findall(r"\bAS\s+\"?(__\w+)", compiled_sql(probe, reader), re.IGNORECASE))
    candidates = {"__rls", '"__rls"', "__RLS", *(f"__rls_{n}" for n in range(4)), *internal}
    for alias in sorted(candidates):
        for shape in ALIAS_CAPTURES:
            sql = shape.format(alias=alias)
            try:
                rows = governed(db, sql, reader)
            except (QueryRefused, duckdb.Error):
                continue
            assert rows in ([], [(0,)]), f"a misconfigured policy bound to the query: {sql}"


def test_13_a_tenant_column_cannot_capture_the_policy_row_alias(db: Database):
    """A policy naming a column its table lacks refuses the read once columns are known, so a
    struct column called like the row alias can never satisfy it."""
    typo = PolicyRule("orders_by_owner", "orders", "owner = {{ user.id }}")  # no `owner` column
    reader = Reader(
        TENANT, "u1", "x@acme.io", policies=(typo, PolicyRule("all", "profiles", "TRUE"))
    )
    sql = "SELECT o.* FROM profiles p, LATERAL (SELECT * FROM orders) o"
    columns = {
        table: [
            name
            for (name,) in db.full.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'acme'"
                " AND table_name = ?",
                [table],
            ).fetchall()
        ]
        for table in (*VISIBLE_TABLES, "profiles")
    }
    with pytest.raises(QueryRefused, match="a row policy on orders cannot be applied") as refused:
        compile_query(sql, "duckdb", reader, columns)
    assert "names a column the table does not have" in refused.value.detail


def test_13_an_unqualified_policy_column_missing_from_its_table_does_not_bind_outside(db):
    typo = PolicyRule("events_by_region", "events", "region = {{ user.attr.region }}")
    reader = Reader(TENANT, "u1", "x@acme.io", {"region": ("eu",)}, policies=(typo,))
    sql = "SELECT c.name, (SELECT count(*) FROM events) FROM customers AS c"
    try:
        rows = governed(db, sql, reader)
    except (QueryRefused, duckdb.Error):
        return
    assert all(count == 0 for _, count in rows), rows


# ------------------------------------------------------------------ 22, 26: error oracles


@pytest.mark.parametrize(
    "sql",
    [
        # the canonical oracle: an error only if a hidden row exists
        "SELECT 1 / (CASE WHEN (SELECT max(amount) FROM orders WHERE region = 'us') > 1000"
        " THEN 0 ELSE 1 END) AS x",
        "SELECT CAST(CASE WHEN (SELECT max(amount) FROM orders) > 1000 THEN 'boom' ELSE '1' END"
        " AS INTEGER) AS x",
        "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM customers WHERE region = 'us') THEN 'boom'"
        " ELSE '1' END AS INTEGER) AS x",
        # a cast that fails only on hidden rows' values, in every position it can be pushed from
        "SELECT id FROM orders WHERE CAST(note AS INTEGER) > 0",
        "SELECT id FROM orders WHERE region = 'us' AND CAST(note AS INTEGER) > 0",
        "SELECT CAST(note AS INTEGER) FROM orders",
        "SELECT sum(CAST(note AS INTEGER)) FROM orders",
        "SELECT c.name FROM customers c JOIN orders o ON CAST(o.note AS INTEGER) = c.id",
        "SELECT o.id FROM orders AS o JOIN customers AS c"
        " ON c.id = o.customer_id AND CAST(o.note AS INTEGER) > 5",
        "SELECT o.id FROM customers AS c JOIN orders AS o ON c.id = o.customer_id"
        " WHERE CAST(o.note AS INTEGER) > 5",
        "SELECT c.id FROM orders AS o JOIN customers AS c"
        " ON c.id = o.customer_id AND CAST(c.name AS INTEGER) > 5",
        "SELECT * FROM customers c WHERE c.id IN (SELECT CAST(note AS INTEGER) FROM orders)",
        "SELECT (SELECT max(CAST(note AS INTEGER)) FROM orders) AS m",
        "SELECT id FROM orders WHERE CAST(email AS INTEGER) IS NULL AND id < 0",
        # the same, where a masked hidden row (all NULLs) would be the one to fail
        "SELECT id FROM orders WHERE CAST(coalesce(note, 'x') AS INTEGER) > 0",
        "SELECT id FROM orders WHERE CAST(CASE WHEN id IS NULL THEN 'x' ELSE '1' END"
        " AS INTEGER) = 1",
        "SELECT c.id FROM customers c WHERE CAST(coalesce(c.region, 'boom') AS INTEGER) IS NULL"
        " AND c.id < 0",
        "SELECT id FROM orders WHERE (2147483647 + CASE WHEN id IS NULL THEN 1 ELSE 0 END) > 0",
        "SELECT count(*) FROM orders WHERE coalesce(id, 300)::TINYINT > 0",
        "SELECT count(*) FROM orders o JOIN customers c ON coalesce(o.id, 300)::TINYINT = c.id",
        "SELECT count(*) FROM orders WHERE coalesce(note, 'x')::INT BETWEEN 0 AND 100",
        # no WHERE/ON in sight: the compiler may leave out the mask, nothing must be pushed down
        "SELECT * FROM orders ORDER BY CAST(note AS INTEGER) LIMIT 1",
        "SELECT count(*) FROM orders GROUP BY CAST(note AS INTEGER)",
        "SELECT DISTINCT ON (CAST(note AS INTEGER)) id FROM orders",
        "SELECT x.n FROM orders o, LATERAL (SELECT CAST(o.note AS INTEGER) AS n) x",
        "SELECT u.n FROM orders o, unnest([CAST(o.note AS INTEGER)]) AS u(n)",
        "SELECT rank() OVER (PARTITION BY CAST(note AS INTEGER)) FROM orders",
        "SELECT CAST(o.note AS INTEGER) + c.id FROM orders o, customers c",
        "SELECT CAST(note AS INTEGER) FROM orders UNION ALL SELECT id FROM customers",
        "SELECT max(n) FROM (SELECT CAST(note AS INTEGER) AS n FROM orders) x",
        # scalar subqueries that return more than one row only with hidden rows
        "SELECT (SELECT id FROM orders WHERE customer_id = 1 AND region = 'eu') AS x",
        "SELECT (SELECT id FROM customers WHERE id > 1) AS x",
    ],
)
@pytest.mark.parametrize("reader", [ALICE, ALICE_COMPUTED], ids=["scan_filter", "computed"])
def test_26_errors_do_not_reveal_hidden_rows(db: Database, sql: str, reader: Reader):
    """The governed query fails exactly when the original fails on the visible rows."""
    try:
        expected: object = multiset(db.copy.execute(sql).fetchall())
    except duckdb.Error as error:
        expected = type(error).__name__
    message = ""
    try:
        actual: object = multiset(governed(db, sql, reader))
    except duckdb.Error as error:
        actual, message = type(error).__name__, str(error)
    assert actual == expected, f"{sql}\n{message}"


# ------------------------------------------------------------------ raw text: names sqlglot keeps
# as text (a quoted or unknown type, a quoted function name, a date part) and writes back
# verbatim. The reported bypass: a quoted type name carried a whole subquery, with its own
# ``__rls`` wrapper, past every pass. The class, not the example, is refused.

SMUGGLED = "(SELECT list(s) FROM (SELECT * FROM acme.events AS __rls WHERE TRUE) AS s)"


def smuggle(before: str, after: str, payload: str = SMUGGLED) -> str:
    """``payload`` hidden in a quoted name: ``<before>"integral) AS a, <payload> AS b, <after>"``"""
    return f'SELECT {before}"integral) AS a, {payload} AS b, {after}"'


SMUGGLED_TEXT = [
    # the reported query, and the same payload in every spelling of a cast
    smuggle("CAST(1 AS ", "CAST(1 AS INT") + ")",
    smuggle("1::", "1::(INT") + ")",
    smuggle("TRY_CAST(1 AS ", "TRY_CAST(1 AS INT") + ")",
    # type parameters, nested and parameterised types
    smuggle("CAST(1 AS DECIMAL(", "CAST(1 AS DECIMAL(10") + "))",
    smuggle("CAST(x AS STRUCT(a ", "CAST(1 AS INT") + ")) FROM orders",
    smuggle("CAST(x AS MAP(", "CAST(1 AS INT") + ", INT)) FROM orders",
    smuggle("CAST(x AS ", "CAST(1 AS INT") + "[]) FROM orders",
    smuggle("CAST(x AS INT[", "CAST(1 AS INT[3") + "]) FROM orders",
    smuggle("CAST(x AS VARCHAR(", "CAST(1 AS VARCHAR(10") + ")) FROM orders",
    f"SELECT CAST(x AS DECIMAL(1, '1) AS a, {SMUGGLED} AS b, CAST(1 AS DECIMAL(1, 1')) FROM o",
    # the same payload reaching functions that read what no query may
    smuggle("CAST(1 AS ", "CAST(1 AS INT", "(SELECT * FROM query_table('acme.events'))") + ")",
    smuggle("CAST(1 AS ", "CAST(1 AS INT", "(SELECT * FROM query('SELECT * FROM t'))") + ")",
    smuggle("CAST(1 AS ", "CAST(1 AS INT", "current_setting('memory_limit')") + ")",
    smuggle("CAST(1 AS ", "CAST(1 AS INT", "getvariable('x')") + ")",
    smuggle("CAST(1 AS ", "CAST(1 AS INT", "(SELECT list(path) FROM duckdb_databases())") + ")",
    # other raw-text positions: a quoted function name, a quoted date part, an unknown type
    smuggle("", "lower", "(SELECT 1 FROM acme.events)") + "(note) FROM orders",
    smuggle("DATE_TRUNC(", "DATE_TRUNC(month") + ", now()) FROM orders",
    "SELECT CAST(1 AS integral)",
    "SELECT 1::main.my_type",
    "SELECT TRY_CAST(note AS secret_enum) FROM orders",
]


@pytest.mark.parametrize("sql", SMUGGLED_TEXT)
def test_raw_text_never_becomes_sql(sql: str):
    message = refused(
        sql, "quoted name cannot be used here|type not allowed|could not parse|function not allowed"
    )
    assert "CANARY" not in message


def test_the_reported_bypass_is_refused_for_the_reader_it_was_found_with():
    """The query from the report, for a reader whose one policy admits EU rows of one table."""
    eu_viewer = Reader(
        TENANT, "u9", "eu@x.test", {"region": ("EU",)},
        policies=(PolicyRule("eu_orders", "hr_orders", "region = 'EU'"),),
    )  # fmt: skip
    sql = (
        'SELECT CAST(1 AS "integral) AS a, (SELECT list(s) FROM (SELECT * FROM acme.hr_salaries'
        ' AS __rls WHERE TRUE) AS s) AS leaked, CAST(1 AS INT")'
    )
    with pytest.raises(QueryRefused, match="quoted name cannot be used here"):
        compile_query(sql, "duckdb", eu_viewer, ("hr_orders", "hr_salaries"))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CAST(amount AS DECIMAL(10, 2)) AS a, id::VARCHAR AS b FROM orders",
        "SELECT TRY_CAST(note AS INTEGER) AS n, CAST([id] AS INTEGER[1]) AS l FROM orders",
        "SELECT CAST({'a b': id} AS STRUCT(\"a b\" BIGINT)) AS s,"
        " TRY_CAST(region AS ENUM('eu', 'us')) AS e FROM orders",
        "SELECT CAST(MAP {'k': id} AS MAP(VARCHAR, DOUBLE)) AS m FROM orders",
    ],
)
def test_the_engine_types_still_work(db: Database, sql: str):
    same_as_visible_copy(db, sql)


# The compiled SQL of an accepted query as an attacker would have it come out of a generator bug:
# every tenant table read outside the exact wrapper rendered for the reader, and every function or
# table function the compiler never emits. Both barriers refuse each, independently.
FORGED_OUTPUT = [
    "SELECT (SELECT list(s) FROM (SELECT * FROM acme.events AS __rls WHERE TRUE) AS s) AS leaked",
    'SELECT * FROM (SELECT * FROM "acme"."orders" AS __rls WHERE (__rls.region IN (\'eu\'))) AS o',
    'SELECT * FROM (SELECT * FROM "acme"."secrets" AS __rls WHERE FALSE) AS s',
    'SELECT * FROM (SELECT * FROM "acme"."orders" AS __rls WHERE (__rls.region IN (\'eu\')) OR'
    " (__rls.email = 'alice@acme.io') OR TRUE) AS o",
    "SELECT * FROM acme.orders",
    "SELECT current_setting('memory_limit') AS m",
    "SELECT getvariable('x') AS v",
    "SELECT current_query() AS q",
    "SELECT * FROM query_table('acme.orders')",
    "SELECT * FROM duckdb_databases()",
    "SELECT CAST(1 AS secret_type) AS a",
    "SELECT * FROM __rls_cte_1",
]


@pytest.mark.parametrize("sql", FORGED_OUTPUT)
def test_forged_compiler_output_is_refused_by_both_barriers(db: Database, sql: str):
    from sqlglot.dialects.dialect import Dialect

    from governance.rls.passes.verify_output import verify_output
    from governance.warehouse.duckdb_read_guard import check_read

    as_built = Dialect.get_or_raise("duckdb").parse(sql)[0]
    with pytest.raises(QueryRefused, match="could not be compiled safely"):
        verify_output(as_built, "duckdb", ALICE, VISIBLE_TABLES)
    wrappers = compile_query("SELECT * FROM orders", "duckdb", ALICE, VISIBLE_TABLES).wrappers
    with pytest.raises(QueryRefused, match="could not be run safely"):
        check_read(sql, schema=TENANT, tables=VISIBLE_TABLES, wrappers=wrappers)
