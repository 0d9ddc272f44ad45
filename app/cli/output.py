"""Printing results as a table or as JSON (``--format json``)."""

import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from governance.errors import AtsparkError

console = Console()


class Format(StrEnum):
    table = "table"
    json = "json"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format) -> None:
    """Print ``rows`` (dicts) as JSON or as a table of ``columns``."""
    if fmt is Format.json:
        print(json.dumps([{k: _plain(v) for k, v in row.items()} for row in rows], indent=2))
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(_plain(value))


def as_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def parse_multi_pairs(kind: str, pairs: list[str]) -> dict[str, list[str]]:
    """``KEY=VALUE`` options where a repeated key collects several values."""
    parsed: dict[str, list[str]] = {}
    for pair in pairs:
        key, value = _split_pair(kind, pair)
        parsed.setdefault(key, []).append(value)
    return parsed


def parse_pairs(kind: str, pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; a malformed one is a user error."""
    return {key: value for key, value in (_split_pair(kind, pair) for pair in pairs)}


def _split_pair(kind: str, pair: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise AtsparkError(f"--{kind} expects KEY=VALUE (values are never echoed)")
    return key.strip(), value


def read_password() -> str:
    """The first line of standard input, without its line ending (``--password-stdin``)."""
    line = sys.stdin.readline()
    if not line.strip():
        raise AtsparkError("--password-stdin: standard input held no password")
    return line.rstrip("\r\n")
