"""``atspark audit ...``: read, verify, purge and export the audit trails."""

import typer

from app.cli.context import as_user, operator
from app.cli.moments import MOMENT_HELP, moment
from app.cli.output import Format, console, emit

audit_app = typer.Typer(
    help="Read, verify, purge and export the audit trails.", no_args_is_help=True
)

_AS = "Act as this user (needs audit.read)."
_EVERY = "Only this tenant's trail (default: every trail in the control plane)."


@audit_app.command("list")
def list_(
    tenant: str,
    as_: str = typer.Option(None, "--as", help=_AS),
    actor: str = typer.Option(None, "--actor", help="Only this actor's events."),
    action: str = typer.Option(None, "--action", help="Only this action (e.g. query)."),
    since: str = typer.Option(None, "--since", help=f"From this time on: {MOMENT_HELP}."),
    until: str = typer.Option(None, "--until", help=f"Before this time: {MOMENT_HELP}."),
    limit: int = typer.Option(None, "--limit", min=1, help="At most this many events."),
    fmt: Format = typer.Option(Format.table, "--format"),
) -> None:
    """List a tenant's audit events, oldest first."""
    from services import audit

    found = audit.list_events(
        operator() if as_ is None else as_user(as_),
        tenant,
        actor=actor,
        action=action,
        since=moment("--since", since),
        until=moment("--until", until),
        limit=limit,
    )
    rows = [
        {
            "sequence": event.sequence,
            "at": event.occurred_at,
            "actor": event.actor,
            "action": event.action,
            "outcome": event.outcome,
            "context": event.context,
        }
        for event in found
    ]
    emit(rows, ["sequence", "at", "actor", "action", "outcome"], fmt)


@audit_app.command("verify")
def verify(tenant: str = typer.Argument(None, help=_EVERY)) -> None:
    """Check hash chains: exit 1 naming each broken chain's first broken event."""
    from services import audit

    if tenant is None:
        found = audit.verify_all(operator())
    else:
        found = {tenant: audit.verify(operator(), tenant)}
    broken = {name: sequence for name, sequence in found.items() if sequence is not None}
    for name, sequence in broken.items():
        console.print(f"the audit trail of {name} is broken at event {sequence}", soft_wrap=True)
    if broken:
        raise typer.Exit(1)
    console.print(
        f"the audit trail of {tenant} is intact"
        if tenant is not None
        else f"every audit trail is intact ({len(found)} checked)",
        soft_wrap=True,
    )


@audit_app.command("purge")
def purge(tenant: str = typer.Argument(None, help=_EVERY)) -> None:
    """Delete audit events older than ATSPARK_AUDIT_RETENTION_DAYS (what remains verifies)."""
    from services import audit

    context = operator()
    purged = audit.purge(context, tenant)
    for name, done in purged.items():
        console.print(
            f"purged {_plural(done.count, 'event')} of {name} (through event {done.through})",
            soft_wrap=True,
        )
    if not purged:
        days = context.platform.settings.audit_retention_days
        console.print(f"no audit event is older than {_plural(days, 'day')}: none purged")


@audit_app.command("export")
def export(
    tenant: str,
    to: str = typer.Option(
        ..., "--to", help="file://PATH, s3://BUCKET/PREFIX or cloudwatch://GROUP/STREAM."
    ),
    since: str = typer.Option(None, "--since", help=f"From this time on: {MOMENT_HELP}."),
    as_: str = typer.Option(None, "--as", help=_AS),
) -> None:
    """Export a tenant's audit events as JSON Lines, oldest first."""
    from services import audit

    context = operator() if as_ is None else as_user(as_)
    count = audit.export(context, tenant, to, since=moment("--since", since))
    console.print(f"exported {_plural(count, 'audit event')} of {tenant}")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"
