"""``atspark ingest``: load a tenant's connections, through the same service Dagster uses."""

import typer

from app.cli.context import operator
from app.cli.output import console


def ingest_command(
    tenant: str,
    connections: list[str] = typer.Argument(None, help="Connections (default: all)."),
) -> None:
    """Ingest a tenant's connections into its warehouse."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from services import ingestion

    names = connections or ingestion.connection_names(operator(), tenant)
    if not names:
        console.print(f"tenant {tenant} has no connections")
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        for name in names:
            task = progress.add_task(f"{tenant}/{name}: starting", total=None)

            def report(stage: str, task=task, name=name) -> None:
                progress.update(task, description=f"{tenant}/{name}: {stage}")

            result = ingestion.ingest(operator(), tenant, name, on_progress=report)
            progress.update(
                task,
                description=f"{tenant}/{name}: {result.total_rows} rows into "
                f"{len(result.rows)} tables in {result.duration_s:.1f}s",
                completed=1,
                total=1,
            )
