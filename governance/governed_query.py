"""The governed read path: compile for one reader, check again, run isolated, cache.

Every read of tenant data by a person goes through ``GovernedReads`` (called by the queries
service, which resolves the reader, checks their permission and audits every attempt): the SQL is
compiled by the RLS compiler for that reader against the published snapshot's tables and sent to a
worker process whose memory and time the operating system bounds (``read_workers``). There
DuckDB's own parser checks the compiled SQL reads nothing the compiler did not emit
(``duckdb_read_guard``); only then does it run, on a read-only connection with external access
disabled and configuration locked, under a row cap and a byte cap. What the reader sees never
quotes the compiled SQL or its policy filters; the engine's full error is kept for the audit trail.
"""

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from cachetools import LRUCache

from governance.errors import AtsparkError, NotFoundError
from governance.platform import Platform
from governance.result_cache import ResultCache, cache_key
from governance.rls.compiler import compile_query
from governance.rls.context import CompiledQuery, QueryRefused, Reader
from governance.warehouse.duckdb_files import WAREHOUSE_CATALOG, string_literal
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


@dataclass(frozen=True)
class Compilation:
    """A query compiled for one reader against one published snapshot, ready to run."""

    tenant_id: str
    reader: Reader
    query: CompiledQuery
    snapshot: Snapshot
    tables: tuple[str, ...]


class QueryFailed(AtsparkError):
    """The compiled query was accepted but failed or timed out while running.

    ``detail`` is the engine's full message, for the audit trail only.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def visible_tables(connection: duckdb.DuckDBPyConnection, schema: str) -> dict[str, dict[str, str]]:
    """The tenant's tables people may name, with their columns and types; no loader bookkeeping."""
    rows = connection.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns()"
        f" WHERE database_name = {string_literal(WAREHOUSE_CATALOG)}"
        f" AND schema_name = {string_literal(schema)} ORDER BY table_name, column_index"
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if not table.startswith(INTERNAL_TABLE_PREFIX):
            tables.setdefault(table, {})[column] = data_type
    return tables


def _result(outcome: ReadOutcome) -> QueryResult:
    """The worker's answer as a result, or the refusal or failure it reports."""
    if outcome.kind == "refused":
        raise QueryRefused(outcome.message, outcome.detail)
    if outcome.kind != "ok":
        raise QueryFailed(outcome.message, outcome.detail)
    return QueryResult(outcome.columns, outcome.rows, outcome.truncated, outcome.nbytes)


class GovernedReads:
    """Compiles and runs governed queries; holds the result cache and the catalogs it read.

    Who reads, whether they may, and the audit trail are the caller's (``services.queries``):
    this class only ever runs SQL the compiler produced for the ``Reader`` it is given.
    """

    def __init__(
        self,
        platform: Platform,
        cache: ResultCache | None = None,
        workers: ReadWorkers | None = None,
    ) -> None:
        self.platform = platform
        self.cache = cache or ResultCache()
        self.workers = workers or default_read_workers()
        self._catalogs: LRUCache[Path, dict[str, dict[str, str]]] = LRUCache(256)
        self._catalogs_lock = threading.Lock()

    def compile(self, tenant_id: str, reader: Reader, sql: str) -> Compilation:
        """``sql`` compiled for ``reader`` against the tenant's published snapshot."""
        warehouse = self.platform.warehouse(tenant_id, reader.tenant_schema)
        snapshot = warehouse.snapshots.current()  # read once: results are keyed by it
        if snapshot is None:
            raise NotFoundError("this tenant's warehouse has not been provisioned")
        tables = self._visible_tables(warehouse, snapshot)
        compiled = compile_query(sql, "duckdb", reader, tables)
        return Compilation(tenant_id, reader, compiled, snapshot, tuple(tables))

    def readable_tables(self, tenant_id: str, reader: Reader) -> dict[str, list[str]]:
        """The tables (with their columns) ``reader`` may read: every one for an unrestricted
        reader, those with a policy granted to them for anyone else; nothing of the others."""
        schema = self.readable_schema(tenant_id, reader)
        return {table: list(columns) for table, columns in schema.items()}

    def readable_schema(self, tenant_id: str, reader: Reader) -> dict[str, dict[str, str]]:
        """As ``readable_tables``, each column with its type."""
        warehouse = self.platform.warehouse(tenant_id, reader.tenant_schema)
        snapshot = warehouse.snapshots.current()
        if snapshot is None:
            return {}
        tables = self._visible_tables(warehouse, snapshot)
        if reader.unrestricted:
            return tables
        granted = {rule.table.lower() for rule in reader.policies}
        return {table: columns for table, columns in tables.items() if table.lower() in granted}

    def execute(self, compilation: Compilation, limits: ReadLimits = LIMITS) -> QueryResult:
        """Run a compilation in a read worker (or serve it from the cache)."""
        tenant_id, reader, compiled = compilation.tenant_id, compilation.reader, compilation.query
        key = cache_key(tenant_id, compilation.snapshot.sequence, reader, compiled.sql)
        result = self.cache.get(key)
        if result is None:
            wrappers = None if reader.unrestricted else compiled.wrappers
            guard = ReadGuard(reader.tenant_schema, compilation.tables, wrappers)
            warehouse = self.platform.warehouse(tenant_id, reader.tenant_schema)
            source = warehouse.attachment(compilation.snapshot)
            result = _result(self.workers.run(ReadRequest(source, compiled.sql, guard, limits)))
            self.cache.put(key, result)
        return result

    def _visible_tables(
        self, warehouse: TenantWarehouse, snapshot: Snapshot
    ) -> dict[str, dict[str, str]]:
        """The snapshot's visible tables; a published snapshot never changes, so they are kept."""
        with self._catalogs_lock:
            tables = self._catalogs.get(snapshot.path)
        if tables is None:
            with warehouse.read(snapshot) as connection:
                tables = visible_tables(connection, warehouse.schema)
            with self._catalogs_lock:
                self._catalogs[snapshot.path] = tables
        return tables
