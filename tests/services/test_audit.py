"""Every operation is audited, whatever its outcome: with the change it records, in one
transaction, or on its own when it was refused or failed (actor as given, tenant or not)."""

import pytest
from sqlalchemy import delete

from governance import audit
from governance.audit import ACTOR_LENGTH
from governance.errors import AtsparkError, DecryptionError, NotFoundError
from governance.store.models import AuditEvent, DataKey
from services import identity, tenants
from services.context import ServiceContext
from services.queries import run_query
from tests.fixtures.platform import acting_as, tenant_with_deals


def chain(operator, chain_id: str) -> list[AuditEvent]:
    with operator.platform.control_plane.session() as session:
        return audit.events(session, chain_id)


@pytest.fixture
def acme(any_operator):
    """Tenant ``acme`` with its deals and an owner, on each control-plane backend in turn."""
    tenant_with_deals(any_operator)
    identity.add_user(any_operator, "acme", "boss@acme.io", ["owner"])
    return any_operator


def test_changes_are_audited_in_their_own_transaction_with_actor_and_request(acme):
    ctx = ServiceContext(acme.platform, acme.principal, ip="203.0.113.9", request_id="req-1")
    identity.add_group(ctx, "acme", "sales")
    tenant_id = tenants.get_tenant(acme, "acme").id
    created, *_, added = chain(acme, tenant_id)
    assert (created.action, created.actor) == ("tenant.create", "operator:test")
    assert (added.action, added.outcome, added.context["group"]) == ("group.add", "ok", "sales")
    assert (added.context["ip"], added.context["request_id"]) == ("203.0.113.9", "req-1")


def test_a_failed_change_leaves_one_failed_event_and_no_change(acme):
    tenant_id = tenants.get_tenant(acme, "acme").id
    before = len(chain(acme, tenant_id))
    with pytest.raises(NotFoundError):
        identity.add_user(acme, "acme", "ana@acme.io", ["no_such_role"])
    [event] = chain(acme, tenant_id)[before:]
    assert (event.action, event.outcome) == ("user.add", "failed")
    assert "no role no_such_role" in event.context["reason"]
    assert [u.email for u in identity.list_users(acme, "acme")] == ["boss@acme.io"]


def test_a_query_by_an_unknown_user_is_audited_with_the_actor_as_given(acme):
    with pytest.raises(NotFoundError):
        run_query(acting_as(acme, "Mallory@Evil.test"), "acme", "SELECT 1")
    event = chain(acme, tenants.get_tenant(acme, "acme").id)[-1]
    assert (event.actor, event.action, event.outcome) == ("Mallory@Evil.test", "query", "failed")
    assert event.context["sql"] == "SELECT 1"


def test_an_actor_longer_than_the_trail_keeps_is_audited_cut_short(acme):
    given = "x" * 5000 + "@acme.io"
    with pytest.raises(AtsparkError):
        run_query(acting_as(acme, given), "acme", "SELECT 1")
    last = chain(acme, tenants.get_tenant(acme, "acme").id)[-1]
    assert (last.action, last.outcome, last.actor) == ("query", "failed", given[:ACTOR_LENGTH])


def test_a_query_on_a_missing_tenant_is_audited_on_the_platform_chain(acme):
    with pytest.raises(NotFoundError):
        run_query(acting_as(acme, "boss@acme.io"), "ghost", "SELECT 1")
    [event] = chain(acme, audit.PLATFORM_CHAIN)
    assert (event.actor, event.outcome, event.context["tenant"]) == (
        "boss@acme.io",
        "failed",
        "ghost",
    )


def test_a_query_whose_keys_are_gone_is_audited(acme):
    tenant_id = tenants.get_tenant(acme, "acme").id
    with acme.platform.control_plane.session() as session:
        session.execute(delete(DataKey).where(DataKey.tenant_id == tenant_id))
    acme.platform.keys.cache.clear()
    with pytest.raises(DecryptionError):
        run_query(acting_as(acme, "boss@acme.io"), "acme", "SELECT count(*) FROM deals")
    event = chain(acme, tenant_id)[-1]
    assert (event.action, event.outcome) == ("query", "failed")
    with acme.platform.control_plane.session() as session:
        assert audit.verify_chain(session, tenant_id) is None


def test_a_deleted_tenants_trail_survives_it_and_still_verifies(acme):
    tenant_id = tenants.get_tenant(acme, "acme").id
    tenants.delete_tenant(acme, "acme")
    events = chain(acme, tenant_id)
    assert events[-1].action == "tenant.delete" and events[-1].outcome == "ok"
    with acme.platform.control_plane.session() as session:
        assert audit.verify_chain(session, tenant_id) is None
