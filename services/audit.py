"""A tenant's audit trail: read by those allowed to, verified by anyone who operates it."""

from governance import audit
from governance.store.models import AuditEvent
from services.context import ServiceContext
from services.operations import operation


def list_events(ctx: ServiceContext, tenant: str) -> list[AuditEvent]:
    """The tenant's audit events, oldest first (reading them is itself audited)."""
    with operation(ctx, "audit.read", tenant) as op, op.unit("audit.read") as work:
        found = audit.events(work.session, work.tenant_row.id)
        op.note(events=len(found))
        return found


def verify(ctx: ServiceContext, tenant: str) -> int | None:
    """The sequence of the first event that breaks the tenant's chain, or None when it holds."""
    with operation(ctx, "audit.verify", tenant) as op, op.unit("audit.read") as work:
        broken = audit.verify_chain(work.session, work.tenant_row.id)
        op.note(broken_at=broken)
        return broken
