"""Compiled SQL as the governed path runs it: checked by DuckDB's own parser first."""

from collections.abc import Collection

from governance.rls.context import CompiledQuery, Reader
from governance.warehouse.duckdb_read_guard import check_read


def engine_checked(compiled: CompiledQuery, reader: Reader, tables: Collection[str]) -> str:
    """``compiled.sql`` once ``duckdb_read_guard`` accepts it (it raises QueryRefused if not)."""
    wrappers = None if reader.unrestricted else compiled.wrappers
    check_read(compiled.sql, schema=reader.tenant_schema, tables=tables, wrappers=wrappers)
    return compiled.sql
