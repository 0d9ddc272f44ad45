"""Pass (DuckDB): name each unnamed select-list expression DuckDB would name after compiled SQL.

DuckDB names an unaliased expression column after its own SQL. For an expression holding a
subquery that is the compiled SQL, policy filter included: ``(SELECT count(*) FROM (SELECT * FROM
acme.orders AS __rls WHERE region = 'EU') AS orders)``; for a window function over a named window
(``count(*) OVER w``), the window's definition, subqueries and all. Run before any table is
rewritten, this pass gives every such expression (any holding a subquery or a window) its SQL as
the reader wrote it (canonical form) as an alias, so a column name never carries a policy. Other
expressions keep DuckDB's naming. ``COLUMNS(...)`` expands to several columns that one alias
cannot name, so it may not hold a subquery. BigQuery names unaliased columns ``f0_``, ``f1_``, ...:
nothing to do there.
"""

from sqlglot import exp

from governance.rls.context import QueryRefused
from governance.rls.passes.generate import generate

_NAMED_BY_CONTENT = (exp.Query, exp.Window)


def name_expression_columns(expression: exp.Expr, dialect: str) -> exp.Expr:
    """Alias every unaliased projection holding a subquery or a window with its own SQL."""
    if dialect != "duckdb":
        return expression
    for select in list(expression.find_all(exp.Select)):
        projections = select.expressions
        if any(_needs_name(projection) for projection in projections):
            select.set("expressions", [_named(p, dialect) for p in projections])
    return expression


def _needs_name(projection: exp.Expr) -> bool:
    if isinstance(projection, exp.Alias | exp.Star) or not projection.find(*_NAMED_BY_CONTENT):
        return False
    if projection.find(exp.Columns):
        raise QueryRefused("COLUMNS(...) cannot be combined with a subquery or a window here")
    return True


def _named(projection: exp.Expr, dialect: str) -> exp.Expr:
    if not _needs_name(projection):
        return projection
    name = exp.to_identifier(generate(projection, dialect, copy=True), quoted=True)
    return exp.Alias(this=projection, alias=name)
