"""Governed queries: a tenant user's SQL, compiled for them, run isolated, audited every time."""

import time
from functools import lru_cache

from governance.errors import PermissionDenied
from governance.governed_query import LIMITS, GovernedReads, QueryResult
from governance.platform import Platform
from governance.readers import reader_for
from governance.warehouse.read_workers import ReadLimits
from services.context import ServiceContext
from services.operations import operation


@lru_cache(maxsize=8)
def governed_reads(platform: Platform) -> GovernedReads:
    """The platform's query runner (one result cache and catalog cache per platform)."""
    return GovernedReads(platform)


def run_query(
    ctx: ServiceContext, tenant: str, sql: str, limits: ReadLimits = LIMITS, *, export: bool = False
) -> QueryResult:
    """Run ``sql`` as the context's tenant user, through the governed path.

    Needs ``data.read``, and ``data.export`` when the result leaves the platform as a file.
    Every attempt is audited: the SQL as given and as executed, the tables and policies it read,
    its row count and duration, or why it was refused or failed.
    """
    started = time.perf_counter()
    with operation(ctx, "query.export" if export else "query", tenant) as op:
        op.note(sql=sql)
        try:
            with op.unit("data.read", records=False) as work:
                if export:
                    work.require("data.export")
                if work.user is None:
                    raise PermissionDenied("queries run as one of the tenant's users (--as EMAIL)")
                reader = reader_for(work.session, work.tenant_row, work.user)
                tenant_id = work.tenant_row.id
            reads = governed_reads(ctx.platform)
            compilation = reads.compile(tenant_id, reader, sql)
            query = compilation.query
            op.note(
                sql_executed=query.sql, tables=list(query.tables), policies=list(query.policies)
            )
            result = reads.execute(compilation, limits)
        finally:
            op.note(duration_ms=round((time.perf_counter() - started) * 1000, 3))
        op.record_outcome("ok", row_count=result.row_count, truncated=result.truncated)
        return result
