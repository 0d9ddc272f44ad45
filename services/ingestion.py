"""Ingestion: load a tenant's connection into its warehouse, and record every load.

Every load, whoever starts it (``atspark ingest``, ``make run``, a Dagster run), goes through
``ingest``: one unit of work reads the connection and decrypts its secrets, the load runs outside
any transaction, and a second unit records it as a ``Load`` row with its audit event. Dagster
reports loads it did not run itself as materializations of the connection's partition (the
``loads`` sensor), so its UI shows every load and runs the checks on it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import func, select

from connectors.oauth import ReauthorizationNeeded
from governance import tenancy
from governance.store.models import Load, utcnow
from pipelines.ingest import IngestResult, LoadTarget, ProgressCallback
from pipelines.ingest import ingest as run_load
from services import oauth
from services.context import Operator, ServiceContext
from services.operations import operation, unit_of_work

PERMISSION = "connections.manage"
DAGSTER = Operator("dagster")


@dataclass(frozen=True)
class LoadRecord:
    """A load as Dagster needs it to report a materialization."""

    id: int
    tenant: str
    connection: str
    connector: str
    finished_at: datetime
    duration_s: float
    snapshot: int | None
    rows: dict[str, int]

    def as_result(self) -> IngestResult:
        return IngestResult(self.tenant, self.connection, self.rows, self.duration_s, self.snapshot)


def _save_rotated_secrets(
    ctx: ServiceContext, tenant: str, connection: str, changed: Mapping[str, str]
) -> None:
    """Store secrets a connector changed in the middle of a load (a rotated OAuth2 refresh
    token: the old one no longer works), in their own unit of work, at once and audited."""
    with operation(ctx, "connection.secrets_rotated", tenant) as op:
        op.note(connection=connection, secrets=sorted(changed))
        with op.unit(PERMISSION) as work:
            found = tenancy.find_connection(work.session, work.tenant_row, connection)
            tenancy.replace_connection_secrets(ctx.platform, work.tenant_row, found, dict(changed))


def ingest(
    ctx: ServiceContext,
    tenant: str,
    connection: str,
    on_progress: ProgressCallback | None = None,
) -> IngestResult:
    """Load ``connection`` of ``tenant``: a new snapshot with what the source has that is new."""
    with operation(ctx, "ingest", tenant) as op:
        op.note(connection=connection)
        with op.unit(PERMISSION, records=False) as work:
            found = tenancy.find_connection(work.session, work.tenant_row, connection)
            oauth.check_runnable(found)
            target = LoadTarget(
                work.tenant_row.id,
                work.tenant_row.slug,
                found.name,
                found.connector,
                dict(found.config),
                tenancy.connection_secrets(ctx.platform, work.tenant_row, found),
                partial(_save_rotated_secrets, ctx, tenant, connection),
            )
        try:
            result = run_load(ctx.platform, target, on_progress)
        except ReauthorizationNeeded as refused:
            oauth.mark_needs_reauthorization(ctx, tenant, connection, str(refused))
            raise
        with op.unit() as work:
            work.session.add(
                Load(
                    tenant_id=target.tenant_id,
                    tenant_slug=target.tenant,
                    connection=target.connection,
                    connector=target.connector,
                    started_by=work.actor,
                    duration_s=result.duration_s,
                    snapshot=result.snapshot,
                    rows=result.rows,
                    # A Dagster run reports its own materialization.
                    reported_at=utcnow() if ctx.principal == DAGSTER else None,
                )
            )
            op.note(rows=result.total_rows, snapshot=result.snapshot)
        return result


def connection_names(ctx: ServiceContext, tenant: str) -> list[str]:
    """The names of a tenant's connections, in order."""
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return [c.name for c in tenancy.list_connections(work.session, work.tenant_row)]


def unreported_loads(ctx: ServiceContext, limit: int = 100) -> list[LoadRecord]:
    """Loads Dagster has not reported yet, oldest first (the operator only)."""
    with unit_of_work(ctx) as work:
        work.require_operator()
        query = select(Load).where(Load.reported_at.is_(None)).order_by(Load.id).limit(limit)
        return [_record(load) for load in work.session.scalars(query)]


def mark_reported(ctx: ServiceContext, ids: Sequence[int]) -> None:
    """Note that Dagster has reported these loads."""
    with unit_of_work(ctx, writes=True) as work:
        work.require_operator()
        for load in work.session.scalars(select(Load).where(Load.id.in_(list(ids)))):
            load.reported_at = utcnow()


@dataclass(frozen=True)
class ConnectionStatus:
    """A connection as its tenant's readers see it: no config or secrets, its last load."""

    name: str
    connector: str
    last_load: LoadRecord | None


def connection_status(ctx: ServiceContext, tenant: str) -> list[ConnectionStatus]:
    """Each of the tenant's connections with its latest load (needs ``data.read``)."""
    with unit_of_work(ctx, tenant, "data.read") as work:
        latest = (
            select(func.max(Load.id))
            .where(Load.tenant_id == work.tenant_row.id)
            .group_by(Load.connection)
        )
        loads = {
            load.connection: _record(load)
            for load in work.session.scalars(select(Load).where(Load.id.in_(latest)))
        }
        return [
            ConnectionStatus(c.name, c.connector, loads.get(c.name))
            for c in tenancy.list_connections(work.session, work.tenant_row)
        ]


def _record(load: Load) -> LoadRecord:
    return LoadRecord(
        load.id, load.tenant_slug, load.connection, load.connector, load.finished_at,
        load.duration_s, load.snapshot, dict(load.rows),
    )  # fmt: skip
