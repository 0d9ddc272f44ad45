"""``atspark tenant ...`` and ``atspark keys ...``."""

import typer

from app.cli.context import operator
from app.cli.output import Format, as_dict, console, emit

tenant_app = typer.Typer(help="Create, list and delete tenants.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage tenants' data keys.", no_args_is_help=True)


@tenant_app.command("create")
def create(slug: str, name: str = typer.Option(None, help="Display name.")) -> None:
    """Create a tenant with its own data keys and encrypted warehouse."""
    from services import tenants

    tenant = tenants.create_tenant(operator(), slug, name)
    console.print(f"created tenant [bold]{tenant.slug}[/bold] with an encrypted warehouse")


@tenant_app.command("list")
def list_(fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """List tenants."""
    from services import tenants

    rows = [as_dict(t) for t in tenants.list_tenants(operator())]
    emit(rows, ["slug", "name", "created_at"], fmt)


@tenant_app.command("set")
def set_(
    slug: str,
    backup_retention_days: int = typer.Option(
        ..., "--backup-retention-days", help="Days of backups kept restorable: 1 to 30 (7)."
    ),
) -> None:
    """Change a tenant's settings."""
    from services import tenants

    tenants.set_tenant(operator(), slug, backup_retention_days)
    console.print(f"{slug} keeps {backup_retention_days} days of backups")


@tenant_app.command("delete")
def delete(
    slug: str, yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")
) -> None:
    """Crypto-shred a tenant: destroy its keys and warehouse. Irreversible."""
    from services import tenants

    tenants.get_tenant(operator(), slug)
    if not yes and not typer.confirm(
        f"Destroy tenant {slug!r}, its keys and its warehouse forever?", default=False
    ):
        raise typer.Exit(1)
    tenants.delete_tenant(operator(), slug)
    console.print(f"tenant [bold]{slug}[/bold] deleted; its keys are destroyed")


@keys_app.command("rotate")
def rotate(tenant: str) -> None:
    """Re-wrap the tenant's data keys under the current master key."""
    from services import tenants

    count = tenants.rotate_keys(operator(), tenant)
    console.print(f"re-wrapped {count} data keys of tenant [bold]{tenant}[/bold]")
