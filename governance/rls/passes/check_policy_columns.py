"""Refuse a read when a policy names a column its table lacks.

Every policy column is qualified with the wrapper's row alias, but a name the table lacks could
still bind to something else of that name (a struct column of another table called like the
alias, say). When the caller knows the tables' columns, such a policy refuses the query: fail
closed; the reader is told a policy on the table must be fixed, the audit trail which one.
"""

from collections.abc import Collection, Mapping

from sqlglot import exp

from governance.rls.context import Reader, policy_refusal
from governance.rls.passes.render_predicates import InvalidPredicate, is_slot, parse_predicate


def check_policy_columns(
    expression: exp.Expr,
    reader: Reader,
    tables: Collection[str] | Mapping[str, Collection[str]],
    dialect: str,
) -> exp.Expr:
    """Return ``expression`` unless a policy of ``reader`` names a column its table does not
    have; ``tables`` without their columns (a plain collection) leave nothing to check."""
    if reader.unrestricted or not isinstance(tables, Mapping):
        return expression
    folded = {table.lower(): {c.lower() for c in names} for table, names in tables.items()}
    for rule in reader.policies:
        known = folded.get(rule.table.lower())
        if known is None:
            continue
        try:
            template = parse_predicate(rule.predicate, rule.table, dialect)
        except InvalidPredicate:
            continue  # rendering refuses it, with the reason
        named = {
            column.name.lower()
            for column in template.expression.find_all(exp.Column)
            if not is_slot(column)
        }
        if not named <= known:
            raise policy_refusal(
                rule.table,
                f"row policy {rule.name!r} on {rule.table} is invalid: it names a column the "
                "table does not have",
            )
    return expression
