"""``atspark policy ...``."""

import typer

from app.cli.context import operator
from app.cli.output import Format, as_dict, console, emit

policy_app = typer.Typer(help="Manage row-level policies.", no_args_is_help=True)


@policy_app.command("add")
def add(
    tenant: str,
    name: str,
    table: str = typer.Option(..., "--table", help="The table the policy filters."),
    filter_: str = typer.Option(
        ...,
        "--filter",
        help="SQL predicate; may use {{ user.email }}, {{ user.id }}, {{ user.attr.KEY }}.",
    ),
    role: list[str] = typer.Option(None, "--role", help="Role granted the policy (repeatable)."),
    group: list[str] = typer.Option(None, "--group", help="Group granted the policy (repeatable)."),
) -> None:
    """Add a row filter on a table for roles and groups."""
    from services import policies

    policy = policies.add_policy(operator(), tenant, name, table, filter_, role or [], group or [])
    console.print(f"added policy [bold]{policy.name}[/bold] on {policy.table}")


@policy_app.command("list")
def list_(tenant: str, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """List a tenant's policies."""
    from services import policies

    rows = [as_dict(p) for p in policies.list_policies(operator(), tenant)]
    emit(rows, ["name", "table", "filter", "roles", "groups"], fmt)


@policy_app.command("remove")
def remove(tenant: str, name: str) -> None:
    """Remove a policy."""
    from services import policies

    policies.remove_policy(operator(), tenant, name)
    console.print(f"removed policy [bold]{name}[/bold]")
