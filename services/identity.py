"""A tenant's users, groups and roles."""

from collections.abc import Mapping, Sequence

from governance import identity
from governance.identity import UserInfo
from services.context import ServiceContext
from services.operations import operation, unit_of_work

PERMISSION = "users.manage"


def add_user(
    ctx: ServiceContext,
    tenant: str,
    email: str,
    roles: Sequence[str],
    groups: Sequence[str] = (),
    attributes: Mapping[str, Sequence[str]] | None = None,
) -> UserInfo:
    with operation(ctx, "user.add", tenant) as op, op.unit(PERMISSION) as work:
        user = identity.add_user(work.session, work.tenant_row, email, roles, groups, attributes)
        op.note(user=user.email, roles=user.roles, groups=user.groups)
        return user


def set_user(
    ctx: ServiceContext,
    tenant: str,
    email: str,
    roles: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    attributes: Mapping[str, Sequence[str]] | None = None,
    clear_attributes: Sequence[str] = (),
) -> UserInfo:
    with operation(ctx, "user.set", tenant) as op, op.unit(PERMISSION) as work:
        user = identity.set_user(
            work.session, work.tenant_row, email, roles, groups, attributes, clear_attributes
        )
        op.note(user=user.email, roles=user.roles, groups=user.groups)
        return user


def remove_user(ctx: ServiceContext, tenant: str, email: str) -> None:
    with operation(ctx, "user.remove", tenant) as op, op.unit(PERMISSION) as work:
        identity.remove_user(work.session, work.tenant_row, email)
        op.note(user=email)


def list_users(ctx: ServiceContext, tenant: str) -> list[UserInfo]:
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return identity.list_users(work.session, work.tenant_row)


def add_group(ctx: ServiceContext, tenant: str, name: str) -> None:
    with operation(ctx, "group.add", tenant) as op, op.unit(PERMISSION) as work:
        identity.add_group(work.session, work.tenant_row, name)
        op.note(group=name)


def list_groups(ctx: ServiceContext, tenant: str) -> list[str]:
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return identity.list_groups(work.session, work.tenant_row)


def add_role(ctx: ServiceContext, tenant: str, name: str, permissions: Sequence[str]) -> None:
    with operation(ctx, "role.add", tenant) as op, op.unit(PERMISSION) as work:
        identity.add_role(work.session, work.tenant_row, name, permissions)
        op.note(role=name, permissions=sorted(set(permissions)))


def list_roles(ctx: ServiceContext, tenant: str) -> list[dict]:
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return identity.list_roles(work.session, work.tenant_row)
