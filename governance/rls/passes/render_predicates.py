"""Policy predicates -> SQL conditions for one reader, with user values bound as literals.

A predicate is a SQL boolean expression over its table's columns, with the placeholders
``{{ user.email }}``, ``{{ user.id }}`` and ``{{ user.attr.KEY }}``. Values are never spliced into
SQL text: each placeholder is first replaced by a sentinel column name (``__rls_slot_<n>``), the
text is parsed once (and cached), and at render time each sentinel node is replaced by an
``exp.Literal`` string, so whatever a value holds (quotes, backslashes, ``' OR '1'='1``) it stays a
single literal when the SQL is generated.

A single value renders as a scalar; several values render as a list, expanded in place inside
``IN (...)`` or a list literal ``[...]``, or as the whole right side of ``x IN {{ ... }}``.
Several values anywhere else refuse the query (naming the policy): a list compared with a column
would make DuckDB fail on a row and quote its value. A missing attribute (or one with no values)
makes the whole policy admit nothing (``FALSE``); it is not an error.

A predicate is validated when it is parsed: no subqueries, table references, aggregates, windows,
stars or parameters; only allow-listed functions; columns bare or qualified with the policy's
table. Every column is re-qualified with the wrapper's alias ``__rls``, so it can only bind to the
table's own row (a column the table lacks fails the query; it can never bind to an outer or
lateral table). An invalid predicate refuses the query, naming the policy (fail closed).
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from governance.rls.context import PolicyRule, QueryRefused, Reader, policy_refusal
from governance.rls.passes.check_constructs import unsupported_construct
from governance.rls.passes.check_functions import disallowed_function
from governance.rls.passes.check_types import check_types
from governance.rls.passes.generate import generate
from governance.rls.passes.token_rules import check_tokens

ROW_ALIAS = "__rls"
_SLOT_PREFIX = "__rls_slot_"
_PLACEHOLDER = re.compile(
    r"\{\{\s*user\s*\.\s*(?:(email)|(id)|attr\s*\.\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*))\s*\}\}"
)
_LEFTOVER_TEMPLATE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_NOT_IN_PREDICATE = (
    exp.Exists,
    exp.Query,
    exp.Table,
    exp.Star,
    exp.Window,
    exp.AggFunc,
    exp.Placeholder,
    exp.Parameter,
    exp.SessionParameter,
    exp.Columns,
)


class InvalidPredicate(ValueError):
    """A policy predicate that cannot be compiled; the message says why."""


@dataclass(frozen=True)
class Slot:
    """One placeholder occurrence: the sentinel column standing for it and what it stands for."""

    sentinel: str
    kind: str  # "email", "id" or "attr"
    key: str = ""


@dataclass(frozen=True)
class PredicateTemplate:
    """A parsed, validated, ``__rls``-qualified predicate; never mutated (render copies it)."""

    expression: exp.Expr
    slots: tuple[Slot, ...]


@functools.lru_cache(maxsize=4096)
def parse_predicate(predicate: str, table: str, dialect: str) -> PredicateTemplate:
    """Parse and validate ``predicate`` (a policy on ``table``); raise InvalidPredicate."""
    if _SLOT_PREFIX in predicate.lower() or ROW_ALIAS in predicate.lower():
        raise InvalidPredicate(f"names starting with {ROW_ALIAS} are reserved")
    slots: list[Slot] = []

    def to_sentinel(match: re.Match[str]) -> str:
        email, user_id, key = match.groups()
        kind = "email" if email else "id" if user_id else "attr"
        slots.append(Slot(f"{_SLOT_PREFIX}{len(slots)}", kind, key or ""))
        return f" {slots[-1].sentinel} "

    text = _PLACEHOLDER.sub(to_sentinel, predicate)
    if _LEFTOVER_TEMPLATE.search(text):
        raise InvalidPredicate("unknown placeholder (use user.email, user.id or user.attr.KEY)")
    parser_dialect = Dialect.get_or_raise(dialect)
    try:
        tokens = parser_dialect.tokenize(text)
        expression = parser_dialect.parser().parse_into(exp.Condition, tokens, text)[0]
    except (ParseError, TokenError):
        raise InvalidPredicate("not a SQL boolean expression") from None
    if expression is None:
        raise InvalidPredicate("empty predicate")
    try:
        check_tokens(tokens, expression)
        check_types(expression, dialect)
    except QueryRefused as refusal:
        raise InvalidPredicate(str(refusal)) from None
    found = _validate_and_qualify(expression, table, dialect)
    if sorted(found) != sorted(slot.sentinel for slot in slots):
        raise InvalidPredicate("a placeholder must stand alone as a value, not inside quotes")
    expression = _canonical(expression, dialect)
    for node in expression.walk():
        node.comments = None
    return PredicateTemplate(expression, tuple(slots))


def _canonical(expression: exp.Expr, dialect: str) -> exp.Expr:
    """The tree ``expression``'s SQL parses to, as queries are canonicalized (``canonicalize``).

    The compiled query must read back as exactly the tree the compiler built, the policy
    wrappers included, so a predicate is kept in the form its generated SQL parses to.
    """
    text = generate(expression, dialect)
    parser_dialect = Dialect.get_or_raise(dialect)
    try:
        canonical = parser_dialect.parser().parse_into(
            exp.Condition, parser_dialect.tokenize(text), text
        )[0]
    except (ParseError, TokenError):
        canonical = None
    if canonical is None:
        raise InvalidPredicate("it does not read back as written")
    return canonical


def with_sample_values(predicate: str) -> str:
    """``predicate`` with every placeholder replaced by the literal ``('sample')``, as text.

    For checking how an engine reads a predicate as its author wrote it; never executed.
    """
    return _PLACEHOLDER.sub("('sample')", predicate)


def _validate_and_qualify(expression: exp.Expr, table: str, dialect: str) -> list[str]:
    """Check every node; qualify columns with ``__rls``. Returns the sentinel columns found."""
    sentinels: list[str] = []
    for node in list(expression.walk(bfs=False)):
        if isinstance(node, _NOT_IN_PREDICATE):
            raise InvalidPredicate(f"{node.key.upper()} is not allowed in a predicate")
        problem = disallowed_function(node, dialect) or unsupported_construct(node)
        if problem:
            raise InvalidPredicate(problem)
        if not isinstance(node, exp.Column):
            continue
        if node.name.startswith(_SLOT_PREFIX):
            if node.table or node.this.quoted:
                raise InvalidPredicate("a placeholder must stand alone as a value")
            sentinels.append(node.name)
            continue
        if node.args.get("db") or node.args.get("catalog"):
            raise InvalidPredicate(f"column {node.sql(dialect=dialect)} is not a column of {table}")
        if node.table and node.table.lower() != table.lower():
            raise InvalidPredicate(f"column {node.sql(dialect=dialect)} is not a column of {table}")
        node.set("table", exp.to_identifier(ROW_ALIAS))
    return sentinels


def is_slot(column: exp.Column) -> bool:
    """Whether ``column`` is a placeholder's sentinel rather than a column of the table."""
    return column.name.startswith(_SLOT_PREFIX)


def render_policy(rule: PolicyRule, table: str, reader: Reader, dialect: str) -> exp.Expr:
    """``rule``'s predicate for ``reader``: a condition over ``__rls``, or FALSE."""
    try:
        template = parse_predicate(rule.predicate, table, dialect)
    except InvalidPredicate as error:
        detail = f"row policy {rule.name!r} on {table} is invalid: {error}"
        raise policy_refusal(table, detail) from None
    values: dict[str, tuple[str, ...]] = {}
    for slot in template.slots:
        if slot.kind == "email":
            bound: tuple[str, ...] = (reader.email,)
        elif slot.kind == "id":
            bound = (reader.user_id,)
        else:
            bound = tuple(reader.attributes.get(slot.key) or ())
        if not bound or any(value is None for value in bound):
            return exp.false()
        values[slot.sentinel] = tuple(str(value) for value in bound)
    if not values:
        return template.expression.copy()
    rendered = template.expression.copy()
    sentinels = [
        node
        for node in rendered.find_all(exp.Column)
        if node.name.startswith(_SLOT_PREFIX) and not node.table
    ]
    slots = {slot.sentinel: slot for slot in template.slots}
    for node in sentinels:
        if not _bind(node, values[node.name]):
            raise policy_refusal(
                table,
                f"row policy {rule.name!r} on {table} cannot be applied: "
                f"user.attr.{slots[node.name].key} has several values; "
                "use it inside IN (...) or [...]",
            )
    return rendered


def _bind(sentinel: exp.Column, values: tuple[str, ...]) -> bool:
    """Replace ``sentinel`` by ``values``; False if several values cannot go where it stands."""
    literals = [exp.Literal.string(value) for value in values]
    parent = sentinel.parent
    if isinstance(parent, exp.In) and sentinel.arg_key == "field":
        parent.set("field", None)
        parent.set("expressions", literals)
    elif isinstance(parent, (exp.In, exp.Array)) and sentinel.arg_key == "expressions":
        items = parent.expressions
        index = next(i for i, item in enumerate(items) if item is sentinel)
        parent.set("expressions", items[:index] + literals + items[index + 1 :])
    elif len(literals) == 1:
        sentinel.replace(literals[0])
    else:
        return False
    return True


def render_table_predicate(
    rules: Iterable[PolicyRule], table: str, reader: Reader, dialect: str
) -> exp.Expr:
    """The OR of ``rules`` rendered for ``reader``; FALSE when there are none (fail closed)."""
    rendered = [render_policy(rule, table, reader, dialect) for rule in rules]
    admitting = [condition for condition in rendered if not _is_false(condition)]
    if not admitting:
        return exp.false()
    if len(admitting) == 1:
        return exp.paren(admitting[0], copy=False)
    return exp.or_(*(exp.paren(condition, copy=False) for condition in admitting), copy=False)


def _is_false(condition: exp.Expr) -> bool:
    return isinstance(condition, exp.Boolean) and condition.this is False


class PolicyPredicates:
    """Per-compile cache: each table's combined predicate is rendered once for the reader."""

    def __init__(self, reader: Reader, dialect: str, case_insensitive: bool) -> None:
        self.reader = reader
        self.dialect = dialect
        self.case_insensitive = case_insensitive
        self._rendered: dict[str, tuple[exp.Expr, tuple[str, ...]]] = {}

    def rules_for(self, table: str) -> tuple[PolicyRule, ...]:
        if self.case_insensitive:
            return tuple(p for p in self.reader.policies if p.table.lower() == table.lower())
        return tuple(p for p in self.reader.policies if p.table == table)

    def for_table(self, table: str, row_alias: str = ROW_ALIAS) -> tuple[exp.Expr, tuple[str, ...]]:
        """A fresh copy of ``table``'s predicate over ``row_alias``, and its policies' names."""
        key = f"{row_alias}.{table}"
        cached = self._rendered.get(key)
        if cached is None:
            rules = self.rules_for(table)
            condition = render_table_predicate(rules, table, self.reader, self.dialect)
            if row_alias != ROW_ALIAS:
                for column in condition.find_all(exp.Column):
                    column.set("table", exp.to_identifier(row_alias))
            cached = (condition, tuple(rule.name for rule in rules))
            self._rendered[key] = cached
        return cached[0].copy(), cached[1]
