"""The asset factory: one multi-asset per connector, partitioned by tenant connection.

A connector with static streams gets one asset per stream, keyed ``[connector, stream]``; a
connector whose streams depend on the connection's config (``files``) gets one asset
``[connector, "tables"]`` covering every table the connection loads. Materializing a partition
(``<tenant>.<connection>``) runs the ingestion service once and reports every asset with its rows,
duration, snapshot and columns, followed by its row-count and schema-drift checks. Loads started
elsewhere (``atspark ingest``, ``make run``) are reported the same way by the loads sensor.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DagsterInstance,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    multi_asset,
)

from assets.checks import (
    COLUMNS_METADATA,
    Columns,
    TableState,
    check_specs,
    inspect_warehouse,
    previous_columns,
    row_count_result,
    schema_drift_result,
)
from assets.partitions import dagster_name, parse_partition_key
from assets.resources import PlatformParam
from connectors.base import Connector
from governance.errors import NotFoundError
from governance.names import table_name

if TYPE_CHECKING:
    from governance.platform import Platform
    from pipelines.ingest import IngestResult
    from services.context import ServiceContext

# The services (and through them the control plane, KMS and dlt destination modules) are imported
# where a run needs them: loading the definitions (every code server, run worker and CLI call)
# then skips them.

DYNAMIC_STREAMS_ASSET = "tables"
"""Name of the single asset of a connector whose streams depend on each connection's config."""

CHILD_TABLE_SEPARATOR = "__"
"""dlt names nested tables ``<parent>__<field>``."""


@dataclass(frozen=True)
class IngestedAsset:
    """One asset of a connector: a stream, or (``stream`` None) all of a connection's tables."""

    key: AssetKey
    stream: str | None

    def claims(
        self, connection: str, loaded: Mapping[str, int], previous: Columns | None
    ) -> Callable[[str], bool]:
        """Which warehouse tables of ``connection`` belong to this asset."""
        if self.stream is None:
            known = set(loaded) | set(previous or {})
            return known.__contains__
        base = table_name(connection, self.stream)
        return lambda table: table == base or table.startswith(base + CHILD_TABLE_SEPARATOR)

    def required_tables(self, connection: str) -> set[str]:
        return set() if self.stream is None else {table_name(connection, self.stream)}


def ingested_assets(connector: Connector) -> list[IngestedAsset]:
    """The assets of ``connector``: one per static stream, else a single ``tables`` asset."""
    prefix = dagster_name(connector.name)
    streams = connector.streams()
    if not streams:
        return [IngestedAsset(AssetKey([prefix, DYNAMIC_STREAMS_ASSET]), None)]
    return [IngestedAsset(AssetKey([prefix, dagster_name(s.name)]), s.name) for s in streams]


def connector_assets(
    connector: Connector, partitions_def: DynamicPartitionsDefinition
) -> AssetsDefinition:
    """The multi-asset ingesting ``connector``'s connections, one partition per connection."""
    group = dagster_name(connector.name)
    targets = ingested_assets(connector)
    specs_by_stream = {s.name: s for s in connector.streams()}
    specs = []
    for target in targets:
        stream = specs_by_stream.get(target.stream) if target.stream else None
        specs.append(
            AssetSpec(
                key=target.key,
                group_name=group,
                description=_description(connector, target),
                kinds={"dlt"},
                metadata={
                    "connector": connector.name,
                    "stream": target.stream or "(per connection)",
                    "primary_key": (stream.primary_key if stream else None) or "",
                    "cursor": (stream.cursor if stream else None) or "",
                },
            )
        )

    @multi_asset(
        name=f"ingest_{group}",
        specs=specs,
        check_specs=[spec for target in targets for spec in check_specs(target.key)],
        partitions_def=partitions_def,
        description=f"Ingest one {connector.name} connection into its tenant's warehouse.",
        op_tags={"atspark/connector": connector.name},
    )
    def _ingest(
        context: AssetExecutionContext, platform: PlatformParam
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        yield from ingest_partition(context, platform, connector.name, targets)

    return _ingest


def ingest_partition(
    context: AssetExecutionContext,
    platform: "Platform",
    connector_name: str,
    targets: Iterable[IngestedAsset],
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Ingest the run's partition through the ingestion service, then report each asset and
    its checks."""
    from services import connections, ingestion
    from services.context import ServiceContext

    ctx = ServiceContext(platform, ingestion.DAGSTER)
    partition = context.partition_key
    tenant, connection = parse_partition_key(partition)
    try:
        connector_of_connection = connections.get_connection(ctx, tenant, connection).connector
    except NotFoundError as error:
        # The connection went away after the run was queued; the sensor drops its partition.
        raise Failure(f"partition {partition!r}: {error}", allow_retries=False) from None
    if connector_of_connection != connector_name:
        raise Failure(
            f"partition {partition!r} is a {connector_of_connection} connection, "
            f"not a {connector_name} one",
            allow_retries=False,
        )
    result = ingestion.ingest(ctx, tenant, connection, on_progress=context.log.info)
    context.log.info(f"loaded {result.total_rows} rows in {result.duration_s:.2f}s")
    yield from partition_events(context.instance, ctx, targets, partition, result)


def partition_events(
    instance: DagsterInstance,
    ctx: "ServiceContext",
    targets: Iterable[IngestedAsset],
    partition: str,
    result: "IngestResult",
) -> list[MaterializeResult | AssetCheckResult]:
    """What one load of ``partition`` reports: each asset's materialization, then its checks."""
    tenant, connection = parse_partition_key(partition)
    targets = list(targets)
    previous = {t.key: previous_columns(instance, t.key, partition) for t in targets}
    claims = {t.key: t.claims(connection, result.rows, previous[t.key]) for t in targets}
    current = inspect_warehouse(
        ctx, tenant, lambda table: any(claim(table) for claim in claims.values())
    )
    events: list[MaterializeResult | AssetCheckResult] = []
    for target in targets:
        claim = claims[target.key]
        candidates = set(result.rows) | set(current) | set(previous[target.key] or {})
        tables = sorted(target.required_tables(connection) | set(filter(claim, candidates)))
        columns = {table: current[table].columns for table in tables if table in current}
        events.append(
            MaterializeResult(
                asset_key=target.key, metadata=_metadata(target, result, tables, current, columns)
            )
        )
        events.append(
            row_count_result(
                target.key, partition, tables, result.rows, current, previous[target.key]
            )
        )
        events.append(schema_drift_result(target.key, partition, columns, previous[target.key]))
    return events


def _metadata(
    target: IngestedAsset,
    result: "IngestResult",
    tables: list[str],
    current: Mapping[str, TableState],
    columns: Columns,
) -> dict[str, object]:
    rows = {table: result.rows.get(table, 0) for table in tables}
    metadata: dict[str, object] = {
        "tenant": result.tenant,
        "connection": result.connection,
        "rows": MetadataValue.int(sum(rows.values())),
        "rows_by_table": MetadataValue.json(rows),
        "duration_s": MetadataValue.float(round(result.duration_s, 3)),
        COLUMNS_METADATA: MetadataValue.json(columns),
    }
    if result.snapshot is not None:
        metadata["snapshot"] = MetadataValue.int(result.snapshot)
    if target.stream is None:
        return metadata
    table = table_name(result.connection, target.stream)
    metadata["table"] = table
    state = current.get(table)
    columns_of_table = columns.get(table, {})
    # Dagster's well-known table metadata: shown in the UI's asset and column views.
    metadata["dagster/table_name"] = f"{result.tenant}.{table}"
    metadata["dagster/row_count"] = MetadataValue.int(state.row_count if state else 0)
    metadata["dagster/column_schema"] = MetadataValue.table_schema(
        TableSchema(columns=[TableColumn(name, kind) for name, kind in columns_of_table.items()])
    )
    return metadata


def _description(connector: Connector, target: IngestedAsset) -> str:
    if target.stream is None:
        return (
            f"Every table a {connector.name} connection loads (its streams depend on the "
            "connection's config), in the tenant's warehouse schema."
        )
    return (
        f"The {target.stream} stream of {connector.name}: table "
        f"<connection>_{target.stream} in the tenant's warehouse schema."
    )
