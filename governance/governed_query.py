"""The governed read path: compile for one user, check again, run isolated, audit, cache.

Every read of tenant data by a person goes through ``GovernedReads.run``: the SQL is compiled by
the RLS compiler for that user against the published snapshot's tables and sent to a worker
process whose memory and time the operating system bounds (``read_workers``). There DuckDB's own
parser checks the compiled SQL reads nothing the compiler did not emit (``duckdb_read_guard``);
only then does it run, on a read-only connection with external access disabled and configuration
locked, under a row cap and a byte cap. Every attempt, refused or not, is written to the tenant's
audit trail: the SQL given and executed and the engine's full error stay there; what the reader
sees never quotes the compiled SQL or its policy filters.
"""

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from cachetools import LRUCache

from governance import audit
from governance.errors import AtsparkError
from governance.platform import Platform
from governance.readers import reader_for
from governance.result_cache import ResultCache, cache_key
from governance.rls.compiler import compile_query
from governance.rls.context import CompiledQuery, QueryRefused
from governance.warehouse.duckdb_files import WAREHOUSE_CATALOG
from governance.warehouse.read_workers import (
    ReadGuard,
    ReadLimits,
    ReadOutcome,
    ReadRequest,
    ReadWorkers,
    default_read_workers,
)
from governance.warehouse.snapshots import Snapshot
from governance.warehouse.tenant_warehouse import TenantWarehouse

INTERNAL_TABLE_PREFIX = "_dlt"
LIMITS = ReadLimits()


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


def _result(outcome: ReadOutcome) -> QueryResult:
    """The worker's answer as a result, or the refusal or failure it reports."""
    if outcome.kind == "refused":
        raise QueryRefused(outcome.message, outcome.detail)
    if outcome.kind != "ok":
        raise QueryFailed(outcome.message, outcome.detail)
    return QueryResult(outcome.columns, outcome.rows, outcome.truncated, outcome.nbytes)


class GovernedReads:
    """Runs governed queries for a platform; holds the result cache."""

    def __init__(
        self,
        platform: Platform,
        cache: ResultCache | None = None,
        workers: ReadWorkers | None = None,
    ) -> None:
        self.platform = platform
        self.cache = cache or ResultCache()
        self.workers = workers or default_read_workers()
        self._catalogs: LRUCache[Path, dict[str, list[str]]] = LRUCache(256)
        self._catalogs_lock = threading.Lock()

    def run(
        self,
        tenant_slug: str,
        email: str,
        sql: str,
        *,
        row_cap: int = LIMITS.row_cap,
        timeout_s: float = LIMITS.timeout_s,
        byte_cap: int = LIMITS.byte_cap,
        memory_limit: int = LIMITS.memory_limit,
    ) -> QueryResult:
        """Run ``sql`` as ``email`` of ``tenant_slug``; refused queries raise ``QueryRefused``."""
        limits = ReadLimits(row_cap, byte_cap, timeout_s, memory_limit)
        tenant_id, reader = reader_for(self.platform, tenant_slug, email)
        warehouse = self.platform.warehouse(tenant_id, tenant_slug)
        started = time.perf_counter()
        compiled: CompiledQuery | None = None
        try:
            snapshot = warehouse.snapshots.current()  # read once: the key names what is attached
            tables = self._visible_tables(warehouse, snapshot)
            compiled = compile_query(sql, "duckdb", reader, tables)
            key = cache_key(tenant_id, snapshot.sequence, reader, compiled.sql)
            result = self.cache.get(key)
            if result is None:
                wrappers = None if reader.unrestricted else compiled.wrappers
                guard = ReadGuard(reader.tenant_schema, tuple(tables), wrappers)
                source = warehouse.attachment(snapshot)
                result = _result(self.workers.run(ReadRequest(source, compiled.sql, guard, limits)))
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

    def _visible_tables(
        self, warehouse: TenantWarehouse, snapshot: Snapshot
    ) -> dict[str, list[str]]:
        """The snapshot's visible tables; a published snapshot never changes, so they are kept."""
        with self._catalogs_lock:
            tables = self._catalogs.get(snapshot.path)
        if tables is None:
            with warehouse.read(snapshot) as connection:
                tables = visible_tables(connection, warehouse.schema)
            with self._catalogs_lock:
                self._catalogs[snapshot.path] = tables
        return tables

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
