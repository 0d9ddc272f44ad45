"""Pass: every function called must be on the allow-list (``functions_allowed``).

A namespaced or qualified call (``main.f(x)``, ``KEYS.NEW_KEYSET(...)``, DuckDB's ``x.f()`` method
syntax) is refused: it names a user-defined function, a macro or a special namespace.
"""

from sqlglot import exp

from governance.rls.context import QueryRefused
from governance.rls.passes.functions_allowed import (
    ALLOWED_ANONYMOUS,
    ALLOWED_FUNCTION_CLASSES,
    refusal_for,
)


def check_functions(expression: exp.Expr, dialect: str) -> exp.Expr:
    """Return ``expression`` if it calls only allowed functions; refuse it otherwise."""
    for node in expression.walk():
        problem = disallowed_function(node, dialect)
        if problem:
            raise QueryRefused(problem)
    return expression


def disallowed_function(node: exp.Expr, dialect: str) -> str | None:
    """The refusal message if ``node`` calls a function that is not allowed, else None."""
    if isinstance(node, exp.Func):
        if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
            name = node.name
            if name.lower() in ALLOWED_ANONYMOUS.get(dialect, ()):
                return None
            return refusal_for(name)
        if type(node) in ALLOWED_FUNCTION_CLASSES:
            return None
        return refusal_for(node.sql_name().lower())
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        return refusal_for(_dotted_name(node))
    return None


def _dotted_name(node: exp.Dot) -> str:
    parts: list[str] = []
    current: exp.Expr | None = node
    while isinstance(current, exp.Dot):
        right = current.expression
        parts.append(right.name if isinstance(right, exp.Func) else right.sql())
        current = current.this
    if current is not None:
        parts.append(current.sql())
    return ".".join(reversed(parts))
