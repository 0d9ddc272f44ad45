"""Connections: a tenant's links to its SaaS tools, validated by their connector."""

from typing import Any

from connectors.registry import get_connector
from governance import tenancy
from governance.errors import AtsparkError
from governance.tenancy import ConnectionInfo
from pipelines.connection_spec import connection_spec
from services import oauth
from services.context import ServiceContext
from services.operations import operation, unit_of_work

PERMISSION = "connections.manage"


def add_connection(
    ctx: ServiceContext,
    tenant: str,
    connector: str,
    config: dict[str, Any],
    secrets: dict[str, str],
    name: str | None = None,
) -> ConnectionInfo:
    """Store a connection the connector accepts; its secrets are envelope-encrypted.

    Config given as text (``--config retries=5``) takes the types of the connector's schema.
    """
    with operation(ctx, "connection.add", tenant) as op, op.unit(PERMISSION) as work:
        tenancy.check_connection_values(config, secrets)
        plugin = get_connector(connector)
        name = name or plugin.name
        config = plugin.parse_config(config)
        settings = ctx.platform.settings
        plugin.validate(connection_spec(settings, work.tenant_row.slug, name, config, secrets))
        added = tenancy.add_connection(
            ctx.platform, work.session, work.tenant_row, name, plugin.name, config, secrets
        )
        op.note(connection=added.name, connector=added.connector, secrets=sorted(secrets))
        return added


def list_connections(ctx: ServiceContext, tenant: str | None = None) -> list[ConnectionInfo]:
    """A tenant's connections, or every tenant's (the operator only), secrets never included."""
    with unit_of_work(ctx, tenant, PERMISSION if tenant else None) as work:
        if tenant is None:
            work.require_operator()
        return tenancy.list_connections(work.session, work.tenant)


def get_connection(ctx: ServiceContext, tenant: str, name: str) -> ConnectionInfo:
    with unit_of_work(ctx, tenant, PERMISSION) as work:
        connection = tenancy.find_connection(work.session, work.tenant_row, name)
        return tenancy.connection_info(work.tenant_row, connection)


def remove_connection(ctx: ServiceContext, tenant: str, name: str) -> None:
    """Remove a connection (its tables stay in the warehouse); one a person authorized by
    OAuth is disconnected: its tokens are revoked at the vendor first."""
    if _authorized_by_oauth(ctx, tenant, name):
        oauth.disconnect(ctx, tenant, name)
        return
    with operation(ctx, "connection.remove", tenant) as op, op.unit(PERMISSION) as work:
        work.session.delete(tenancy.find_connection(work.session, work.tenant_row, name))
        op.note(connection=name)


def _authorized_by_oauth(ctx: ServiceContext, tenant: str, name: str) -> bool:
    """Whether the connection was authorized by a person at its vendor; False when it cannot
    be found or read (the audited removal then says why)."""
    try:
        with unit_of_work(ctx, tenant) as work:
            found = tenancy.find_connection(work.session, work.tenant_row, name)
            return found.authorized_at is not None
    except AtsparkError:
        return False
