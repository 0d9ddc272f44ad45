"""Validation of the names that become schemas, tables and directories."""

import re

from governance.errors import AtsparkError

_IDENTIFIER = re.compile(r"[a-z](?:[a-z0-9_]{0,38}[a-z0-9])?")
RESERVED = frozenset(
    {"main", "memory", "system", "temp", "warehouse", "information_schema", "pg_catalog"}
)


def check_identifier(kind: str, value: str) -> str:
    """Return ``value`` if it is a safe lower-case identifier, else raise a clear error."""
    if not _IDENTIFIER.fullmatch(value) or "__" in value:
        raise AtsparkError(
            f"invalid {kind} {value!r}: use 1-40 lower-case letters, digits and single "
            "underscores, starting with a letter"
        )
    if value in RESERVED:
        raise AtsparkError(f"invalid {kind} {value!r}: the name is reserved")
    return value


def table_name(connection: str, stream: str) -> str:
    """The warehouse table a connection's stream lands in: ``<connection>_<stream>``."""
    return f"{connection}_{stream}"
