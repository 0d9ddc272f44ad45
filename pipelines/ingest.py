"""Ingest one connection of one tenant: connector -> dlt -> a new warehouse snapshot.

The CLI (``atspark ingest``) and the Dagster assets both run this function.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dlt
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.base import ConnectionSpec
from connectors.registry import get_connector
from governance.errors import AtsparkError
from governance.platform import Platform
from governance.tenancy import connection_secrets, get_connection, get_tenant
from pipelines.destination import warehouse_destination
from pipelines.runtime import long_lived_objects_frozen
from pipelines.workspace import run_workspace

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class IngestResult:
    """What one run loaded: rows per warehouse table, how long it took, which snapshot it made."""

    tenant: str
    connection: str
    rows: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    snapshot: int | None = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def table_name(connection: str, stream: str) -> str:
    """The warehouse table a stream lands in: ``<connection>_<stream>``."""
    return f"{connection}_{stream}"


def pipeline_name(tenant: str, connection: str) -> str:
    return f"{tenant}__{connection}"


def ingest(
    platform: Platform,
    tenant_slug: str,
    connection_name: str,
    on_progress: ProgressCallback | None = None,
) -> IngestResult:
    """Run one (tenant, connection) pipeline into the tenant's warehouse.

    Extraction runs under a per-connection lock, so the same connection never runs twice at once;
    loading runs in the tenant's write queue on a private snapshot copy that is published only
    when the load succeeds. A crash therefore leaves the last published snapshot untouched, and
    the re-run resumes from the incremental state stored in it.
    """
    try:
        with long_lived_objects_frozen():
            return _ingest(platform, tenant_slug, connection_name, on_progress or (lambda _s: None))
    except PipelineStepFailed as failure:
        cause = _user_error(failure)
        if cause is None:
            raise
        raise cause from None


def _ingest(
    platform: Platform, tenant_slug: str, connection_name: str, report: ProgressCallback
) -> IngestResult:
    started = time.perf_counter()
    tenant = get_tenant(platform, tenant_slug)
    connection = get_connection(platform, tenant_slug, connection_name)
    connector = get_connector(connection.connector)
    spec = ConnectionSpec(
        tenant=tenant.slug,
        name=connection.name,
        config=connection.config,
        secrets=connection_secrets(platform, tenant_slug, connection_name),
    )
    warehouse = platform.warehouse(tenant.id, tenant.slug)
    with (
        warehouse.snapshots.lock(f"connection-{connection.name}"),
        run_workspace(platform.settings.runs_dir) as workspace,
    ):
        with warehouse.read_for_load() as current:
            pipeline = dlt.pipeline(
                pipeline_name=pipeline_name(tenant.slug, connection.name),
                pipelines_dir=str(workspace),
                destination=warehouse_destination(current),
                dataset_name=tenant.slug,
            )
            pipeline.sync_destination()  # incremental state, as the last published load left it
            report("extracting")
            pipeline.extract(_named_tables(connector.source(spec), connection.name))
        report("normalizing")
        rows = _user_rows(pipeline.normalize().row_counts)
        report("loading")
        with warehouse.write() as draft:
            pipeline.load(destination=warehouse_destination(draft))
        snapshot = warehouse.last_published
    report("published")
    return IngestResult(
        tenant.slug,
        connection.name,
        rows,
        time.perf_counter() - started,
        snapshot.sequence if snapshot else None,
    )


def _user_error(failure: BaseException) -> AtsparkError | None:
    """The connector's own user-facing error inside dlt's wrapping, if that is what failed."""
    seen: BaseException | None = failure
    while seen is not None:
        if isinstance(seen, AtsparkError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _named_tables(source: DltSource, connection: str) -> DltSource:
    for resource in source.resources.values():
        resource.apply_hints(table_name=table_name(connection, resource.name))
    return source


def _user_rows(row_counts: dict[str, int]) -> dict[str, int]:
    return {table: count for table, count in row_counts.items() if not table.startswith("_dlt")}
