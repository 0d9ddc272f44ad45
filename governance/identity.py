"""Users, groups and roles of a tenant.

Each function works inside the caller's session and transaction, on a tenant it resolved once.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.errors import AtsparkError, ConflictError, NotFoundError
from governance.names import check_identifier
from governance.permissions import BUILTIN_ROLES, PERMISSIONS
from governance.store.models import Group, Role, Tenant, User, UserAttribute

_LOCAL_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"{_LOCAL_ATOM}(?:\.{_LOCAL_ATOM})*@(?:[a-z0-9-]+\.)+[a-z0-9-]{{2,}}")
"""An address as people type it, lowercased: ASCII only (internationalized domains in their
``xn--`` form), no quotes, brackets, spaces or trailing dot, so no lookalike of another user's
address is a new account."""
MAX_ATTRIBUTE_VALUES = 200
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")


@dataclass(frozen=True)
class UserInfo:
    id: str
    email: str
    roles: list[str]
    groups: list[str]
    attributes: dict[str, list[str]]


def user_info(user: User) -> UserInfo:
    attributes: dict[str, list[str]] = {}
    for attribute in sorted(user.attributes, key=lambda a: (a.key, a.value)):
        attributes.setdefault(attribute.key, []).append(attribute.value)
    return UserInfo(
        user.id,
        user.email,
        sorted(r.name for r in user.roles),
        sorted(g.name for g in user.groups),
        attributes,
    )


def create_builtin_roles(session: Session, tenant_id: str) -> None:
    """Add owner, admin, member and viewer to a new tenant (part of the caller's transaction)."""
    for name, permissions in BUILTIN_ROLES.items():
        session.add(
            Role(tenant_id=tenant_id, name=name, builtin=True, permissions=list(permissions))
        )


def normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    if not _EMAIL.fullmatch(normalized) or len(normalized) > 320:
        raise AtsparkError(f"invalid email address {email!r}")
    return normalized


def find_user(session: Session, tenant: Tenant, email: str) -> User:
    user = session.scalar(
        select(User).where(User.tenant_id == tenant.id, User.email == normalize_email(email))
    )
    if user is None:
        raise NotFoundError(f"tenant {tenant.slug!r} has no user {email!r}")
    return user


def find_user_by_id(session: Session, tenant: Tenant, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.tenant_id != tenant.id:
        raise NotFoundError(f"tenant {tenant.slug!r} has no user with id {user_id!r}")
    return user


def _named(session: Session, model: type[Role] | type[Group], tenant: Tenant, names: Sequence[str]):
    """The tenant's roles or groups called ``names``, or an error naming the missing ones."""
    found = {
        item.name: item
        for item in session.scalars(
            select(model).where(model.tenant_id == tenant.id, model.name.in_(names))
        )
    }
    missing = [name for name in names if name not in found]
    if missing:
        kind = "role" if model is Role else "group"
        raise NotFoundError(f"tenant {tenant.slug!r} has no {kind} {', '.join(missing)}")
    return [found[name] for name in dict.fromkeys(names)]


def named_roles(session: Session, tenant: Tenant, names: Sequence[str]) -> list[Role]:
    return _named(session, Role, tenant, names)


def named_groups(session: Session, tenant: Tenant, names: Sequence[str]) -> list[Group]:
    return _named(session, Group, tenant, names)


def _attribute_rows(attributes: Mapping[str, Sequence[str]]) -> list[UserAttribute]:
    if sum(len(values) for values in attributes.values()) > MAX_ATTRIBUTE_VALUES:
        raise AtsparkError(f"a user holds at most {MAX_ATTRIBUTE_VALUES} attribute values")
    rows = []
    for key, values in attributes.items():
        if not _ATTRIBUTE_KEY.fullmatch(key):
            raise AtsparkError(f"invalid attribute key {key!r}: use letters, digits and _")
        rows.extend(UserAttribute(key=key, value=value) for value in dict.fromkeys(values))
    return rows


def add_user(
    session: Session,
    tenant: Tenant,
    email: str,
    roles: Sequence[str],
    groups: Sequence[str] = (),
    attributes: Mapping[str, Sequence[str]] | None = None,
) -> UserInfo:
    """Add a user with at least one role; groups must exist; attributes may repeat a key."""
    if not roles:
        raise AtsparkError("a user needs at least one role (--role)")
    address = normalize_email(email)
    if session.scalar(select(User.id).where(User.tenant_id == tenant.id, User.email == address)):
        raise ConflictError(f"tenant {tenant.slug!r} already has a user {address!r}")
    user = User(
        tenant_id=tenant.id,
        email=address,
        roles=named_roles(session, tenant, roles),
        groups=named_groups(session, tenant, groups),
        attributes=_attribute_rows(attributes or {}),
    )
    session.add(user)
    session.flush()
    return user_info(user)


def set_user(
    session: Session,
    tenant: Tenant,
    email: str,
    roles: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    attributes: Mapping[str, Sequence[str]] | None = None,
    clear_attributes: Sequence[str] = (),
) -> UserInfo:
    """Replace the roles or groups given, the values of each attribute key given, and clear keys."""
    if roles is not None and not roles:
        raise AtsparkError("a user needs at least one role (--role)")
    user = find_user(session, tenant, email)
    if roles is not None:
        user.roles = named_roles(session, tenant, roles)
    if groups is not None:
        user.groups = named_groups(session, tenant, groups)
    replaced = set(attributes or {}) | set(clear_attributes)
    wanted = [a for a in user.attributes if a.key not in replaced] + _attribute_rows(
        attributes or {}
    )
    existing = {(a.key, a.value): a for a in user.attributes}  # kept rows are not re-inserted
    user.attributes = [existing.get((a.key, a.value), a) for a in wanted]
    session.flush()
    return user_info(user)


def list_users(session: Session, tenant: Tenant) -> list[UserInfo]:
    users = session.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.email))
    return [user_info(user) for user in users]


def add_group(session: Session, tenant: Tenant, name: str) -> None:
    check_identifier("group name", name)
    if session.scalar(select(Group.id).where(Group.tenant_id == tenant.id, Group.name == name)):
        raise ConflictError(f"tenant {tenant.slug!r} already has a group {name!r}")
    session.add(Group(tenant_id=tenant.id, name=name))


def list_groups(session: Session, tenant: Tenant) -> list[str]:
    query = select(Group.name).where(Group.tenant_id == tenant.id).order_by(Group.name)
    return list(session.scalars(query))


def add_role(session: Session, tenant: Tenant, name: str, permissions: Sequence[str]) -> None:
    """Add a custom role; it reads rows only through policies, whatever its permissions."""
    check_identifier("role name", name)
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise AtsparkError(
            f"unknown permission {', '.join(unknown)} (known: {', '.join(PERMISSIONS)})"
        )
    if session.scalar(select(Role.id).where(Role.tenant_id == tenant.id, Role.name == name)):
        raise ConflictError(f"tenant {tenant.slug!r} already has a role {name!r}")
    session.add(Role(tenant_id=tenant.id, name=name, permissions=sorted(set(permissions))))


def list_roles(session: Session, tenant: Tenant) -> list[dict]:
    roles = session.scalars(select(Role).where(Role.tenant_id == tenant.id).order_by(Role.name))
    return [
        {"name": r.name, "builtin": r.builtin, "permissions": list(r.permissions)} for r in roles
    ]


def permissions_of(user: User) -> frozenset[str]:
    """Everything any of the user's roles grants."""
    return frozenset(permission for role in user.roles for permission in role.permissions)
