"""``atspark connector ...``: the catalog, and scaffolding a plugin."""

import json
from pathlib import Path

import typer

from app.cli.output import Format, console, emit

connector_app = typer.Typer(help="The connector catalog and plugins.", no_args_is_help=True)


@connector_app.command("list")
def list_(
    category: str = typer.Option(None, help="Only this category (billing, crm, ...)."),
    fmt: Format = typer.Option(Format.table, "--format"),
) -> None:
    """List connectors: name, category, auth kind and streams."""
    from services import catalog

    emit(catalog.list_connectors(category), ["name", "category", "auth", "streams"], fmt)


@connector_app.command("show")
def show(name: str, fmt: Format = typer.Option(Format.table, "--format")) -> None:
    """Show a connector: its streams and its connection's fields (secrets marked)."""
    from services import catalog

    described = catalog.describe_connector(name)
    if fmt is Format.json:
        print(json.dumps(described, indent=2))
        return
    console.print(
        f"[bold]{described['name']}[/bold] ({described['category']}, auth: "
        f"{described['auth']}) {described['docs_url']}"
    )
    schema = described["config"]
    required = set(schema.get("required", ()))
    fields = [
        {
            "field": field,
            "type": spec.get("type") or "enum",
            "secret": "yes" if spec.get("writeOnly") else "",
            "required": "yes" if field in required else "",
            "default": spec.get("default"),
            "description": spec.get("description", ""),
        }
        for field, spec in schema.get("properties", {}).items()
    ]
    emit(fields, ["field", "type", "secret", "required", "default", "description"], fmt)
    streams = [
        {**stream, "primary_key": ", ".join(stream["primary_key"])}
        for stream in described["streams"]
    ]
    emit(streams, ["name", "endpoint", "primary_key", "cursor", "write_disposition"], fmt)


@connector_app.command("new")
def new(
    name: str,
    directory: Path = typer.Option(Path("."), "--dir", help="Where to create the package."),
) -> None:
    """Scaffold a connector plugin package: a spec, a README and tests that pass as generated."""
    from connectors.scaffold import scaffold

    created = scaffold(name, directory)
    console.print(f"created plugin package [bold]{created}[/bold]")
    console.print(f"next: uv pip install -e {created} && pytest {created}")
