"""Permissions are enforced in the service layer, fail closed, and every refusal is audited.

Each permission is tried with a user whose role has it and one whose role lacks it; the
platform-wide operations are the operator's alone.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from governance.errors import NotFoundError, PermissionDenied
from governance.store.models import AuditEvent
from services import audit as audit_service
from services import connections, identity, policies, tenants
from services.context import ServiceContext
from services.exports import Export
from services.queries import export_query, run_query
from tests.fixtures.platform import acting_as

EXPORTED = Path(tempfile.mkdtemp()) / "export.csv"
OPERATIONS: dict[str, Callable[[ServiceContext], object]] = {
    "data.read": lambda ctx: run_query(ctx, "acme", "SELECT count(*) FROM deals"),
    "data.export": lambda ctx: export_query(ctx, "acme", "SELECT 1", Export(EXPORTED)),
    "users.manage": lambda ctx: identity.add_group(ctx, "acme", "new_group"),
    "policies.manage": lambda ctx: policies.add_policy(
        ctx, "acme", "p", "deals", "id > 0", ["viewer"]
    ),
    "connections.manage": lambda ctx: connections.add_connection(
        ctx, "acme", "stripe", {}, {"api_key": "k"}
    ),
    "audit.read": lambda ctx: audit_service.list_events(ctx, "acme"),
}


@pytest.fixture
def acme(acme):
    """Tenant ``acme`` with its deals and, for every permission, a user whose role has it and
    one whose role has every other permission."""
    operator = acme
    for permission in OPERATIONS:
        # data.export is about what leaves the platform: exporting a result also reads it.
        granted = [permission, "data.read"] if permission == "data.export" else [permission]
        others = sorted(set(OPERATIONS) - {permission})
        identity.add_role(operator, "acme", f"with_{permission.replace('.', '_')}", granted)
        identity.add_role(operator, "acme", f"without_{permission.replace('.', '_')}", others)
        for kind in ("with", "without"):
            role = f"{kind}_{permission.replace('.', '_')}"
            identity.add_user(operator, "acme", f"{role}@acme.io", [role])
    return operator


@pytest.mark.parametrize("permission", sorted(OPERATIONS))
def test_a_role_with_the_permission_may_and_one_without_may_not(acme, permission):
    slug = permission.replace(".", "_")
    operation = OPERATIONS[permission]
    with pytest.raises(PermissionDenied, match=f"needs permission {permission}"):
        operation(acting_as(acme, f"without_{slug}@acme.io"))
    operation(acting_as(acme, f"with_{slug}@acme.io"))
    refusals = [
        e
        for e in _all_events(acme)
        if e.outcome == "refused" and e.actor == f"without_{slug}@acme.io"
    ]
    assert len(refusals) == 1 and permission in refusals[0].context["reason"]


def test_a_refused_change_changes_nothing(acme):
    denied = acting_as(acme, "without_users_manage@acme.io")
    before = identity.list_users(acme, "acme")
    with pytest.raises(PermissionDenied):
        identity.add_user(denied, "acme", "sneaky@acme.io", ["owner"])
    assert identity.list_users(acme, "acme") == before


@pytest.mark.parametrize(
    "operation",
    [
        lambda ctx: tenants.create_tenant(ctx, "globex"),
        lambda ctx: tenants.list_tenants(ctx),
        lambda ctx: tenants.delete_tenant(ctx, "acme"),
        lambda ctx: tenants.rotate_keys(ctx, "acme"),
        lambda ctx: connections.list_connections(ctx),
    ],
)
def test_platform_operations_are_the_operators_alone(acme, operation):
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    with pytest.raises(PermissionDenied, match="only the platform's operator"):
        operation(acting_as(acme, "boss@acme.io"))
    assert [t.slug for t in tenants.list_tenants(acme)] == ["acme"]


def test_a_user_of_one_tenant_is_no_one_in_another(acme):
    tenants.create_tenant(acme, "globex")
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    with pytest.raises(NotFoundError, match=r"no user 'boss@acme\.io'"):
        identity.add_user(acting_as(acme, "boss@acme.io"), "globex", "x@globex.io", ["owner"])
    assert identity.list_users(acme, "globex") == []


def _all_events(operator) -> list[AuditEvent]:
    with operator.platform.control_plane.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_no_one_grants_or_changes_more_than_they_hold(acme):
    """A user manager without data access may manage groups, but neither hand out a role that
    reads data nor demote, remove or sign out an admin (who holds more than they do)."""
    identity.add_role(acme, "acme", "user_admin", ["users.manage"])
    identity.add_user(acme, "acme", "um@acme.io", ["user_admin"])
    identity.add_user(acme, "acme", "boss@acme.io", ["admin"])
    manager = acting_as(acme, "um@acme.io")
    for attempt in (
        lambda: identity.add_user(manager, "acme", "new@acme.io", ["viewer"]),
        lambda: identity.add_role(manager, "acme", "reader", ["data.read"]),
        lambda: identity.set_user(manager, "acme", "boss@acme.io", roles=["user_admin"]),
        lambda: identity.remove_user(manager, "acme", "boss@acme.io"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert [u.roles for u in identity.list_users(acme, "acme") if u.email == "boss@acme.io"] == [
        ["admin"]
    ]
    identity.add_user(manager, "acme", "peer@acme.io", ["user_admin"])  # within what they hold
