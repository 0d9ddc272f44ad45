"""Pass: the checked tree -> its SQL -> the tree that SQL parses to: the compiler's working form.

sqlglot's dialect generators rewrite as they write (``IF`` becomes ``CASE``, ``date_add(d, i)``
becomes ``d + INTERVAL``, a raw string becomes a plain one), so the tree a query parses to is not
always the tree its generated SQL parses to. The compiler works on the second one from here on:
then the SQL it finally emits reads back as exactly the tree it built, which ``verify_output``
requires (a query whose canonical form is not stable is refused there).

The canonical SQL is parsed with ``read_back``, so it meets every check parsing makes.
Canonicalizing must not change what the query reads: if the tables or queries in the tree
differ in number or kind, text the checks never saw has become SQL, and the query is refused.
"""

from sqlglot import exp

from governance.rls.context import QueryRefused
from governance.rls.passes.generate import generate
from governance.rls.passes.parse_one_statement import read_back


def canonicalize(expression: exp.Expr, dialect: str) -> exp.Expr:
    """The tree ``expression``'s SQL parses to; refused if it reads anything else."""
    sources = _sources(expression)  # before generating: the generator may rewrite the tree
    try:
        canonical = read_back(generate(expression, dialect), dialect)
    except QueryRefused:
        raise _unsafe() from None
    if _sources(canonical) != sources:
        raise _unsafe()
    return canonical


def _sources(expression: exp.Expr) -> list[str]:
    """The kinds of the query and table nodes, in walk order: what the query reads, by shape."""
    return [node.key for node in expression.find_all(exp.Query, exp.Table, bfs=False)]


def _unsafe() -> QueryRefused:
    return QueryRefused("the query could not be compiled safely (it does not read back as written)")
