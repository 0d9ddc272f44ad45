"""``duckdb_read_guard``: DuckDB's own parse of the SQL about to run, checked independently.

Each refusal below is SQL a buggy compiler could emit; the guard sees it as DuckDB will run it.
"""

import pytest

from governance.rls.compiler import compile_query
from governance.rls.context import PolicyRule, QueryRefused, Reader
from governance.warehouse.duckdb_read_guard import allowed_functions, check_read

TABLES = ("orders", "customers")
READER = Reader(
    "acme", "u1", "ana@acme.io", {"region": ("eu",)},
    policies=(PolicyRule("by_region", "orders", "region = {{ user.attr.region }}"),),
)  # fmt: skip
OWNER = Reader("acme", "u0", "boss@acme.io", unrestricted=True)
OUTSIDE = "tenant table outside its policy wrapper"
WRAPPED = '(SELECT * FROM "acme"."orders" AS __rls WHERE (__rls.region = \'eu\'))'


def check(sql: str, reader: Reader = READER, wrappers=None) -> None:
    if wrappers is None and not reader.unrestricted:
        wrappers = compile_query("SELECT * FROM orders", "duckdb", reader, TABLES).wrappers
    check_read(sql, schema="acme", tables=TABLES,
               wrappers=None if reader.unrestricted else wrappers)  # fmt: skip


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT region, count(*) FROM orders GROUP BY ALL",
        "WITH big AS (SELECT * FROM orders WHERE amount > 1) SELECT (SELECT count(*) FROM big), *"
        " FROM big, unnest([1, 2]) AS u(v) QUALIFY row_number() OVER (ORDER BY v) = 1",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3)"
        " SELECT * FROM r, customers",
        "SELECT list_reverse([1]), nullif(1, 2), date_add(DATE '2024-01-01', INTERVAL 1 DAY),"
        " array_to_string(['a'], ','), split_part('a,b', ',', 1) FROM orders",
        "SELECT * FROM orders PIVOT (sum(amount) FOR region IN ('eu', 'us'))",
    ],
)
def test_what_the_compiler_emits_passes(sql: str):
    for reader in (READER, OWNER):
        compiled = compile_query(sql, "duckdb", reader, TABLES)
        check(compiled.sql, reader, compiled.wrappers)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT * FROM acme.orders", OUTSIDE),
        (f"SELECT * FROM {WRAPPED.replace('(__rls', 'TRUE OR (__rls')} AS o", OUTSIDE),
        (f"SELECT * FROM {WRAPPED.replace('eu', 'us')} AS o", OUTSIDE),
        (f"SELECT * FROM {WRAPPED} AS o, acme.customers", OUTSIDE),
        (f"SELECT * FROM {WRAPPED.replace('orders', 'customers')} AS c", OUTSIDE),
        ("SELECT * FROM acme.secrets", "outside the tenant's visible tables"),
        ("SELECT * FROM other.orders", "outside the tenant's visible tables"),
        ("SELECT * FROM warehouse.acme.orders", "outside the tenant's visible tables"),
        ("SELECT * FROM orders", "not a CTE in scope"),
        ("SELECT * FROM __rls_cte_1", "not a CTE in scope"),
        ("WITH orders AS (SELECT 1) SELECT * FROM orders", "not a CTE in scope"),
        ("SELECT * FROM 'data.csv'", "not a CTE in scope"),
        ("SELECT * FROM acme.orders AT (VERSION => 1)", "time travel"),
        ("SELECT * FROM range(3)", "table function"),
        ("SELECT * FROM query_table('acme.orders')", "table function"),
        ("SELECT * FROM query('SELECT 1')", "table function"),
        ("SELECT * FROM duckdb_databases()", "table function"),
        ("SELECT * FROM read_csv('/etc/passwd')", "table function"),
        ("SELECT current_setting('memory_limit')", "calls current_setting"),
        ("SELECT getvariable('x')", "calls getvariable"),
        ("SELECT current_query()", "calls current_query"),
        ("SELECT current_database()", "calls current_database"),
        ("SELECT nextval('s')", "calls nextval"),
        ("SELECT stats(1)", "calls stats"),
        ("SELECT json_serialize_sql('SELECT 1')", "calls json_serialize_sql"),
        ("SELECT pg_get_viewdef(1)", "calls pg_get_viewdef"),
        ("SELECT get_block_size('warehouse')", "calls get_block_size"),
        ("SELECT my_macro(1)", "calls my_macro"),
        ("SELECT system.main.lower('a')", "qualified function"),
        ("SELECT CAST(1 AS secret_type)", "user-defined type"),
        ("SELECT CAST([] AS secret_type[])", "user-defined type"),
        ("SELECT $1", "PARAMETER expression"),
        ("SELECT ?", "PARAMETER expression"),
        ("SELECT 1; SELECT 2", "not one query"),
        ("UPDATE acme.orders SET amount = 0", "not one query"),
        ("PRAGMA database_list", "not one query"),
        ("SELECT 1 FROM", "not one query"),
        ("SELECT 'a'); SELECT ('b'", "not one query"),  # the SQL cannot close its own literal
        ("SELECT 1\x00; DROP TABLE acme.orders", "NUL character"),
    ],
)  # fmt: skip
def test_what_no_compiler_may_emit_is_refused(sql: str, reason: str):
    with pytest.raises(QueryRefused, match=f"could not be run safely .*{reason}"):
        check(sql)


def test_a_builtin_through_its_own_schema_is_still_the_builtin():
    check("SELECT main.lower('a'), main.sum(1)")


def test_an_unrestricted_reader_reads_tenant_tables_directly_but_nothing_else():
    check('SELECT * FROM "acme"."orders" AS o JOIN acme.customers c ON TRUE', OWNER)
    for sql in ("SELECT * FROM acme.secrets", "SELECT current_setting('threads')"):
        with pytest.raises(QueryRefused, match="could not be run safely"):
            check(sql, OWNER)


def test_the_function_list_comes_from_the_engine_less_what_reads_state():
    allowed = allowed_functions()
    assert {"sum", "count_star", "lower", "list_reverse", "nullif", "row_number"} <= allowed
    denied = {"current_setting", "getvariable", "current_query", "nextval", "stats", "version"}
    assert not denied & allowed
    assert not any(name.startswith("__internal") for name in allowed)
