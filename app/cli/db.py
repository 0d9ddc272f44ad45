"""``atspark db upgrade``: bring the control plane's schema to this version's revision."""

import typer

from app.cli.output import console

db_app = typer.Typer(help="The control-plane database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the control plane's pending migrations (``make run`` does this first)."""
    from governance.settings import get_settings
    from governance.store.db import ControlPlane

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    before, after = ControlPlane.upgrade(settings.control_plane_url)
    if before == after:
        console.print(f"the control plane is at revision {after}")
    else:
        console.print(f"upgraded the control plane from revision {before or 'none'} to {after}")
    from app.cli.context import operator
    from services.tenants import add_missing_keys

    if made := add_missing_keys(operator()):
        console.print(f"made {made} data keys for purposes the upgrade added")
