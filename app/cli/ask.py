"""``atspark ask``: a plain-English question to AI Assist, answered as a user."""

import json
import sys
from enum import StrEnum

import typer
from rich.table import Table

from app.cli.context import as_user
from app.cli.output import console
from app.cli.sql import shown


class AskFormat(StrEnum):
    table = "table"
    json = "json"


def ask_command(
    tenant: str,
    question: str = typer.Argument(..., metavar="QUESTION"),
    as_: str = typer.Option(..., "--as", help="Email of the user who asks."),
    fmt: AskFormat = typer.Option(AskFormat.table, "--format", help="table on screen, or json."),
    show_sql: bool = typer.Option(False, "--show-sql", help="Print the SQL that was run."),
) -> None:
    """Ask AI Assist a question as a user: governed SQL, only the rows their policies admit."""
    from services.assist import ask

    answer = ask(as_user(as_), tenant, question)
    if fmt is AskFormat.json:
        print(json.dumps(answer.document(), ensure_ascii=False))
    elif answer.outcome == "ok":
        if answer.explanation:
            console.print(shown(answer.explanation), style="dim")
        table = Table()
        for column in answer.columns:
            table.add_column(shown(column))
        for row in answer.document()["rows"]:
            table.add_row(*(shown("" if value is None else str(value)) for value in row))
        console.print(table)
        if show_sql and answer.sql:
            console.print(shown(answer.sql))
    else:
        print(shown(f"{answer.outcome}: {answer.reason}").plain, file=sys.stderr)
    if answer.outcome != "ok":
        raise typer.Exit(2 if answer.outcome == "refused" else 1)
