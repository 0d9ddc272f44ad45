"""Pass: refuse row sources that are not tables, CTEs, subqueries, VALUES or UNNEST.

Refused, wherever they appear (FROM, JOIN, LATERAL, a subquery in the select list):

- table functions: ``range(10)``, ``duckdb_tables()``, ``query_table('t')``; a function that reads
  files or URLs (``read_csv``, ``read_parquet('s3://...')``, ``glob``) is named as such;
- a string in FROM, which DuckDB reads as a file: ``FROM 'data.csv'`` (sqlglot turns the string
  into a quoted identifier; the source text tells the two apart);
- time travel (``FOR SYSTEM_TIME AS OF``, ``AT (VERSION => ...)``, ``CHANGES``), which reads rows a
  policy no longer sees, and other table-level options sqlglot parses but we do not rewrite.
"""

from sqlglot import exp

from governance.rls.context import QueryRefused
from governance.rls.passes.functions_allowed import READS_FILES_OR_URLS, refusal_for

# String quote characters per dialect (a string, not an identifier, in that dialect).
_STRING_QUOTES = {"duckdb": "'", "bigquery": "'\""}
_TIME_TRAVEL = ("version", "when", "changes", "system_time")
_UNSUPPORTED_TABLE_ARGS = ("rows_from", "format", "pattern", "indexed", "partition", "hints")
_LATERAL_SOURCES = (exp.Subquery, exp.Unnest, exp.Explode)


def refuse_unsafe_sources(expression: exp.Expr, sql: str, dialect: str) -> exp.Expr:
    """Return ``expression`` unless it reads from something other than a plain relation."""
    quotes = _STRING_QUOTES.get(dialect, "'")
    for node in expression.walk():
        if isinstance(node, exp.Table):
            _check_table(node, sql, quotes)
        elif isinstance(node, exp.Lateral) and not isinstance(node.this, _LATERAL_SOURCES):
            _refuse_table_function(node.this)
        elif isinstance(node, exp.TableFromRows):
            _refuse_table_function(node.this)
    return expression


def _check_table(table: exp.Table, sql: str, quotes: str) -> None:
    source = table.this
    if isinstance(source, exp.Func):
        _refuse_table_function(source)
    if isinstance(source, (exp.Placeholder, exp.Parameter)):
        raise QueryRefused("query parameters are not allowed")
    if not isinstance(source, (exp.Identifier, exp.Dot)):
        raise QueryRefused(f"unsupported table reference: {table.sql()}")
    if isinstance(source, exp.Identifier) and _written_as_string(source, sql, quotes):
        written = ".".join(part.name for part in table.parts)
        raise QueryRefused(f"reading files or URLs is not allowed: '{written}'")
    for arg in _TIME_TRAVEL:
        if table.args.get(arg):
            raise QueryRefused("time travel is not allowed")
    for arg in _UNSUPPORTED_TABLE_ARGS:
        if table.args.get(arg):
            raise QueryRefused(f"unsupported table option: {arg.upper()}")


def _written_as_string(identifier: exp.Identifier, sql: str, quotes: str) -> bool:
    start = identifier.meta_get("start")
    return isinstance(start, int) and 0 <= start < len(sql) and sql[start] in quotes


def _refuse_table_function(source: exp.Expr | None) -> None:
    name = _function_name(source)
    if any(fragment in name.lower() for fragment in READS_FILES_OR_URLS):
        raise QueryRefused(f"reading files or URLs is not allowed: {name}")
    message = refusal_for(name)
    if message.startswith("function not allowed"):
        message = f"table functions are not allowed: {name}"
    raise QueryRefused(message)


def _function_name(source: exp.Expr | None) -> str:
    if isinstance(source, exp.Anonymous):
        return source.name
    if isinstance(source, exp.Func):
        return source.sql_name().lower()
    return source.key if source is not None else "?"
