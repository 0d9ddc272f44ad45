"""``atspark anomaly scan``: the detectors the Dagster sensor runs, on demand."""

import json

import typer
from rich.table import Table

from app.cli.context import operator
from app.cli.moments import MOMENT_HELP, moment
from app.cli.output import Format, console
from app.cli.sql import shown

anomaly_app = typer.Typer(help="Detect anomalies in the audit trails.", no_args_is_help=True)


@anomaly_app.command("scan")
def scan(
    tenant: str = typer.Argument(None, help="Only this tenant (default: every tenant)."),
    since: str = typer.Option(None, "--since", help=f"Findings from this time on: {MOMENT_HELP}."),
    fmt: Format = typer.Option(Format.table, "--format"),
) -> None:
    """Run every detector; print the findings, raising (auditing, mailing) the new ones."""
    from services.anomalies import scan as run_scan

    scanned = run_scan(operator(), tenant, since=moment("--since", since))
    if fmt is Format.json:
        findings = [{**item.finding.document(), "new": item.new} for item in scanned]
        print(json.dumps({"findings": findings}, ensure_ascii=False))
        return
    table = Table("tenant", "detector", "subject", "severity", "window", "new")
    for item in scanned:
        finding = item.finding
        start, end = (f"{moment_:%Y-%m-%d %H:%M}" for moment_ in finding.window)
        table.add_row(
            *(shown(str(value)) for value in (finding.tenant, finding.detector, finding.subject)),
            finding.severity, f"{start} - {end}", "yes" if item.new else "",
        )  # fmt: skip
    console.print(table if scanned else "no findings")
