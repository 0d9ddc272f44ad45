"""Pass: re-read the generated SQL and check that every table it reads is governed.

Defence in depth against the generator: sqlglot's dialect generators apply their own rewrites
while generating (the DuckDB one unqualifies every column inside a PIVOT statement, for one), and
text is what the database runs. So the generated SQL is parsed again and must hold:

- one query; every table reference is either a renamed CTE (``__rls_cte_<n>``, unqualified) or a
  table qualified with exactly the tenant schema, with no catalog or project;
- for a restricted reader, every tenant table is the ``__rls`` (or ``__rls_<n>``) source of a
  policy wrapper ``(SELECT <* or mask> FROM "<schema>"."T" AS __rls WHERE <predicate>)`` and the
  predicate (and mask) reads no table and no column other than ``__rls.<column>``.

A violation refuses the query (it is a compiler bug, never the user's): nothing unchecked runs.
"""

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from governance.rls.context import QueryRefused, Reader
from governance.rls.passes.render_predicates import ROW_ALIAS
from governance.rls.passes.resolve_tables import CTE_PREFIX

_WRAPPER_ARGS = frozenset({"expressions", "from_", "where"})


def verify_output(sql: str, dialect: str, reader: Reader) -> str:
    """Return ``sql`` if every table it reads is wrapped as ``apply_policies`` wraps them."""
    try:
        statements = Dialect.get_or_raise(dialect).parse(sql)
    except SqlglotError:
        raise _unsafe("the compiled query does not parse") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise _unsafe("the compiled query is not one query")
    case_insensitive = dialect == "duckdb"
    schema = reader.tenant_schema.lower() if case_insensitive else reader.tenant_schema
    for table in statements[0].find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.args.get("catalog"):
            raise _unsafe("a table reference is not a plain name")
        db = table.args.get("db")
        if db is None:
            if not table.name.startswith(CTE_PREFIX):
                raise _unsafe(f"an unqualified table is not a CTE: {table.name}")
            continue
        written = db.name.lower() if case_insensitive else db.name
        if not isinstance(db, exp.Identifier) or written != schema:
            raise _unsafe("a table is outside the tenant schema")
        if not reader.unrestricted:
            _check_wrapper(table)
    return sql


def _check_wrapper(table: exp.Table) -> None:
    select = table.parent.parent if isinstance(table.parent, exp.From) else None
    row_alias = table.alias
    if (
        not row_alias.startswith(ROW_ALIAS)
        or not isinstance(select, exp.Select)
        or not isinstance(select.parent, exp.Subquery)
        or select.args.get("where") is None
        or any(value for key, value in select.args.items() if key not in _WRAPPER_ARGS)
    ):
        raise _unsafe("a tenant table is not wrapped in its policy filter")
    for part in (select.args["where"], *select.expressions):
        if part.find(exp.Query, exp.Table) is not None:
            raise _unsafe("a policy filter reads a table")
        for column in part.find_all(exp.Column):
            if column.table != row_alias or column.args.get("db"):
                raise _unsafe("a policy filter reads a column of another table")


def _unsafe(reason: str) -> QueryRefused:
    return QueryRefused(f"the query could not be compiled safely ({reason})")
