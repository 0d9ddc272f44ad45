"""``atspark sql``: run SQL as a user, through the governed path."""

import base64
import csv
import json
import sys
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

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


def _plain(value: Any) -> Any:
    """A value JSON can carry: numbers stay numbers, times become ISO 8601."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _shown(text: str) -> Text:
    """Data as plain text for a terminal: never Rich markup, control characters escaped."""
    return Text("".join(c if c.isprintable() or c in "\n\t" else f"\\x{ord(c):02x}" for c in text))


def _write(result: "QueryResult", fmt: SqlFormat, out: TextIO) -> None:
    rows = [[_plain(v) for v in row] for row in result.rows]
    if fmt is SqlFormat.json:
        document = {"columns": result.columns, "rows": rows, "row_count": len(rows)}
        print(json.dumps(document), file=out)
    elif fmt is SqlFormat.csv:
        writer = csv.writer(out)
        writer.writerow(result.columns)
        writer.writerows(rows)
    else:
        table = Table()
        for column in result.columns:
            table.add_column(_shown(column))
        for row in rows:
            table.add_row(*(_shown("" if v is None else str(v)) for v in row))
        console.print(table)
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
    from services.queries import run_query

    if output is None:
        result = run_query(as_user(as_), tenant, query)
        _write(result, fmt or SqlFormat.table, sys.stdout)
        return
    file_format = fmt or (SqlFormat.json if output.suffix.lower() == ".json" else SqlFormat.csv)
    if file_format is SqlFormat.table:
        raise AtsparkError("--output writes csv or json, not a table")
    result = run_query(as_user(as_), tenant, query, export=True)
    with output.open("w", newline="", encoding="utf-8") as exported:
        _write(result, file_format, exported)
    console.print(f"exported {result.row_count} rows to {output}")
