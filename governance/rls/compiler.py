"""The RLS compiler and SQL guard: one read-only query in, the SQL a given reader may run out.

``compile_query(sql, dialect, reader, tables)`` parses ``sql`` (DuckDB or BigQuery), refuses
anything but a single read-only query over the tenant's visible ``tables`` (with a clear reason,
as ``QueryRefused``), and rewrites every reference to a tenant table, wherever it appears, so it
reads only the rows the reader's policies admit (owners and admins: every row; a table without a
policy for a restricted reader: no rows). The passes, in order, are listed in
``governance.rls.passes``; each is a small function from expression to expression. The output is
read back and verified as strictly as the input: nothing reaches the warehouse that the compiler
has not checked in the form the warehouse will read.
"""

from collections.abc import Collection, Mapping

from sqlglot.errors import SqlglotError

from governance.rls.context import DIALECTS, CompiledQuery, QueryRefused, Reader
from governance.rls.passes.apply_policies import AppliedPolicies, apply_policies
from governance.rls.passes.canonicalize import canonicalize
from governance.rls.passes.check_constructs import check_constructs
from governance.rls.passes.check_functions import check_functions
from governance.rls.passes.check_policy_columns import check_policy_columns
from governance.rls.passes.check_size import check_size
from governance.rls.passes.check_types import check_types
from governance.rls.passes.generate import generate
from governance.rls.passes.name_expression_columns import name_expression_columns
from governance.rls.passes.parse_one_statement import parse_one_statement
from governance.rls.passes.refuse_unsafe_sources import refuse_unsafe_sources
from governance.rls.passes.refuse_writes import refuse_writes
from governance.rls.passes.render_predicates import PolicyPredicates
from governance.rls.passes.resolve_tables import resolve_tables
from governance.rls.passes.verify_output import verify_output


def compile_query(
    sql: str, dialect: str, reader: Reader, tables: Collection[str] | Mapping[str, Collection[str]]
) -> CompiledQuery:
    """Compile ``sql`` for ``reader``.

    ``tables`` are the tenant's visible tables, or a mapping from each to its columns; with
    columns, a policy naming a column its table lacks refuses the query.
    """
    if dialect not in DIALECTS:
        raise QueryRefused(f"unsupported dialect: {dialect}")
    if isinstance(tables, Mapping):
        check_policy_columns(reader, tables, dialect)
    try:
        return _compile(sql, dialect, reader, tables)
    except RecursionError:
        raise QueryRefused("the query is nested too deeply") from None
    except SqlglotError as error:  # anything sqlglot reports that a pass did not turn into a reason
        raise QueryRefused(f"could not compile the query: {error}") from None


def _compile(sql: str, dialect: str, reader: Reader, tables: Collection[str]) -> CompiledQuery:
    expression = parse_one_statement(sql, dialect)
    expression = check_size(expression)
    expression = refuse_writes(expression)
    expression = refuse_unsafe_sources(expression, sql, dialect)
    expression = check_functions(expression, dialect)
    expression = check_types(expression, dialect)
    expression = check_constructs(expression)
    expression = canonicalize(expression, dialect)
    expression = name_expression_columns(expression, dialect)
    expression = resolve_tables(expression, dialect, reader.tenant_schema, tables)
    applied = AppliedPolicies()
    predicates = PolicyPredicates(reader, dialect, case_insensitive=dialect == "duckdb")
    expression = apply_policies(expression, reader, dialect, predicates, applied)
    sql = generate(expression, dialect, copy=True)  # the tree stays as built, to compare with
    verified = verify_output(expression, sql, dialect, reader, tables, predicates)
    return CompiledQuery(
        sql=verified.sql,
        tables=tuple(applied.tables),
        policies=tuple(applied.policies),
        wrappers=verified.wrappers,
        tree=expression,
    )
