"""The audit trail: read and exported by those allowed to; verified and purged by the operator.

Working across chains (``verify_all``, ``purge`` without a tenant) is the operator's alone:
deleted tenants' chains and the platform's belong to no tenant. A chain is named by its
tenant's slug, ``deleted tenant <id>`` or ``the platform``.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit
from governance.audit_sinks import Destination, FileDestination, parse_destination
from governance.audit_sinks.records import json_lines
from governance.errors import AtsparkError
from governance.settings import Settings
from governance.store.models import AuditEvent, Tenant, utcnow
from services import exports
from services.context import ServiceContext
from services.operations import operation

PLATFORM = "the platform"


def list_events(
    ctx: ServiceContext,
    tenant: str,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEvent]:
    """The tenant's audit events, oldest first (or newest first): only ``actor``'s, only
    ``action``, from ``since`` and before ``until``, the first ``limit`` in that order (filtered
    in SQL). Reading them is audited."""
    filters = {"actor": actor, "action": action, "since": since, "until": until, "limit": limit}
    with operation(ctx, "audit.read", tenant) as op, op.unit("audit.read") as work:
        op.note(**_given(filters))
        found = audit.events(work.session, work.tenant_row.id, **filters, newest_first=newest_first)
        op.note(events=len(found))
        return found


def verify(ctx: ServiceContext, tenant: str) -> int | None:
    """The sequence of the first event that breaks the tenant's chain, or None when it holds."""
    with operation(ctx, "audit.verify", tenant) as op:
        with op.unit("audit.read", records=False) as work:
            chain = work.tenant_row.id
        broken = _first_broken(ctx, {chain: tenant})[tenant]
        op.record_outcome("ok", broken_at=broken)
        return broken


def verify_all(ctx: ServiceContext) -> dict[str, int | None]:
    """Every chain's first broken event (None: the chain holds), by the chain's name."""
    with operation(ctx, "audit.verify") as op:
        with op.unit(records=False) as work:
            work.require_operator()
            chains = _chains(work.session)
        found = _first_broken(ctx, chains)
        broken = {name: sequence for name, sequence in found.items() if sequence is not None}
        op.record_outcome("ok", chains=len(found), broken=broken)
        return found


def purge(ctx: ServiceContext, tenant: str | None = None) -> dict[str, audit.Purge]:
    """Delete the events older than ``audit_retention_days`` from the tenant's chain, or from
    every chain; returns what went, by chain name. The operator's alone.

    Each purge is recorded on its chain with its anchor, so what remains still verifies; nothing
    is purged while a chain concerned is broken (that would erase the evidence).
    """
    before = utcnow() - timedelta(days=ctx.platform.settings.audit_retention_days)
    with operation(ctx, audit.PURGE_ACTION, tenant) as op:
        with op.unit(records=False) as work:
            work.require_operator()
            chains = {work.tenant_row.id: tenant} if tenant is not None else _chains(work.session)
        for name, broken in _first_broken(ctx, chains).items():
            if broken is not None:
                raise AtsparkError(
                    f"the audit trail of {name} is broken at event {broken}: nothing was purged"
                )
        purged = {}
        with op.unit() as work:
            for chain, name in chains.items():
                if (done := audit.purge(work.session, chain, before)) is None:
                    continue
                purged[name] = done
                if chain == op.chain:  # the operation's own event records it
                    op.note(**done.record)
                else:
                    audit.append(
                        work.session, chain, work.actor, audit.PURGE_ACTION, "ok", done.record
                    )
            op.note(before=before.isoformat(), chains={n: d.count for n, d in purged.items()})
        return purged


def export(
    ctx: ServiceContext, tenant: str, destination: str, *, since: datetime | None = None
) -> int:
    """Write the tenant's audit events (from ``since`` on) to ``destination`` as JSON Lines:
    ``file://PATH``, ``s3://BUCKET/PREFIX`` or ``cloudwatch://GROUP/STREAM``; returns how many.

    Needs ``audit.read``. The destination is checked before anything is read (a file never
    inside atspark's home), the events are read outside any write transaction, and the audit
    event names where they went.
    """
    with operation(ctx, "audit.export", tenant) as op:
        with op.unit("audit.read", records=False) as work:
            target = _checked(ctx.platform.settings, parse_destination(destination))
            op.note(destination=str(target), **_given({"since": since}))
            chain, slug = work.tenant_row.id, work.tenant_row.slug
        with ctx.platform.control_plane.read_session() as session:
            found = audit.events(session, chain, since=since)
        op.note(destination=_write(ctx.platform.settings, target, slug, found, since))
        op.record_outcome("ok", events=len(found))
        return len(found)


def _given(filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filters given, as the audit event records them."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in filters.items()
        if value is not None
    }


def _chains(session: Session) -> dict[str, str]:
    """Every chain in the control plane, with its name."""
    slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).all())
    return {
        chain: slugs.get(chain)
        or (PLATFORM if chain == audit.PLATFORM_CHAIN else f"deleted tenant {chain}")
        for chain in audit.chains(session)
    }


def _first_broken(ctx: ServiceContext, chains: Mapping[str, str]) -> dict[str, int | None]:
    """Each chain's first broken event, by name: read outside any write transaction, so a long
    trail never holds up writers."""
    with ctx.platform.control_plane.read_session() as session:
        return {name: audit.verify_chain(session, chain) for chain, name in chains.items()}


def _checked(settings: Settings, target: Destination) -> Destination:
    """A file destination resolved, and refused where query exports are refused."""
    if not isinstance(target, FileDestination):
        return target
    return FileDestination(
        exports.checked_destination(settings, exports.Export(target.path)).destination
    )


def _write(
    settings: Settings,
    target: Destination,
    tenant: str,
    events: Sequence[AuditEvent],
    since: datetime | None,
) -> str:
    """Write ``events`` to ``target``; returns where they went."""
    if isinstance(target, FileDestination):
        exports.write_file(target.path, lambda out: out.write(json_lines(events)))
        return str(target)
    return target.write(settings, tenant, events, since)
