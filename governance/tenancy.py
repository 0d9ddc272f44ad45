"""Tenants and their connections in the control plane, with their keys and warehouses."""

import json
import shutil
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.crypto.key_service import PURPOSE_SECRETS
from governance.errors import AtsparkError, ConflictError, NotFoundError
from governance.identity import create_builtin_roles
from governance.names import check_identifier
from governance.platform import Platform
from governance.store.lookups import find_tenant
from governance.store.models import Connection, Tenant


@dataclass(frozen=True)
class TenantInfo:
    id: str
    slug: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection as shown to people: secret names only, never their values."""

    tenant: str
    name: str
    connector: str
    config: dict[str, str]
    secret_keys: list[str]
    created_at: datetime


def _tenant_info(tenant: Tenant) -> TenantInfo:
    return TenantInfo(tenant.id, tenant.slug, tenant.name, tenant.created_at)


def _connection_info(tenant: Tenant, connection: Connection) -> ConnectionInfo:
    return ConnectionInfo(
        tenant.slug,
        connection.name,
        connection.connector,
        dict(connection.config),
        list(connection.secret_keys),
        connection.created_at,
    )


def _find_connection(session: Session, tenant: Tenant, name: str) -> Connection:
    connection = session.scalar(
        select(Connection).where(Connection.tenant_id == tenant.id, Connection.name == name)
    )
    if connection is None:
        raise NotFoundError(f"tenant {tenant.slug!r} has no connection {name!r}")
    return connection


def create_tenant(platform: Platform, slug: str, name: str | None = None) -> TenantInfo:
    """Create a tenant, its data keys and its encrypted warehouse, or nothing at all."""
    check_identifier("tenant slug", slug)
    with platform.control_plane.session() as session:
        if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
            raise ConflictError(f"tenant {slug!r} already exists")
        tenant = Tenant(slug=slug, name=name or slug)
        session.add(tenant)
        session.flush()
        platform.keys.create_tenant_keys(session, tenant.id)
        create_builtin_roles(session, tenant.id)
        info = _tenant_info(tenant)
    try:
        platform.warehouse(info.id, info.slug).provision()
    except BaseException:
        _delete_tenant_rows(platform, slug)
        shutil.rmtree(platform.warehouse_dir(info.id), ignore_errors=True)
        raise
    return info


def list_tenants(platform: Platform) -> list[TenantInfo]:
    with platform.control_plane.session() as session:
        return [_tenant_info(t) for t in session.scalars(select(Tenant).order_by(Tenant.slug))]


def get_tenant(platform: Platform, slug: str) -> TenantInfo:
    with platform.control_plane.session() as session:
        return _tenant_info(find_tenant(session, slug))


def delete_tenant(platform: Platform, slug: str) -> None:
    """Crypto-shred a tenant: destroy its keys, its warehouse and its control-plane rows."""
    tenant_id = _delete_tenant_rows(platform, slug)
    shutil.rmtree(platform.warehouse_dir(tenant_id), ignore_errors=True)


def _delete_tenant_rows(platform: Platform, slug: str) -> str:
    with platform.control_plane.session() as session:
        tenant = find_tenant(session, slug)
        platform.keys.shred(session, tenant.id)
        session.delete(tenant)
        return tenant.id


def rotate_tenant_keys(platform: Platform, slug: str) -> int:
    """Re-wrap the tenant's data keys under the current master key; returns how many."""
    return platform.keys.rotate(get_tenant(platform, slug).id)


def add_connection(
    platform: Platform,
    tenant_slug: str,
    name: str,
    connector: str,
    config: dict[str, str],
    secrets: dict[str, str],
) -> ConnectionInfo:
    """Store a connection; its secrets are sealed with the tenant's secrets data key."""
    check_identifier("connection name", name)
    with platform.control_plane.session() as session:
        tenant = find_tenant(session, tenant_slug)
        _check_name_is_free(session, tenant, name)
        connection = Connection(
            tenant_id=tenant.id,
            name=name,
            connector=connector,
            config=dict(config),
            secret_keys=sorted(secrets),
            secrets_blob=_seal_secrets(platform, tenant.id, name, secrets) if secrets else None,
        )
        session.add(connection)
        session.flush()
        return _connection_info(tenant, connection)


def _check_name_is_free(session: Session, tenant: Tenant, name: str) -> None:
    """Refuse a name taken, or one whose ``<name>_<stream>`` tables could meet another's.

    Connection ``shop`` with stream ``x_orders`` and connection ``shop_x`` with stream ``orders``
    would both write ``shop_x_orders``, so no connection name may extend another by ``_``.
    """
    for other in session.scalars(select(Connection.name).where(Connection.tenant_id == tenant.id)):
        if other == name:
            raise ConflictError(f"tenant {tenant.slug!r} already has a connection {name!r}")
        if name.startswith(f"{other}_") or other.startswith(f"{name}_"):
            raise ConflictError(
                f"connection name {name!r} could clash with the tables of connection {other!r}"
            )


def list_connections(platform: Platform, tenant_slug: str | None = None) -> list[ConnectionInfo]:
    """Connections of one tenant, or of every tenant when ``tenant_slug`` is None."""
    with platform.control_plane.session() as session:
        query = select(Tenant, Connection).join(Connection.tenant)
        if tenant_slug is not None:
            query = query.where(Tenant.id == find_tenant(session, tenant_slug).id)
        rows = session.execute(query.order_by(Tenant.slug, Connection.name))
        return [_connection_info(tenant, connection) for tenant, connection in rows]


def get_connection(platform: Platform, tenant_slug: str, name: str) -> ConnectionInfo:
    with platform.control_plane.session() as session:
        tenant = find_tenant(session, tenant_slug)
        return _connection_info(tenant, _find_connection(session, tenant, name))


def remove_connection(platform: Platform, tenant_slug: str, name: str) -> None:
    with platform.control_plane.session() as session:
        tenant = find_tenant(session, tenant_slug)
        session.delete(_find_connection(session, tenant, name))


def connection_secrets(platform: Platform, tenant_slug: str, name: str) -> dict[str, str]:
    """The connection's decrypted secrets, for the run that needs them and no longer."""
    with platform.control_plane.session() as session:
        tenant = find_tenant(session, tenant_slug)
        connection = _find_connection(session, tenant, name)
        tenant_id, blob = tenant.id, connection.secrets_blob
    if blob is None:
        return {}
    plaintext = platform.keys.decrypt(tenant_id, PURPOSE_SECRETS, blob, {"connection": name})
    secrets = json.loads(plaintext)
    if not isinstance(secrets, dict):
        raise AtsparkError("stored connection secrets are malformed")
    return secrets


def _seal_secrets(platform: Platform, tenant_id: str, name: str, secrets: dict[str, str]) -> bytes:
    plaintext = json.dumps(secrets, sort_keys=True).encode()
    return platform.keys.encrypt(tenant_id, PURPOSE_SECRETS, plaintext, {"connection": name})
