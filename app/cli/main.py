"""The ``atspark`` command: user mistakes become one clear line and exit status 1; a refusal
(a refused query, a missing permission) exit status 2."""

import sys

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from app.cli.anomaly import anomaly_app
from app.cli.ask import ask_command
from app.cli.audit import audit_app
from app.cli.backups import backup_app, restore_command
from app.cli.connections import connection_app
from app.cli.connectors import connector_app
from app.cli.db import db_app
from app.cli.identity import group_app, role_app, user_app
from app.cli.ingest import ingest_command
from app.cli.policies import policy_app
from app.cli.sandbox import sandbox_app
from app.cli.serve import serve_command
from app.cli.sql import sql_command
from app.cli.tenants import keys_app, tenant_app
from app.cli.tokens import token_app
from governance.errors import AtsparkError, PermissionDenied

cli = typer.Typer(
    name="atspark",
    help="atspark: per-tenant encrypted warehouses for SaaS data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(tenant_app, name="tenant")
cli.add_typer(keys_app, name="keys")
cli.add_typer(connector_app, name="connector")
cli.add_typer(connection_app, name="connection")
cli.add_typer(sandbox_app, name="sandbox")
cli.add_typer(user_app, name="user")
cli.add_typer(group_app, name="group")
cli.add_typer(role_app, name="role")
cli.add_typer(policy_app, name="policy")
cli.add_typer(audit_app, name="audit")
cli.add_typer(anomaly_app, name="anomaly")
cli.add_typer(backup_app, name="backup")
cli.add_typer(db_app, name="db")
cli.add_typer(token_app, name="token")
cli.command("ingest")(ingest_command)
cli.command("sql")(sql_command)
cli.command("ask")(ask_command)
cli.command("restore")(restore_command)
cli.command("serve")(serve_command)


def main() -> None:
    if any(_undecodable(argument) for argument in sys.argv[1:]):
        _fail("arguments must be valid UTF-8 text")
    try:
        status = cli(standalone_mode=False)
    except NoArgsIsHelpError as usage:
        usage.show()
        status = 0
    except ClickException as mistake:  # usage: an unknown option, a missing argument, ...
        _fail(f"{mistake.format_message()} (see {_command(mistake)} --help)")
    except typer.Abort:
        _fail("aborted")
    except AtsparkError as error:
        if _is_refusal(error):
            _fail(f"refused: {error}", status=2)
        _fail(str(error))
    sys.exit(status if isinstance(status, int) else 0)


def _undecodable(argument: str) -> bool:
    """Bytes that are not UTF-8 reach Python as lone surrogates; no text may hold them."""
    try:
        argument.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _command(mistake: ClickException) -> str:
    context = getattr(mistake, "ctx", None)
    return context.command_path if context is not None else "atspark"


def _is_refusal(error: AtsparkError) -> bool:
    """A refused query or a missing permission: exit status 2, as the contract says."""
    from governance.rls.context import QueryRefused  # loaded only if a refusal happened

    return isinstance(error, PermissionDenied | QueryRefused)


def _fail(message: str, status: int = 1) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(status)
