"""The governed read path: compile for one user, check again, run locked down, audit, cache.

Every read of tenant data by a person goes through ``GovernedReads.run``: the SQL is compiled by
the RLS compiler for that user; the executing connection parses the compiled SQL with DuckDB's
own parser and checks it reads nothing the compiler did not emit (``duckdb_read_guard``); only
then does it run, on a read-only connection with external access disabled, configuration locked,
a memory limit, a statement timeout, a row cap and a byte cap. Every attempt, refused or not, is
written to the tenant's audit trail: the SQL given and executed and the engine's full error stay
there; what the reader sees never quotes the compiled SQL or its policy filters.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from governance import audit
from governance.errors import AtsparkError
from governance.platform import Platform
from governance.readers import reader_for
from governance.result_cache import ResultCache, cache_key
from governance.rls.compiler import compile_query
from governance.rls.context import CompiledQuery, QueryRefused, Reader
from governance.rls.passes.render_predicates import ROW_ALIAS
from governance.warehouse.duckdb_files import WAREHOUSE_CATALOG
from governance.warehouse.duckdb_read_guard import check_read
from governance.warehouse.tenant_warehouse import READ_MEMORY_LIMIT

INTERNAL_TABLE_PREFIX = "_dlt"
DEFAULT_ROW_CAP = 10_000
DEFAULT_BYTE_CAP = 32 * 1024**2
DEFAULT_TIMEOUT_S = 30.0
_FETCH_BATCH = 1_000


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    nbytes: int = 0
    """The result's size as JSON, what the byte cap counts."""

    @property
    def row_count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class ReadLimits:
    """What one governed read may take: rows returned, result bytes, seconds, engine memory."""

    row_cap: int = DEFAULT_ROW_CAP
    byte_cap: int = DEFAULT_BYTE_CAP
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_limit: int = READ_MEMORY_LIMIT


class QueryFailed(AtsparkError):
    """The compiled query was accepted but failed or timed out while running.

    ``detail`` is the engine's full message, for the audit trail only.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


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


def _execute(connection: duckdb.DuckDBPyConnection, sql: str, limits: ReadLimits) -> QueryResult:
    with _deadline(connection, limits.timeout_s) as fired:
        try:
            cursor = connection.execute(sql)
            rows, nbytes = _fetch(cursor, limits)
        except duckdb.OutOfMemoryException:
            raise QueryRefused(
                f"the query needs more than the {_size(limits.memory_limit)} of memory a read "
                "may use: filter or aggregate more"
            ) from None
        except duckdb.Error as error:
            if fired.is_set():
                raise QueryFailed(f"query exceeded the {limits.timeout_s:g}s time limit") from None
            raise QueryFailed(f"query failed: {_for_reader(error)}", detail=str(error)) from None
    columns = [column[0] for column in cursor.description]
    truncated = len(rows) > limits.row_cap
    return QueryResult(columns, rows[: limits.row_cap], truncated=truncated, nbytes=nbytes)


def _fetch(
    cursor: duckdb.DuckDBPyConnection, limits: ReadLimits
) -> tuple[list[tuple[Any, ...]], int]:
    """Up to one row more than the row cap; refused once the rows exceed the byte cap."""
    rows: list[tuple[Any, ...]] = []
    nbytes = 0
    while len(rows) <= limits.row_cap:
        batch = cursor.fetchmany(min(_FETCH_BATCH, limits.row_cap + 1 - len(rows)))
        if not batch:
            break
        nbytes += len(orjson.dumps(batch, default=str, option=orjson.OPT_NON_STR_KEYS))
        if nbytes > limits.byte_cap:
            raise QueryRefused(
                f"the result is larger than the {_size(limits.byte_cap)} a read may return: "
                "select fewer columns or rows"
            )
        rows.extend(batch)
    return rows, nbytes


def _for_reader(error: duckdb.Error) -> str:
    """The engine's message as a reader may see it: its first line, never the compiled SQL."""
    first_line = str(error).split("\n", 1)[0].strip()
    if ROW_ALIAS in first_line or not first_line:
        return "the warehouse could not run it (the details are in the audit trail)"
    return first_line


def _size(nbytes: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= factor:
            return f"{nbytes / factor:g} {unit}"
    return f"{nbytes} bytes"


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
        byte_cap: int = DEFAULT_BYTE_CAP,
        memory_limit: int = READ_MEMORY_LIMIT,
    ) -> QueryResult:
        """Run ``sql`` as ``email`` of ``tenant_slug``; refused queries raise ``QueryRefused``."""
        limits = ReadLimits(row_cap, byte_cap, timeout_s, memory_limit)
        tenant_id, reader = reader_for(self.platform, tenant_slug, email)
        warehouse = self.platform.warehouse(tenant_id, tenant_slug)
        started = time.perf_counter()
        compiled: CompiledQuery | None = None
        try:
            snapshot = warehouse.snapshots.current()  # read once: the key names what is attached
            with warehouse.read(snapshot, memory_limit=memory_limit) as connection:
                tables = visible_tables(connection, tenant_slug)
                compiled = compile_query(sql, "duckdb", reader, tables)
                key = cache_key(tenant_id, snapshot.sequence, reader, compiled.sql)
                result = self.cache.get(key)
                if result is None:
                    _check_with_engine(connection, compiled, reader, tables)
                    result = _execute(connection, compiled.sql, limits)
                    self.cache.put(key, result)
        except (QueryRefused, QueryFailed) as error:
            outcome = "refused" if isinstance(error, QueryRefused) else "failed"
            detail = {"detail": error.detail} if error.detail else {}
            self._audit(
                tenant_id, email, sql, compiled, outcome, started, reason=str(error), **detail
            )
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


def _check_with_engine(
    connection: duckdb.DuckDBPyConnection,
    compiled: CompiledQuery,
    reader: Reader,
    tables: dict[str, list[str]],
) -> None:
    """The second barrier: DuckDB's own parse of the compiled SQL reads only what it may."""
    wrappers = None if reader.unrestricted else compiled.wrappers
    check_read(
        connection, compiled.sql, schema=reader.tenant_schema, tables=tables, wrappers=wrappers
    )
