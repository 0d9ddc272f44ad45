"""Governed queries: a tenant user's SQL, compiled for them, run isolated, audited every time."""

import time
from functools import lru_cache

from governance.errors import PermissionDenied
from governance.governed_query import LIMITS, GovernedReads, QueryResult
from governance.platform import Platform
from governance.readers import reader_for
from governance.store.models import User
from governance.warehouse.read_workers import ReadLimits
from services import exports
from services.context import ServiceContext
from services.exports import Export
from services.operations import Work, operation, unit_of_work


@lru_cache(maxsize=8)
def governed_reads(platform: Platform) -> GovernedReads:
    """The platform's query runner (one result cache and catalog cache per platform)."""
    return GovernedReads(platform)


def run_query(
    ctx: ServiceContext, tenant: str, sql: str, limits: ReadLimits = LIMITS
) -> QueryResult:
    """Run ``sql`` as the context's tenant user, through the governed path (needs ``data.read``).

    Every attempt is audited: the SQL as given and as executed, the tables and policies it read,
    its row count and duration, or why it was refused or failed.
    """
    return _governed(ctx, tenant, sql, limits, None)


def readable_tables(ctx: ServiceContext, tenant: str) -> dict[str, list[str]]:
    """The tables and columns the context's user may read (needs ``data.read``)."""
    with unit_of_work(ctx, tenant, "data.read") as work:
        user = reading_user(work)
        reader = reader_for(work.session, work.tenant_row, user)
        tenant_id = work.tenant_row.id
    return governed_reads(ctx.platform).readable_tables(tenant_id, reader)


def reading_user(work: Work) -> User:
    if work.user is None:
        raise PermissionDenied("queries run as one of the tenant's users (--as EMAIL)")
    return work.user


def export_query(
    ctx: ServiceContext, tenant: str, sql: str, export: Export, limits: ReadLimits = LIMITS
) -> QueryResult:
    """Run ``sql`` as ``run_query`` does and write the result to ``export``'s destination.

    Needs ``data.export`` too. The destination is checked before the query runs; the audit
    event names it, and says ``ok`` only once the file is written.
    """
    return _governed(ctx, tenant, sql, limits, export)


def _governed(
    ctx: ServiceContext, tenant: str, sql: str, limits: ReadLimits, export: Export | None
) -> QueryResult:
    started = time.perf_counter()
    with operation(ctx, "query" if export is None else "query.export", tenant) as op:
        op.note(sql=sql)
        try:
            if export is not None:
                op.note(destination=str(export.destination))
            with op.unit("data.read", records=False) as work:
                if export is not None:
                    work.require("data.export")
                    export = exports.checked_destination(ctx.platform.settings, export)
                reader = reader_for(work.session, work.tenant_row, reading_user(work))
                tenant_id = work.tenant_row.id
            reads = governed_reads(ctx.platform)
            compilation = reads.compile(tenant_id, reader, sql)
            query = compilation.query
            op.note(
                sql_executed=query.sql, tables=list(query.tables), policies=list(query.policies)
            )
            result = reads.execute(compilation, limits)
            if export is not None:
                exports.write(result, export)
        finally:
            op.note(duration_ms=round((time.perf_counter() - started) * 1000, 3))
        op.record_outcome("ok", row_count=result.row_count, truncated=result.truncated)
        return result
