"""Tenants and their connections in the control plane, with their keys and warehouses.

Each function works inside the caller's session and transaction (a unit of work of the service
layer, ``services``), on a tenant the caller resolved once.
"""

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from governance.crypto.purposes import PURPOSE_SECRETS, TENANT_PURPOSES
from governance.errors import AtsparkError, ConflictError, NotFoundError
from governance.identity import create_builtin_roles
from governance.names import check_identifier
from governance.platform import Platform
from governance.store.models import Connection, DataKey, Tenant


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
    config: dict[str, Any]
    secret_keys: list[str]
    created_at: datetime
    status: str = "active"
    authorized_at: datetime | None = None


def connection_info(tenant: Tenant, connection: Connection) -> ConnectionInfo:
    return ConnectionInfo(
        tenant.slug,
        connection.name,
        connection.connector,
        dict(connection.config),
        list(connection.secret_keys),
        connection.created_at,
        connection.status or "active",
        connection.authorized_at,
    )


def find_connection(session: Session, tenant: Tenant, name: str) -> Connection:
    connection = session.scalar(
        select(Connection).where(Connection.tenant_id == tenant.id, Connection.name == name)
    )
    if connection is None:
        raise NotFoundError(f"tenant {tenant.slug!r} has no connection {name!r}")
    return connection


def create_tenant(platform: Platform, session: Session, slug: str, name: str | None) -> Tenant:
    """Create a tenant, its data keys, built-in roles and encrypted warehouse in ``session``.

    The warehouse and the upload area are made inside the transaction; if anything fails, the
    transaction is rolled back and both directories removed, so there is a whole tenant or none.
    """
    check_identifier("tenant slug", slug)
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        raise ConflictError(f"tenant {slug!r} already exists")
    tenant = Tenant(slug=slug, name=name or slug)
    session.add(tenant)
    session.flush()
    platform.keys.create_tenant_keys(session, tenant.id)
    create_builtin_roles(session, tenant.id)
    directories = _directories(platform, tenant)
    try:
        platform.settings.upload_dir(slug).mkdir(parents=True, exist_ok=True, mode=0o700)
        platform.warehouse(tenant.id, tenant.slug).provision()
    except BaseException:
        _remove(directories)
        raise
    return tenant


BACKUP_RETENTION_DAYS = range(1, 31)
"""Days of backups a tenant may keep: 7 by default, up to 30 (enterprise plans)."""


def set_backup_retention(tenant: Tenant, days: int) -> None:
    if days not in BACKUP_RETENTION_DAYS:
        raise AtsparkError(
            f"backup retention is {BACKUP_RETENTION_DAYS.start} to "
            f"{BACKUP_RETENTION_DAYS.stop - 1} days, not {days}"
        )
    tenant.backup_retention_days = days


def tenant_info(tenant: Tenant) -> TenantInfo:
    return TenantInfo(tenant.id, tenant.slug, tenant.name, tenant.created_at)


def list_tenants(session: Session) -> list[TenantInfo]:
    """Every tenant, by slug. Read from the table itself, not through the ORM's mappers: the
    CLI's most frequent listing then never pays for configuring every mapper of the control
    plane (a third of ``atspark tenant list``'s own time)."""
    table = Tenant.__table__
    query = select(table.c.id, table.c.slug, table.c.name, table.c.created_at)
    return [TenantInfo(*row) for row in session.execute(query.order_by(table.c.slug))]


def delete_tenant(platform: Platform, session: Session, tenant: Tenant) -> None:
    """Crypto-shred a tenant: its keys and rows go with ``session``'s commit, then its warehouse.

    Its audit trail stays (events carry no foreign key): it still verifies, and it is all that
    remains of the tenant.
    """
    platform.keys.shred(session, tenant.id)
    session.delete(tenant)
    directories = _directories(platform, tenant)
    event.listen(session, "after_commit", lambda _: _remove(directories), once=True)


def _directories(platform: Platform, tenant: Tenant) -> tuple[Path, ...]:
    """The tenant's directories: its warehouse and its upload area."""
    return platform.warehouse_dir(tenant.id), platform.settings.upload_dir(tenant.slug)


def _remove(directories: tuple[Path, ...]) -> None:
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


MAX_SETTING_LENGTH = 4_096


def check_connection_values(config: dict[str, Any], secrets: dict[str, str]) -> None:
    """Refuse config or secrets no file name, URL or HTTP header could carry: a NUL byte, or
    more than ``MAX_SETTING_LENGTH`` characters (errors name the key, never the value). Secrets
    are text; config values may be text, numbers, booleans or lists of them."""
    for kind, values in (("config", config), ("secret", secrets)):
        for key, value in values.items():
            shown = str(key).replace(chr(0), "")[:80]
            if not isinstance(key, str) or "\x00" in key or len(key) > 80:
                raise AtsparkError(f"{kind} name {shown!r} is not a valid field name")
            texts = _texts(value, allow_structured=kind == "config")
            if texts is None:
                raise AtsparkError(f"{kind} {shown!r} must be text")
            if any("\x00" in text for text in texts):
                raise AtsparkError(f"{kind} {shown!r} holds a NUL character")
            if sum(len(text) for text in texts) > MAX_SETTING_LENGTH:
                raise AtsparkError(
                    f"{kind} {shown!r} is too long (at most {MAX_SETTING_LENGTH} characters)"
                )


def _texts(value: Any, allow_structured: bool) -> list[str] | None:
    """The text a value carries, or None if it is not a value a setting may hold."""
    if isinstance(value, str):
        return [value]
    if not allow_structured:
        return None
    if isinstance(value, bool | int | float):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return [str(item) for item in value]
    return None


def add_connection(
    platform: Platform,
    session: Session,
    tenant: Tenant,
    name: str,
    connector: str,
    config: dict[str, Any],
    secrets: dict[str, str],
) -> ConnectionInfo:
    """Store a connection; its secrets are sealed with the tenant's secrets data key.

    The connector's own rules on config and secrets are checked by the caller (the connections
    service), which knows the connectors.
    """
    check_connection_name(session, tenant, name)
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
    return connection_info(tenant, connection)


def check_connection_name(session: Session, tenant: Tenant, name: str) -> None:
    """Refuse a name that is no identifier, is taken, or whose ``<name>_<stream>`` tables could
    meet another's.

    Connection ``shop`` with stream ``x_orders`` and connection ``shop_x`` with stream ``orders``
    would both write ``shop_x_orders``, so no connection name may extend another by ``_``.
    """
    check_identifier("connection name", name)
    for other in session.scalars(select(Connection.name).where(Connection.tenant_id == tenant.id)):
        if other == name:
            raise ConflictError(f"tenant {tenant.slug!r} already has a connection {name!r}")
        if name.startswith(f"{other}_") or other.startswith(f"{name}_"):
            raise ConflictError(
                f"connection name {name!r} could clash with the tables of connection {other!r}"
            )


def list_connections(session: Session, tenant: Tenant | None = None) -> list[ConnectionInfo]:
    """Connections of one tenant, or of every tenant when ``tenant`` is None."""
    query = select(Tenant, Connection).join(Connection.tenant)
    if tenant is not None:
        query = query.where(Tenant.id == tenant.id)
    rows = session.execute(query.order_by(Tenant.slug, Connection.name))
    return [connection_info(owner, connection) for owner, connection in rows]


def connection_secrets(platform: Platform, tenant: Tenant, connection: Connection) -> dict:
    """The connection's decrypted secrets, for the run that needs them and no longer."""
    if connection.secrets_blob is None:
        return {}
    plaintext = platform.keys.decrypt(
        tenant.id, PURPOSE_SECRETS, connection.secrets_blob, {"connection": connection.name}
    )
    secrets = json.loads(plaintext)
    if not isinstance(secrets, dict):
        raise AtsparkError("stored connection secrets are malformed")
    return secrets


def replace_connection_secrets(
    platform: Platform, tenant: Tenant, connection: Connection, changed: dict[str, str]
) -> None:
    """Store ``changed`` secrets over the connection's (a rotated refresh token), sealed again."""
    check_connection_values({}, changed)
    secrets = {**connection_secrets(platform, tenant, connection), **changed}
    connection.secrets_blob = _seal_secrets(platform, tenant.id, connection.name, secrets)
    connection.secret_keys = sorted(secrets)


def _seal_secrets(platform: Platform, tenant_id: str, name: str, secrets: dict[str, str]) -> bytes:
    plaintext = json.dumps(secrets, sort_keys=True).encode()
    return platform.keys.encrypt(tenant_id, PURPOSE_SECRETS, plaintext, {"connection": name})


def tenants_lacking_keys(session: Session) -> dict[str, list[str]]:
    """Tenants without a data key for some purpose, by slug, with the purposes they lack."""
    held: dict[str, set[str]] = {}
    for slug, purpose in session.execute(
        select(Tenant.slug, DataKey.purpose).outerjoin(DataKey, DataKey.tenant_id == Tenant.id)
    ):
        held.setdefault(slug, set()).add(purpose)
    lacking = {slug: [p for p in TENANT_PURPOSES if p not in has] for slug, has in held.items()}
    return {slug: purposes for slug, purposes in lacking.items() if purposes}
