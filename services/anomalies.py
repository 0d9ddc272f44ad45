"""Anomaly detection over the audit trail: scan, raise each finding once, tell the admins.

``scan`` reads the recent audit events of every live tenant (or one), runs the detectors
(``governance.anomalies``) and raises each finding not raised before: an ``anomaly.detected``
event on the tenant's chain and an email to its owners and admins. A finding is the same one
raised before when the detector and subject match and the windows overlap, so a burst seen again
on the next tick, or by the CLI after the sensor, is not raised twice. The operator's alone: it
reads every tenant's trail.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import audit, mail
from governance.anomalies import detect
from governance.anomalies.model import Event, Finding, Thresholds
from governance.permissions import UNRESTRICTED_ROLES
from governance.store.models import AuditEvent, Role, Tenant, User
from services.context import ServiceContext
from services.operations import Operation, unit_of_work

DEFAULT_LOOKBACK = timedelta(hours=24)
READ_ACTIONS = ("query", "query.export", "assist.ask")
RAISED = "anomaly.detected"
DETECTOR_ACTOR = "atspark"


@dataclass(frozen=True)
class Scanned:
    """A finding, and whether this scan raised it (False: raised before)."""

    finding: Finding
    new: bool


def scan(
    ctx: ServiceContext,
    tenant: str | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> list[Scanned]:
    """The findings whose window ends at or after ``since`` (default: the last 24 hours)."""
    now = audit.as_utc(now or datetime.now(UTC))
    since = audit.as_utc(since) if since is not None else now - DEFAULT_LOOKBACK
    thresholds = ctx.platform.settings.anomaly_thresholds
    with unit_of_work(ctx, tenant) as work:
        work.require_operator()
        chains = _chains(work.session, tenant)
        events = [
            event
            for chain, slug in chains.items()
            for event in _events(work.session, chain, slug, since, now, thresholds)
        ]
    events.sort(key=lambda event: (event.occurred_at, event.sequence))
    found = [f for f in detect(events, thresholds) if audit.as_utc(f.window[1]) >= since]
    by_slug = {slug: chain for chain, slug in chains.items()}
    return [Scanned(finding, _raise(ctx, by_slug, finding)) for finding in found]


def _chains(session: Session, tenant: str | None) -> dict[str, str | None]:
    """Chain id -> tenant slug: one tenant's, or every live tenant's and the platform's."""
    query = select(Tenant.id, Tenant.slug)
    if tenant is not None:
        query = query.where(Tenant.slug == tenant)
    chains: dict[str, str | None] = {chain: slug for chain, slug in session.execute(query)}
    if tenant is None:
        chains[audit.PLATFORM_CHAIN] = None
    return chains


def _events(
    session: Session,
    chain: str,
    slug: str | None,
    since: datetime,
    now: datetime,
    thresholds: Thresholds,
) -> Iterable[Event]:
    """What the detectors need of a chain: every event of the sign-in window before ``since``,
    and the reads of the baseline days before it."""
    recent = since - timedelta(minutes=thresholds.signin_window_minutes)
    history = since - timedelta(days=thresholds.bulk_read_baseline_days, hours=1)
    query = select(AuditEvent).where(
        AuditEvent.tenant_id == chain,
        AuditEvent.occurred_at < now,
        (AuditEvent.occurred_at >= recent)
        | ((AuditEvent.occurred_at >= history) & AuditEvent.action.in_(READ_ACTIONS)),
    )
    for row in session.scalars(query):
        yield Event(
            slug,
            row.sequence,
            audit.as_utc(row.occurred_at),
            row.actor,
            row.action,
            row.outcome,
            row.context or {},
        )


def _raise(ctx: ServiceContext, chains: dict[str | None, str], finding: Finding) -> bool:
    """Record ``finding`` and mail the tenant's admins, unless it was raised before."""
    chain = chains.get(finding.tenant, audit.PLATFORM_CHAIN)
    with ctx.platform.control_plane.session() as session:
        if _raised_before(session, chain, finding):
            return False
        op = Operation(ctx, RAISED, finding.tenant, chain, DETECTOR_ACTOR)
        op.note(**finding.document())
        op.record(session, "flagged")
        admins = _admins(session, chain) if chain != audit.PLATFORM_CHAIN else []
    for email in admins:
        mail.send(ctx.platform.settings, email, *_message(finding))
    return True


def _raised_before(session: Session, chain: str, finding: Finding) -> bool:
    """Whether the same detector raised a finding about the same subject over an overlapping
    window (the same burst, seen again)."""
    start, end = (audit.as_utc(moment) for moment in finding.window)
    raised = audit.events(session, chain, action=RAISED, since=start - timedelta(days=1))
    for event in raised:
        context = event.context or {}
        if (context.get("detector"), context.get("subject")) != (finding.detector, finding.subject):
            continue
        first, last = (datetime.fromisoformat(moment) for moment in context["window"])
        if first <= end and start <= last:
            return True
    return False


def _admins(session: Session, tenant_id: str) -> list[str]:
    query = (
        select(User.email)
        .join(User.roles)
        .where(User.tenant_id == tenant_id, Role.name.in_(UNRESTRICTED_ROLES))
        .distinct()
        .order_by(User.email)
    )
    return list(session.scalars(query))


def _message(finding: Finding) -> tuple[str, str]:
    start, end = finding.window
    evidence = "\n".join(f"  {key}: {value}" for key, value in finding.evidence.items())
    subject = f"atspark: {finding.severity} anomaly in {finding.tenant}: {finding.detector}"
    body = (
        f"The {finding.detector} detector found something unusual about {finding.subject}\n"
        f"in tenant {finding.tenant}, between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} "
        f"UTC (severity {finding.severity}).\n\n{evidence}\n\n"
        "The audit log (atspark audit list) has the events; this finding is there too."
    )
    return subject, body
