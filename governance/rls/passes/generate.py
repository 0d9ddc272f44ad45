"""Pass: the rewritten tree -> SQL text for the dialect.

Generated from the tree, never by editing the input text, so what runs is exactly what the
earlier passes checked. Comments are not emitted. A construct the dialect cannot express is
refused rather than emitted approximately. BigQuery tables come out as `schema`.`table`.
"""

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from governance.rls.context import QueryRefused


def generate(expression: exp.Expr, dialect: str, *, copy: bool = False) -> str:
    """SQL for ``expression`` in ``dialect``.

    Without ``copy`` the dialect's generator may rewrite the tree in place as it writes (and not
    always into what it wrote): use it only on a tree that is discarded afterwards.
    """
    try:
        return expression.sql(
            dialect=dialect, copy=copy, comments=False, unsupported_level=ErrorLevel.RAISE
        )
    except UnsupportedError as error:
        raise QueryRefused(f"unsupported SQL construct: {error}") from None
