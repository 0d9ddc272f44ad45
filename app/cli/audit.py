"""``atspark audit ...``: a tenant's audit trail."""

import typer

from app.cli.context import as_user, operator
from app.cli.output import Format, console, emit

audit_app = typer.Typer(help="Read and verify a tenant's audit trail.", no_args_is_help=True)


@audit_app.command("list")
def list_(
    tenant: str,
    as_: str = typer.Option(None, "--as", help="Read as this user (needs audit.read)."),
    fmt: Format = typer.Option(Format.table, "--format"),
) -> None:
    """List a tenant's audit events, oldest first."""
    from services import audit

    context = operator() if as_ is None else as_user(as_)
    rows = [
        {
            "sequence": event.sequence,
            "at": event.occurred_at,
            "actor": event.actor,
            "action": event.action,
            "outcome": event.outcome,
            "context": event.context,
        }
        for event in audit.list_events(context, tenant)
    ]
    emit(rows, ["sequence", "at", "actor", "action", "outcome"], fmt)


@audit_app.command("verify")
def verify(tenant: str) -> None:
    """Check the tenant's hash chain: exit 1 naming the first broken event, if any."""
    from services import audit

    broken = audit.verify(operator(), tenant)
    if broken is not None:
        console.print(f"the audit trail of {tenant} is broken at event {broken}")
        raise typer.Exit(1)
    console.print(f"the audit trail of {tenant} is intact")
