"""Ingest one connection of one tenant: connector -> dlt -> a new warehouse snapshot.

Called by the ingestion service (``services.ingestion``), which every caller (the CLI, Dagster,
``make run``) goes through: it resolves the connection and its secrets, checks permissions and
records the load. Nothing here touches the control plane.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import dlt
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.base import SecretsSaver
from connectors.registry import get_connector
from governance.errors import AtsparkError
from governance.names import table_name
from governance.platform import Platform
from pipelines.connection_spec import connection_spec
from pipelines.destination import warehouse_destination
from pipelines.runtime import long_lived_objects_frozen
from pipelines.workspace import run_workspace

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class LoadTarget:
    """What one run loads: a tenant's connection, with its decrypted secrets (in memory only)."""

    tenant_id: str
    tenant: str
    connection: str
    connector: str
    config: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    save_secrets: SecretsSaver | None = field(default=None, repr=False, compare=False)
    """Where the connector's changed secrets (a rotated refresh token) go to be stored."""


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


def pipeline_name(tenant: str, connection: str) -> str:
    return f"{tenant}__{connection}"


def ingest(
    platform: Platform, target: LoadTarget, on_progress: ProgressCallback | None = None
) -> IngestResult:
    """Run one (tenant, connection) pipeline into the tenant's warehouse.

    Extraction runs under a per-connection lock, so the same connection never runs twice at once;
    loading runs in the tenant's write queue on a private snapshot copy that is published only
    when the load succeeds. A crash therefore leaves the last published snapshot untouched, and
    the re-run resumes from the incremental state stored in it.
    """
    try:
        with long_lived_objects_frozen():
            return _ingest(platform, target, on_progress or (lambda _s: None))
    except PipelineStepFailed as failure:
        cause = _user_error(failure)
        if cause is None:
            raise
        raise cause from None


def _ingest(platform: Platform, target: LoadTarget, report: ProgressCallback) -> IngestResult:
    started = time.perf_counter()
    connector = get_connector(target.connector)
    spec = connection_spec(
        platform.settings,
        target.tenant,
        target.connection,
        connector.parse_config(target.config),
        target.secrets,
        target.save_secrets,
    )
    connector.validate(spec)
    warehouse = platform.warehouse(target.tenant_id, target.tenant)
    with (
        warehouse.snapshots.lock(f"connection-{target.connection}"),
        run_workspace(platform.settings.runs_dir) as workspace,
    ):
        with warehouse.read_for_load() as current:
            pipeline = dlt.pipeline(
                pipeline_name=pipeline_name(target.tenant, target.connection),
                pipelines_dir=str(workspace),
                destination=warehouse_destination(current),
                dataset_name=target.tenant,
            )
            pipeline.sync_destination()  # incremental state, as the last published load left it
            report("extracting")
            pipeline.extract(_for_connection(connector.source(spec), target.connection))
        report("normalizing")
        rows = _user_rows(pipeline.normalize().row_counts)
        report("loading")
        with warehouse.write() as draft:
            pipeline.load(destination=warehouse_destination(draft))
        snapshot = warehouse.last_published
    report("published")
    return IngestResult(
        target.tenant,
        target.connection,
        rows,
        time.perf_counter() - started,
        snapshot.sequence if snapshot else None,
    )


def _user_error(failure: BaseException) -> AtsparkError | None:
    """What to tell the user when a run failed inside dlt: the connector's own error, or an
    HTTP failure that outlasted the retries (status and path only: a query may hold a key)."""
    from requests import exceptions as http

    seen: BaseException | None = failure
    while seen is not None:
        if isinstance(seen, AtsparkError):
            return seen
        if isinstance(seen, http.RequestException):
            return _http_failure(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _http_failure(error: Any) -> AtsparkError:
    """One line for an HTTP failure: what happened and where (host and path, never the query,
    which may carry a key, nor the vendor's body, which may echo it)."""
    from requests import exceptions as http

    request = (
        error.request if error.request is not None else getattr(error.response, "request", None)
    )
    url = urlsplit(getattr(request, "url", "") or "")
    where = f"{url.hostname or 'the API'}{url.path}"
    if isinstance(error, http.HTTPError) and error.response is not None:
        return AtsparkError(
            f"the API answered HTTP {error.response.status_code} on {where} after retries"
        )
    if isinstance(error, http.JSONDecodeError):
        return AtsparkError(f"the API answered {where} with a body that is not JSON")
    if isinstance(error, http.TooManyRedirects):
        return AtsparkError(f"the API redirected {where} too many times")
    if isinstance(error, http.ConnectionError | http.Timeout):
        return AtsparkError(
            f"could not reach {url.hostname or 'the API'} after retries ({type(error).__name__})"
        )
    return AtsparkError(f"the request to {where} failed ({type(error).__name__})")


def _for_connection(source: DltSource, connection: str) -> DltSource:
    """The connector's source named after the connection, its tables ``<connection>_<stream>``.

    The pipeline owns these names, never the connector: two connections of one connector
    (two ``files`` folders, two Stripe accounts) keep separate dlt schemas and tables.
    """
    named = source.clone(with_name=connection)
    for resource in named.resources.values():
        resource.apply_hints(table_name=table_name(connection, resource.name))
    return named


def _user_rows(row_counts: dict[str, int]) -> dict[str, int]:
    return {table: count for table, count in row_counts.items() if not table.startswith("_dlt")}
