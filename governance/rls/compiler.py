"""The RLS compiler and SQL guard: one read-only query in, the SQL a given reader may run out.

``compile_query(sql, dialect, reader, tables)`` parses ``sql`` (DuckDB or BigQuery), refuses
anything but a single read-only query over the tenant's visible ``tables`` (with a clear reason,
as ``QueryRefused``), and rewrites every reference to a tenant table, wherever it appears, so it
reads only the rows the reader's policies admit (owners and admins: every row; a table without a
policy for a restricted reader: no rows). The passes run in the order of ``PASSES`` (described in
``governance.rls.passes``); each is a small function from expression to expression. The output is
read back and verified as strictly as the input: nothing reaches the warehouse that the compiler
has not checked in the form the warehouse will read.
"""

from collections.abc import Callable, Collection, Mapping
from inspect import signature
from typing import Any

from sqlglot.errors import SqlglotError

from governance.rls.context import DIALECTS, CompiledQuery, QueryRefused, Reader
from governance.rls.passes.apply_policies import AppliedPolicies, apply_policies
from governance.rls.passes.canonicalize import canonicalize
from governance.rls.passes.check_constructs import check_constructs
from governance.rls.passes.check_functions import check_functions
from governance.rls.passes.check_policy_columns import check_policy_columns
from governance.rls.passes.check_size import check_size
from governance.rls.passes.check_types import check_types
from governance.rls.passes.name_expression_columns import name_expression_columns
from governance.rls.passes.parse_one_statement import parse_one_statement
from governance.rls.passes.refuse_unsafe_sources import refuse_unsafe_sources
from governance.rls.passes.refuse_writes import refuse_writes
from governance.rls.passes.render_predicates import PolicyPredicates
from governance.rls.passes.resolve_tables import resolve_tables
from governance.rls.passes.verify_output import VerifiedOutput, verify_output

PASSES: tuple[Callable[..., Any], ...] = (
    parse_one_statement,
    check_size,
    check_policy_columns,
    refuse_writes,
    refuse_unsafe_sources,
    check_functions,
    check_types,
    check_constructs,
    canonicalize,
    name_expression_columns,
    resolve_tables,
    apply_policies,
    verify_output,
)
"""The passes, in order. Each takes the previous one's result (the first, the query's text) as
its first argument and, by parameter name, what else it needs of the compilation, as sqlglot's
``optimize`` hands its rules their arguments. The last returns the verified output."""

_PARAMETERS = {rule: tuple(signature(rule).parameters)[1:] for rule in PASSES}


def compile_query(
    sql: str, dialect: str, reader: Reader, tables: Collection[str] | Mapping[str, Collection[str]]
) -> CompiledQuery:
    """Compile ``sql`` for ``reader``.

    ``tables`` are the tenant's visible tables, or a mapping from each to its columns; with
    columns, a policy naming a column its table lacks refuses the query.
    """
    if dialect not in DIALECTS:
        raise QueryRefused(f"unsupported dialect: {dialect}")
    try:
        return _compile(sql, dialect, reader, tables)
    except RecursionError:
        raise QueryRefused("the query is nested too deeply") from None
    except SqlglotError as error:  # anything sqlglot reports that a pass did not turn into a reason
        raise QueryRefused(f"could not compile the query: {error}") from None


def _compile(
    sql: str, dialect: str, reader: Reader, tables: Collection[str] | Mapping[str, Collection[str]]
) -> CompiledQuery:
    applied = AppliedPolicies()
    compilation: dict[str, Any] = {
        "sql": sql,
        "dialect": dialect,
        "reader": reader,
        "tenant_schema": reader.tenant_schema,
        "tables": tables,
        "predicates": PolicyPredicates(reader, dialect, case_insensitive=dialect == "duckdb"),
        "applied": applied,
    }
    result: Any = sql
    for rule in PASSES:
        tree = result  # after the loop: the tree the last pass verified
        result = rule(result, **{name: compilation[name] for name in _PARAMETERS[rule]})
    verified: VerifiedOutput = result
    return CompiledQuery(
        sql=verified.sql,
        tables=tuple(applied.tables),
        policies=tuple(applied.policies),
        wrappers=verified.wrappers,
        tree=tree,
    )
