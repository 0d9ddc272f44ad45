"""``atspark tenant ...`` and ``atspark keys ...``."""

import typer

from app.cli.context import platform
from app.cli.output import Format, as_dict, console, emit
from governance import tenancy

tenant_app = typer.Typer(help="Create, list and delete tenants.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage tenants' data keys.", no_args_is_help=True)


@tenant_app.command("create")
def create(slug: str, name: str = typer.Option(None, help="Display name.")) -> None:
    """Create a tenant with its own data keys and encrypted warehouse."""
    tenant = tenancy.create_tenant(platform(), slug, name)
    console.print(f"created tenant [bold]{tenant.slug}[/bold] with an encrypted warehouse")


@tenant_app.command("list")
def list_(fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """List tenants."""
    rows = [as_dict(t) for t in tenancy.list_tenants(platform())]
    emit(rows, ["slug", "name", "created_at"], fmt)


@tenant_app.command("delete")
def delete(
    slug: str, yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")
) -> None:
    """Crypto-shred a tenant: destroy its keys and warehouse. Irreversible."""
    tenancy.get_tenant(platform(), slug)
    if not yes and not typer.confirm(
        f"Destroy tenant {slug!r}, its keys and its warehouse forever?", default=False
    ):
        raise typer.Exit(1)
    tenancy.delete_tenant(platform(), slug)
    console.print(f"tenant [bold]{slug}[/bold] deleted; its keys are destroyed")


@keys_app.command("rotate")
def rotate(tenant: str) -> None:
    """Re-wrap the tenant's data keys under the current master key."""
    count = tenancy.rotate_tenant_keys(platform(), tenant)
    console.print(f"re-wrapped {count} data keys of tenant [bold]{tenant}[/bold]")
