"""Asset checks run with every ingestion: row counts and schema drift.

Both checks are declared per asset (not per partition); each result names the partition (the
tenant's connection) it was computed for. They read the tenant's warehouse read-only, through
``TenantWarehouse.read()``, and look only at table names, column names and types, and row counts.

The columns of an asset's tables are recorded in each materialization's metadata under
``columns`` (``{table: {column: type}}``); the drift check compares the warehouse after a run with
the columns recorded by the previous materialization of the same partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    MetadataValue,
)

if TYPE_CHECKING:
    from services.context import ServiceContext

ROW_COUNT_CHECK = "row_count"
SCHEMA_DRIFT_CHECK = "schema_drift"
COLUMNS_METADATA = "columns"

Columns = dict[str, dict[str, str]]
"""Columns of some tables: ``{table: {column: type}}``."""


def check_specs(key: AssetKey) -> list[AssetCheckSpec]:
    """The checks every ingested asset carries."""
    return [
        AssetCheckSpec(
            ROW_COUNT_CHECK,
            asset=key,
            description=(
                "After the run, every table of the asset exists in the tenant's warehouse and "
                "holds at least as many rows as the run loaded into it."
            ),
        ),
        AssetCheckSpec(
            SCHEMA_DRIFT_CHECK,
            asset=key,
            description=(
                "The columns of the asset's tables match those recorded by the previous "
                "materialization of the same connection; added or removed columns warn."
            ),
        ),
    ]


@dataclass(frozen=True)
class TableState:
    """A warehouse table as the checks see it: its columns and how many rows it holds."""

    columns: dict[str, str]
    row_count: int


def inspect_warehouse(
    ctx: ServiceContext, tenant_slug: str, relevant: Callable[[str], bool]
) -> dict[str, TableState]:
    """Columns and row counts of the tenant's tables for which ``relevant(table)`` holds."""
    from services.tenants import get_tenant  # at run time only: see assets.resources

    tenant = get_tenant(ctx, tenant_slug)
    warehouse = ctx.platform.warehouse(tenant.id, tenant.slug)
    with warehouse.read() as connection:
        rows = connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? "
            "ORDER BY table_name, ordinal_position",
            [warehouse.schema],
        ).fetchall()
        columns: Columns = {}
        for table, column, data_type in rows:
            if relevant(table):
                columns.setdefault(table, {})[column] = data_type
        return {
            table: TableState(table_columns, _row_count(connection, warehouse.schema, table))
            for table, table_columns in columns.items()
        }


def _row_count(connection, schema: str, table: str) -> int:
    (count,) = connection.execute(
        f"SELECT count(*) FROM {_ident(schema)}.{_ident(table)}"
    ).fetchone()
    return int(count)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def previous_columns(instance: DagsterInstance, key: AssetKey, partition: str) -> Columns | None:
    """The columns recorded by the asset's last materialization of ``partition``, if any."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    recorded = records[0].asset_materialization.metadata.get(COLUMNS_METADATA)
    if recorded is None or not isinstance(recorded.value, dict):
        return None
    return {table: dict(columns) for table, columns in recorded.value.items()}


def row_count_result(
    key: AssetKey,
    partition: str,
    tables: Iterable[str],
    loaded: Mapping[str, int],
    current: Mapping[str, TableState],
    previous: Columns | None,
) -> AssetCheckResult:
    """Pass when every table exists and holds at least the rows loaded into it this run.

    A table that has never received a row (nothing loaded now, nothing recorded before) may not
    exist yet: dlt creates a table with its first row.
    """
    known_before = set(previous or {})
    problems: list[str] = []
    counts: dict[str, dict[str, int | None]] = {}
    for table in sorted(tables):
        rows_loaded = loaded.get(table, 0)
        state = current.get(table)
        counts[table] = {
            "rows_loaded": rows_loaded,
            "row_count": state.row_count if state else None,
        }
        if state is None:
            if rows_loaded or table in known_before:
                problems.append(f"{table} is missing from the warehouse")
        elif state.row_count < rows_loaded:
            problems.append(
                f"{table} holds {state.row_count} rows but this run loaded {rows_loaded}"
            )
    return AssetCheckResult(
        asset_key=key,
        check_name=ROW_COUNT_CHECK,
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        description="; ".join(problems) or "every table holds at least the rows loaded",
        metadata={"partition": partition, "tables": MetadataValue.json(counts)},
    )


def schema_drift(previous: Columns, current: Columns) -> dict[str, dict[str, list[str]]]:
    """Per table recorded before, the columns added, removed or retyped since.

    A table first seen now (its first rows arrived) has no baseline: it is not drift. A table
    recorded before and gone now has all its columns removed.
    """
    changes: dict[str, dict[str, list[str]]] = {}
    for table in sorted(previous):
        before, after = previous[table], current.get(table, {})
        change = {
            "added": sorted(set(after) - set(before)),
            "removed": sorted(set(before) - set(after)),
            "retyped": sorted(
                f"{column}: {before[column]} -> {after[column]}"
                for column in set(before) & set(after)
                if before[column] != after[column]
            ),
        }
        change = {kind: columns for kind, columns in change.items() if columns}
        if change:
            changes[table] = change
    return changes


def schema_drift_result(
    key: AssetKey, partition: str, current: Columns, previous: Columns | None
) -> AssetCheckResult:
    """Warn (``passed=False``, severity WARN) when the columns changed since the last run."""
    if previous is None:
        return AssetCheckResult(
            asset_key=key,
            check_name=SCHEMA_DRIFT_CHECK,
            passed=True,
            description="first materialization of this connection: columns recorded",
            metadata={"partition": partition},
        )
    changes = schema_drift(previous, current)
    new_tables = sorted(set(current) - set(previous))
    return AssetCheckResult(
        asset_key=key,
        check_name=SCHEMA_DRIFT_CHECK,
        passed=not changes,
        severity=AssetCheckSeverity.WARN,
        description=_describe(changes) or "columns unchanged since the previous run",
        metadata={
            "partition": partition,
            "changes": MetadataValue.json(changes),
            "new_tables": MetadataValue.json(new_tables),
        },
    )


def _describe(changes: Mapping[str, Mapping[str, list[str]]]) -> str:
    return "; ".join(
        f"{table}: " + ", ".join(f"{kind} {', '.join(columns)}" for kind, columns in kinds.items())
        for table, kinds in changes.items()
    )
