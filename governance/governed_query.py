"""The governed read path: compile for one user, run locked down, audit, cache.

Every read of tenant data by a person goes through ``run_governed``: the SQL is compiled by the
RLS compiler for that user, only the compiled form reaches the warehouse, on a read-only
connection with external access disabled and configuration locked, under a statement timeout
and a row cap. Every attempt, refused or not, is written to the tenant's audit trail.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from governance import audit
from governance.errors import AtsparkError
from governance.platform import Platform
from governance.readers import reader_for
from governance.result_cache import ResultCache, cache_key
from governance.rls.compiler import compile_query
from governance.rls.context import CompiledQuery, QueryRefused
from governance.warehouse.duckdb_files import WAREHOUSE_CATALOG

INTERNAL_TABLE_PREFIX = "_dlt"
DEFAULT_ROW_CAP = 10_000
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False

    @property
    def row_count(self) -> int:
        return len(self.rows)


class QueryFailed(AtsparkError):
    """The compiled query was accepted but failed or timed out while running."""


def visible_tables(connection: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[str]]:
    """The tenant's tables people may name, with their columns; no loader bookkeeping."""
    rows = connection.execute(
        "SELECT table_name, column_name FROM duckdb_columns()"
        " WHERE database_name = ? AND schema_name = ? ORDER BY table_name, column_index",
        [WAREHOUSE_CATALOG, schema],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        if not table.startswith(INTERNAL_TABLE_PREFIX):
            tables.setdefault(table, []).append(column)
    return tables


@contextmanager
def _deadline(connection: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[threading.Event]:
    """Interrupt the connection's running statement once ``seconds`` have passed."""
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        connection.interrupt()

    timer = threading.Timer(seconds, interrupt)
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def _execute(
    connection: duckdb.DuckDBPyConnection, sql: str, row_cap: int, timeout_s: float
) -> QueryResult:
    with _deadline(connection, timeout_s) as fired:
        try:
            cursor = connection.execute(sql)
            rows = cursor.fetchmany(row_cap + 1)
        except duckdb.Error as error:
            if fired.is_set():
                raise QueryFailed(f"query exceeded the {timeout_s:g}s time limit") from None
            raise QueryFailed(f"query failed: {error}") from None
    columns = [column[0] for column in cursor.description]
    return QueryResult(columns, rows[:row_cap], truncated=len(rows) > row_cap)


class GovernedReads:
    """Runs governed queries for a platform; holds the result cache."""

    def __init__(self, platform: Platform, cache: ResultCache | None = None) -> None:
        self.platform = platform
        self.cache = cache or ResultCache()

    def run(
        self,
        tenant_slug: str,
        email: str,
        sql: str,
        *,
        row_cap: int = DEFAULT_ROW_CAP,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> QueryResult:
        """Run ``sql`` as ``email`` of ``tenant_slug``; refused queries raise ``QueryRefused``."""
        tenant_id, reader = reader_for(self.platform, tenant_slug, email)
        warehouse = self.platform.warehouse(tenant_id, tenant_slug)
        started = time.perf_counter()
        compiled: CompiledQuery | None = None
        try:
            snapshot = warehouse.snapshots.current()  # read once: the key names what is attached
            with warehouse.read(snapshot) as connection:
                tables = visible_tables(connection, tenant_slug)
                compiled = compile_query(sql, "duckdb", reader, tables)
                key = cache_key(tenant_id, snapshot.sequence, reader, compiled.sql)
                result = self.cache.get(key)
                if result is None:
                    result = _execute(connection, compiled.sql, row_cap, timeout_s)
                    self.cache.put(key, result)
        except (QueryRefused, QueryFailed) as error:
            outcome = "refused" if isinstance(error, QueryRefused) else "failed"
            self._audit(tenant_id, email, sql, compiled, outcome, started, reason=str(error))
            raise
        self._audit(tenant_id, email, sql, compiled, "ok", started, row_count=result.row_count)
        return result

    def _audit(
        self,
        tenant_id: str,
        email: str,
        sql: str,
        compiled: CompiledQuery | None,
        outcome: str,
        started: float,
        **details: Any,
    ) -> None:
        audit.record(
            self.platform,
            tenant_id,
            actor=email,
            action="query",
            outcome=outcome,
            context={
                "sql": sql,
                "sql_executed": compiled.sql if compiled else None,
                "tables": list(compiled.tables) if compiled else [],
                "policies": list(compiled.policies) if compiled else [],
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                **details,
            },
        )
