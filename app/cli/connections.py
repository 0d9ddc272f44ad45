"""``atspark connection ...``."""

import typer

from app.cli.context import operator
from app.cli.output import Format, as_dict, console, emit, parse_pairs

connection_app = typer.Typer(help="Connect tenants to their SaaS tools.", no_args_is_help=True)
MASK = "********"


@connection_app.command("add")
def add(
    tenant: str,
    connector: str,
    name: str = typer.Option(None, help="Connection name (default: the connector's)."),
    config: list[str] = typer.Option([], "--config", help="KEY=VALUE, repeatable."),
    secret: list[str] = typer.Option([], "--secret", help="KEY=VALUE, repeatable; encrypted."),
) -> None:
    """Store a connection; its secrets are envelope-encrypted and never printed."""
    from services import connections

    config_values, secret_values = parse_pairs("config", config), parse_pairs("secret", secret)
    added = connections.add_connection(
        operator(), tenant, connector, config_values, secret_values, name
    )
    console.print(f"added connection [bold]{added.name}[/bold] ({added.connector}) to {tenant}")


@connection_app.command("list")
def list_(tenant: str, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """List a tenant's connections, secrets masked."""
    from services import connections

    rows = []
    for connection in connections.list_connections(operator(), tenant):
        row = as_dict(connection)
        row["secrets"] = {key: MASK for key in row.pop("secret_keys")}
        rows.append(row)
    emit(rows, ["name", "connector", "status", "config", "secrets", "created_at"], fmt)


@connection_app.command("remove")
def remove(tenant: str, name: str) -> None:
    """Remove a connection (its tables stay in the warehouse)."""
    from services import connections

    connections.remove_connection(operator(), tenant, name)
    console.print(f"removed connection [bold]{name}[/bold] from {tenant}")
