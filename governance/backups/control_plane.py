"""A tenant's control-plane rows as a backup holds them, and their return into a tenant.

The export keeps secrets as they are stored: connection secrets still sealed, data keys still
wrapped. A restore into another tenant brings back who may read what (roles, groups, users with
their attributes, policies); connections and keys stay with the tenant they were sealed for.
"""

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import identity, policies
from governance.store.models import Connection, DataKey, Group, Policy, Role, Tenant, User

EXPORT_VERSION = 1


def export_tenant(session: Session, tenant: Tenant) -> dict[str, Any]:
    """The tenant's users, roles, groups, policies, connections and wrapped keys, as JSON data."""

    def rows(model: type) -> list:
        return list(session.scalars(select(model).where(model.tenant_id == tenant.id)))

    return {
        "version": EXPORT_VERSION,
        "tenant": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name},
        "roles": [
            {"name": r.name, "permissions": list(r.permissions)}
            for r in sorted(rows(Role), key=lambda r: r.name)
            if not r.builtin
        ],
        "groups": sorted(g.name for g in rows(Group)),
        "users": [
            {
                "email": u.email,
                "roles": [r.name for r in u.roles],
                "groups": [g.name for g in u.groups],
                "attributes": [[a.key, a.value] for a in u.attributes],
            }
            for u in sorted(rows(User), key=lambda u: u.email)
        ],
        "policies": [
            {
                "name": p.name,
                "table": p.table_name,
                "predicate": p.predicate,
                "roles": [r.name for r in p.roles],
                "groups": [g.name for g in p.groups],
            }
            for p in sorted(rows(Policy), key=lambda p: p.name)
        ],
        "connections": [
            {
                "name": c.name,
                "connector": c.connector,
                "config": c.config,
                "secret_keys": list(c.secret_keys),
                "secrets_blob": _b64(c.secrets_blob),
                "status": c.status,
            }
            for c in sorted(rows(Connection), key=lambda c: c.name)
        ],
        "data_keys": [
            {"purpose": k.purpose, "master_key_id": k.master_key_id, "wrapped": _b64(k.wrapped_key)}
            for k in sorted(rows(DataKey), key=lambda k: k.purpose)
        ],
    }


def import_access(session: Session, tenant: Tenant, exported: dict[str, Any]) -> None:
    """Give ``tenant`` (new, empty) the exported roles, groups, users and policies, each checked
    as if added by hand."""
    for role in exported["roles"]:
        identity.add_role(session, tenant, role["name"], role["permissions"])
    for group in exported["groups"]:
        identity.add_group(session, tenant, group)
    session.flush()
    for user in exported["users"]:
        attributes: dict[str, list[str]] = {}
        for key, value in user["attributes"]:
            attributes.setdefault(key, []).append(value)
        identity.add_user(session, tenant, user["email"], user["roles"], user["groups"], attributes)
    for policy in exported["policies"]:
        policies.add_policy(
            session, tenant, policy["name"], policy["table"], policy["predicate"],
            policy["roles"], policy["groups"],
        )  # fmt: skip


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()
