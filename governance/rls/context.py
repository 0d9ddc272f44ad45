"""What the RLS compiler needs to know about a read: who reads, and what the tenant holds."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from governance.errors import AtsparkError

if TYPE_CHECKING:  # the worker that runs reads imports this module without sqlglot
    from sqlglot import exp

DIALECTS = ("duckdb", "bigquery")


class QueryRefused(AtsparkError):
    """The query is not one the governed path runs; the message says why, revealing nothing.

    ``detail`` says more, for the audit trail only (which policy, and what is wrong with it).
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def policy_refusal(table: str, detail: str) -> QueryRefused:
    """A refusal caused by a policy an administrator must fix; the reader sees no policy."""
    return QueryRefused(
        f"a row policy on {table} cannot be applied; an administrator must fix it", detail
    )


@dataclass(frozen=True)
class PolicyRule:
    """A row filter on one table, attached (elsewhere) to roles and groups.

    ``predicate`` is a SQL boolean expression over the table's columns; it may contain the
    placeholders ``{{ user.email }}``, ``{{ user.id }}`` and ``{{ user.attr.KEY }}``.
    """

    name: str
    table: str
    predicate: str


@dataclass(frozen=True)
class Reader:
    """The user a query is compiled for.

    ``unrestricted`` readers (owner, admin) read every row of their tenant. Everyone else reads
    a row of table T only if one of ``policies`` on T admits it; no policy on T means no rows.
    """

    tenant_schema: str
    user_id: str
    email: str
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unrestricted: bool = False
    policies: tuple[PolicyRule, ...] = ()


@dataclass(frozen=True)
class CompiledQuery:
    """The SQL to execute, the tenant tables it reads and the policies applied to them.

    ``wrappers`` is the SQL of each distinct policy wrapper the query reads a tenant table
    through (none for an unrestricted reader), for the executing connection to check again;
    ``tree`` is the tree ``sql`` parses to.
    """

    sql: str
    tables: tuple[str, ...]
    policies: tuple[str, ...]
    wrappers: tuple[str, ...] = ()
    tree: "exp.Expr | None" = field(default=None, compare=False, repr=False)
