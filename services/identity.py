"""A tenant's users, groups and roles."""

from collections.abc import Mapping, Sequence

from governance import identity
from governance.auth import accounts
from governance.errors import PermissionDenied
from governance.identity import UserInfo
from governance.store.models import User
from services.context import ServiceContext
from services.operations import Work, operation, unit_of_work

PERMISSION = "users.manage"


def add_user(
    ctx: ServiceContext,
    tenant: str,
    email: str,
    roles: Sequence[str],
    groups: Sequence[str] = (),
    attributes: Mapping[str, Sequence[str]] | None = None,
    password: str | None = None,
) -> UserInfo:
    """Add a user, with a password to sign in with when one is given."""
    with operation(ctx, "user.add", tenant) as op, op.unit(PERMISSION) as work:
        _check_grantable(work, roles)
        user = identity.add_user(work.session, work.tenant_row, email, roles, groups, attributes)
        _set_password(work, user.email, password)
        op.note(user=user.email, roles=user.roles, groups=user.groups, password=bool(password))
        return user


def set_user(
    ctx: ServiceContext,
    tenant: str,
    email: str,
    roles: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    attributes: Mapping[str, Sequence[str]] | None = None,
    clear_attributes: Sequence[str] = (),
    password: str | None = None,
) -> UserInfo:
    """Change a user; a new password also ends their sessions."""
    with operation(ctx, "user.set", tenant) as op, op.unit(PERMISSION) as work:
        _target(work, email)
        _check_grantable(work, roles or ())
        user = identity.set_user(
            work.session, work.tenant_row, email, roles, groups, attributes, clear_attributes
        )
        _set_password(work, user.email, password)
        op.note(user=user.email, roles=user.roles, groups=user.groups, password=bool(password))
        return user


def remove_user(ctx: ServiceContext, tenant: str, email: str) -> None:
    with operation(ctx, "user.remove", tenant) as op, op.unit(PERMISSION) as work:
        work.session.delete(_target(work, email))
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
        work.require_all(permissions, f"role {name!r}")
        identity.add_role(work.session, work.tenant_row, name, permissions)
        op.note(role=name, permissions=sorted(set(permissions)))


def list_roles(ctx: ServiceContext, tenant: str) -> list[dict]:
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return identity.list_roles(work.session, work.tenant_row)


def get_user(ctx: ServiceContext, tenant: str, user_id: str) -> UserInfo:
    """One of the tenant's users by id; another tenant's id is as missing as an unknown one."""
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        return identity.user_info(identity.find_user_by_id(work.session, work.tenant_row, user_id))


def _check_grantable(work: Work, roles: Sequence[str]) -> None:
    """No one grants a role with a permission they do not hold themselves."""
    for role in identity.named_roles(work.session, work.tenant_row, roles) if roles else ():
        work.require_all(role.permissions, f"role {role.name!r}")


def _target(work: Work, email: str) -> User:
    """The user to change: never oneself (roles, groups and attributes decide what one may read
    and do, so another person changes them), and only someone holding no permission the
    principal lacks."""
    user = identity.find_user(work.session, work.tenant_row, email)
    if work.user is not None and work.user.id == user.id:
        raise PermissionDenied(
            f"{work.actor} may not change or remove themselves: ask another administrator"
        )
    work.require_covers(user)
    return user


def _set_password(work: Work, email: str, password: str | None) -> None:
    if password is not None:
        user = identity.find_user(work.session, work.tenant_row, email)
        accounts.set_password(work.session, user, password)
        accounts.end_sessions(work.session, user.id)
