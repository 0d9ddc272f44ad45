"""The daily audit-retention job purges old events from every chain, leaving them verifiable."""

from datetime import timedelta

from sqlalchemy import update

from governance import audit
from governance.store.models import AuditEvent, utcnow
from services import audit as audit_service
from services import tenants


def test_the_daily_job_purges_expired_events_and_the_chains_still_verify(defs, operator, instance):
    for slug in ("acme", "globex"):
        tenants.create_tenant(operator, slug)
    tenants.rotate_keys(operator, "acme")
    old = utcnow() - timedelta(days=operator.platform.settings.audit_retention_days + 1)
    acme = tenants.get_tenant(operator, "acme").id
    with operator.platform.control_plane.session() as session:  # acme's first event aged
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.tenant_id == acme, AuditEvent.sequence == 1)
            .values(occurred_at=old)
        )
    with operator.platform.control_plane.session() as session:  # its hash no longer matches:
        first = audit.events(session, acme)[0]  # re-seal it as if written then
        first.hash = audit.event_hash(first)
        second = audit.events(session, acme)[1]
        second.previous_hash = first.hash
        second.hash = audit.event_hash(second)
    assert defs.resolve_schedule_def("audit_retention_schedule").default_status.value == "RUNNING"
    result = defs.resolve_job_def("audit_retention").execute_in_process(instance=instance)
    assert result.success
    with operator.platform.control_plane.session() as session:
        sequences = [e.sequence for e in audit.events(session, acme)]
    assert 1 not in sequences
    assert all(broken is None for broken in audit_service.verify_all(operator).values())
