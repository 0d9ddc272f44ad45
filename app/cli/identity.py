"""``atspark user ...``, ``atspark group ...`` and ``atspark role ...``."""

import typer

from app.cli.context import operator
from app.cli.output import Format, as_dict, console, emit, parse_multi_pairs, read_password

user_app = typer.Typer(help="Manage a tenant's users.", no_args_is_help=True)
group_app = typer.Typer(help="Manage a tenant's groups.", no_args_is_help=True)
role_app = typer.Typer(help="Manage a tenant's roles.", no_args_is_help=True)

ROLE = typer.Option(None, "--role", help="Role (repeatable).")
GROUP = typer.Option(None, "--group", help="Group (repeatable).")
ATTR = typer.Option(None, "--attr", help="KEY=VALUE; repeat a key for several values.")
FORMAT = typer.Option(Format.table, "--format")
PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Set the user's password from the first line of stdin."
)
USER_COLUMNS = ["email", "roles", "groups", "attributes"]


@user_app.command("add")
def user_add(
    tenant: str,
    email: str,
    role: list[str] = ROLE,
    group: list[str] = GROUP,
    attr: list[str] = ATTR,
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Add a user with one or more roles, groups and attributes."""
    from services import identity

    user = identity.add_user(
        operator(),
        tenant,
        email,
        role or [],
        group or [],
        parse_multi_pairs("attr", attr or []),
        password=read_password() if password_stdin else None,
    )
    console.print(f"added user [bold]{user.email}[/bold] to {tenant}")


@user_app.command("set")
def user_set(
    tenant: str,
    email: str,
    role: list[str] = ROLE,
    group: list[str] = GROUP,
    attr: list[str] = ATTR,
    clear_attr: list[str] = typer.Option(None, "--clear-attr", help="Remove an attribute key."),
    no_groups: bool = typer.Option(False, "--no-groups", help="Remove the user from all groups."),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Replace the given roles, groups or attribute values of a user."""
    from services import identity

    user = identity.set_user(
        operator(),
        tenant,
        email,
        roles=role or None,
        groups=[] if no_groups else (group or None),
        attributes=parse_multi_pairs("attr", attr or []),
        clear_attributes=clear_attr or [],
        password=read_password() if password_stdin else None,
    )
    console.print(f"updated user [bold]{user.email}[/bold]")


@user_app.command("list")
def user_list(tenant: str, fmt: Format = FORMAT) -> None:
    """List a tenant's users with their roles, groups and attributes."""
    from services import identity

    emit([as_dict(u) for u in identity.list_users(operator(), tenant)], USER_COLUMNS, fmt)


@user_app.command("remove")
def user_remove(tenant: str, email: str) -> None:
    """Remove a user."""
    from services import identity

    identity.remove_user(operator(), tenant, email)
    console.print(f"removed user [bold]{email}[/bold] from {tenant}")


@group_app.command("add")
def group_add(tenant: str, name: str) -> None:
    """Add a group."""
    from services import identity

    identity.add_group(operator(), tenant, name)
    console.print(f"added group [bold]{name}[/bold] to {tenant}")


@group_app.command("list")
def group_list(tenant: str, fmt: Format = FORMAT) -> None:
    """List a tenant's groups."""
    from services import identity

    emit([{"name": name} for name in identity.list_groups(operator(), tenant)], ["name"], fmt)


@role_app.command("add")
def role_add(
    tenant: str,
    name: str,
    permission: list[str] = typer.Option(None, "--permission", help="Permission (repeatable)."),
) -> None:
    """Add a custom role; its users read rows only through policies."""
    from services import identity

    identity.add_role(operator(), tenant, name, permission or [])
    console.print(f"added role [bold]{name}[/bold] to {tenant}")


@role_app.command("list")
def role_list(tenant: str, fmt: Format = FORMAT) -> None:
    """List a tenant's roles, built-in and custom."""
    from services import identity

    emit(identity.list_roles(operator(), tenant), ["name", "builtin", "permissions"], fmt)
