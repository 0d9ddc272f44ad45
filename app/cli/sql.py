"""``atspark sql``: run SQL as a user, through the governed path; print it or export it."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from app.cli.context import as_user
from app.cli.output import console
from governance.errors import AtsparkError

if TYPE_CHECKING:
    from governance.governed_query import QueryResult


class SqlFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def shown(text: str) -> Text:
    """Data as plain text for a terminal: never Rich markup, control characters escaped."""
    return Text("".join(c if c.isprintable() or c in "\n\t" else f"\\x{ord(c):02x}" for c in text))


def _print(result: "QueryResult", fmt: SqlFormat) -> None:
    from services.exports import ExportFormat, plain, write_rows

    if fmt is SqlFormat.table:
        table = Table()
        for column in result.columns:
            table.add_column(shown(column))
        for row in result.rows:
            table.add_row(*(shown("" if v is None else str(plain(v))) for v in row))
        console.print(table)
    else:
        write_rows(result, ExportFormat(fmt.value), sys.stdout)
    if result.truncated:
        print(f"note: only the first {result.row_count} rows are shown", file=sys.stderr)


def sql_command(
    tenant: str,
    query: str = typer.Argument(..., metavar="SQL"),
    as_: str = typer.Option(..., "--as", help="Email of the user to run the query as."),
    fmt: SqlFormat | None = typer.Option(
        None, "--format", help="table on screen; in a file csv, or json for a .json name."
    ),
    output: Path = typer.Option(
        None, "--output", help="Export the result to this file (needs data.export).", dir_okay=False
    ),
) -> None:
    """Run SQL as a user: only the rows their policies admit."""
    from services.exports import Export, ExportFormat
    from services.queries import export_query, run_query

    if output is None:
        _print(run_query(as_user(as_), tenant, query), fmt or SqlFormat.table)
        return
    if fmt is SqlFormat.table:
        raise AtsparkError("--output writes csv or json, not a table")
    as_json = fmt is SqlFormat.json or (fmt is None and output.suffix.lower() == ".json")
    export = Export(output, ExportFormat.json if as_json else ExportFormat.csv)
    result = export_query(as_user(as_), tenant, query, export)
    console.print(f"exported {result.row_count} rows to {output}")
    if result.truncated:
        print(f"note: only the first {result.row_count} rows were exported", file=sys.stderr)
