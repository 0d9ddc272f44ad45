"""``atspark token ...``: personal API tokens for automation."""

import re
from datetime import timedelta

import typer

from app.cli.context import operator
from app.cli.output import console
from governance.errors import AtsparkError

token_app = typer.Typer(
    help="Personal API tokens (sent as Authorization: Bearer).", no_args_is_help=True
)

_DURATION = re.compile(r"([0-9]{1,6})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """``90m``, ``12h``, ``30d``: a number and a unit (s, m, h, d)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise AtsparkError(
            f"--ttl must be a number and a unit (s, m, h or d), like 30d, not {text!r}"
        )
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@token_app.command("create")
def token_create(
    tenant: str,
    email: str,
    ttl: str = typer.Option("30d", "--ttl", help="Lifetime: 90m, 12h, 30d (at most 365d)."),
    name: str = typer.Option("", "--name", help="What the token is for."),
) -> None:
    """Create a token acting as EMAIL with their permissions; it is printed this once."""
    from services import auth

    token, info = auth.create_api_token(operator(), tenant, email, parse_duration(ttl), name)
    print(token)
    typer.echo(f"token {info.id} for {email} expires {info.expires_at}", err=True)


@token_app.command("revoke")
def token_revoke(tenant: str, token_id: str) -> None:
    """Revoke a token by its id."""
    from services import auth

    auth.revoke_api_token(operator(), tenant, token_id)
    console.print(f"revoked token {token_id}")
