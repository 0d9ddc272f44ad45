"""Pass: refuse a query too large to check and run safely.

Every tenant-table reference becomes a policy-filtered derived table, so the compiled SQL grows
with the references and the policies' size, and the engine's own parse of it (the read guard)
grows faster still: an 80 KB query of 3,000 CTEs once took 20 GB to parse. No report or question
needs more than these limits.
"""

from sqlglot import exp

from governance.rls.context import QueryRefused

MAX_TABLE_REFERENCES = 100
MAX_QUERIES = 200
MAX_NODES = 20_000


def check_size(expression: exp.Expr) -> exp.Expr:
    """Return ``expression`` unless it exceeds one of the limits above."""
    tables = queries = nodes = 0
    for node in expression.walk():
        nodes += 1
        if isinstance(node, exp.Table):
            tables += 1
        elif isinstance(node, exp.Query):
            queries += 1
    if tables > MAX_TABLE_REFERENCES:
        raise QueryRefused(f"the query reads more than {MAX_TABLE_REFERENCES} tables and CTEs")
    if queries > MAX_QUERIES:
        raise QueryRefused(f"the query has more than {MAX_QUERIES} SELECTs and subqueries")
    if nodes > MAX_NODES:
        raise QueryRefused("the query is too large")
    return expression
