"""Pass (DuckDB): name each unnamed select-list subquery expression after the reader's SQL.

DuckDB names an unaliased expression column after its own SQL; for an expression holding a
subquery, that is the compiled SQL, policy filter included: ``(SELECT count(*) FROM (SELECT * FROM
acme.orders AS __rls WHERE region = 'EU') AS orders)``. Run before any table is rewritten, this
pass gives such expressions their SQL as the reader wrote it (canonical form) as an alias, so a
column name never carries a policy. Other expressions keep DuckDB's naming. BigQuery names such
columns ``f0_``, ``f1_``, ...: nothing to do there.
"""

from sqlglot import exp

from governance.rls.passes.generate import generate


def name_expression_columns(expression: exp.Expr, dialect: str) -> exp.Expr:
    """Alias every unaliased projection that contains a subquery with its own SQL."""
    if dialect != "duckdb":
        return expression
    for select in list(expression.find_all(exp.Select)):
        projections = select.expressions
        if any(_needs_name(projection) for projection in projections):
            select.set("expressions", [_named(p, dialect) for p in projections])
    return expression


def _needs_name(projection: exp.Expr) -> bool:
    return not isinstance(projection, exp.Alias) and projection.find(exp.Query) is not None


def _named(projection: exp.Expr, dialect: str) -> exp.Expr:
    if not _needs_name(projection):
        return projection
    name = exp.to_identifier(generate(projection, dialect, copy=True), quoted=True)
    return exp.Alias(this=projection, alias=name)
