"""``atspark backup run|list|verify`` and ``atspark restore``: sealed backups of each tenant."""

import json

import typer

from app.cli.context import operator
from app.cli.moments import MOMENT_HELP, moment
from app.cli.output import Format, console

backup_app = typer.Typer(
    help="Back up tenants, list and verify their backups.", no_args_is_help=True
)


@backup_app.command("run")
def run(tenant: str = typer.Argument(None, help="Only this tenant (default: every tenant).")):
    """Back up every published snapshot not yet backed up, with the tenant's control plane."""
    from services.backups import backup

    for done in backup(operator(), tenant):
        console.print(
            f"{done.tenant}: {done.snapshots} snapshots backed up ({done.bytes_written} bytes)"
        )


@backup_app.command("prune")
def prune_(tenant: str = typer.Argument(None, help="Only this tenant (default: every tenant).")):
    """Delete what no moment of the retention window needs (backing up first)."""
    from services.backups import prune

    for done in prune(operator(), tenant):
        console.print(
            f"{done.tenant}: {done.backups} backups and {done.snapshots} snapshots older than "
            f"{done.window_start:%Y-%m-%d %H:%M:%S} UTC deleted"
        )


@backup_app.command("list")
def list_(tenant: str, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """The moments the tenant's backups can restore, oldest first."""
    from services.backups import restorable

    found = restorable(operator(), tenant)
    moments = [m.isoformat() for m in found.moments]
    if fmt is Format.json:
        oldest, newest = (moments[0], moments[-1]) if moments else (None, None)
        document = {"tenant": tenant, "oldest": oldest, "newest": newest, "moments": moments}
        print(json.dumps(document))
    elif not moments:
        console.print(f"{tenant}: no backups")
    else:
        console.print(f"{tenant}: {len(moments)} restorable moments, {moments[0]} to {moments[-1]}")


@backup_app.command("verify")
def verify_(tenant: str) -> None:
    """Decrypt every backup object and check it against its manifest (exit 1 at the first bad)."""
    from services.backups import verify

    console.print(f"{tenant}: {verify(operator(), tenant)} backup objects verified")


def restore_command(
    tenant: str,
    at: str = typer.Option(..., "--at", help=f"The moment to bring back: {MOMENT_HELP}."),
    into: str = typer.Option(None, "--into", help="Restore into this new tenant instead."),
    yes: bool = typer.Option(False, "--yes", help="Confirm restoring in place."),
) -> None:
    """Bring a tenant back as it was at a moment, into a new tenant or in place."""
    from services.backups import restore

    restored = restore(operator(), tenant, moment("--at", at), into, yes)
    console.print(
        f"restored {tenant} as of {restored.published_at.isoformat()} "
        f"(snapshot {restored.sequence}) into {into or tenant}"
    )
