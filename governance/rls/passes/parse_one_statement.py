"""Pass: SQL text -> exactly one parsed statement, with comments and meta data stripped.

Refused here, before anything is parsed: a query longer than 100,000 characters, template syntax
(``{{ }}``, ``{% %}``, ``{# #}``, expanded by no one, so never trusted), more than one statement,
and a statement that does not start like a query (``UPDATE``, ``PRAGMA``, ``EXPORT DATABASE``,
``CALL``: the keyword is named).
After parsing, ``token_rules`` refuses text that sqlglot and DuckDB would read apart (a quoted
type name, ``~``, ``<=>``, unbalanced brackets, ...).

Comments are dropped and every node's meta data reset to its source position, so nothing a
comment says (sqlglot reads ``/* sqlglot.meta k=v */`` into ``node.meta``) can reach a later pass.
"""

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from governance.rls.context import QueryRefused
from governance.rls.passes.token_rules import check_tokens

MAX_QUERY_LENGTH = 100_000
_TEMPLATE = re.compile(r"\{\{|\{%|\{#")
_QUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.FROM, TokenType.L_PAREN})
_POSITION_KEYS = ("line", "col", "start", "end")
_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+, col: \d+[^>]*>")


def parse_one_statement(sql: str, dialect: str) -> exp.Expr:
    """Parse ``sql`` written in ``dialect``; refuse anything but one statement that reads."""
    if len(sql) > MAX_QUERY_LENGTH:
        raise QueryRefused(f"the query is longer than {MAX_QUERY_LENGTH:,} characters")
    if not sql.isascii() and not _is_text(sql):
        raise QueryRefused("the query is not valid text (it holds bytes that are not UTF-8)")
    if _TEMPLATE.search(sql):
        raise QueryRefused("template syntax ({{ }}, {% %}, {# #}) is not allowed in a query")
    return read_back(sql, dialect)


def _is_text(sql: str) -> bool:
    """Whether ``sql`` is text: undecodable bytes reach Python as lone surrogates."""
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_back(sql: str, dialect: str) -> exp.Expr:
    """Parse SQL the compiler generated: every check above but the template one.

    Generated SQL may hold template syntax inside a string literal (a user attribute's value).
    """
    parser_dialect = Dialect.get_or_raise(dialect)
    try:
        tokens = parser_dialect.tokenize(sql)
    except TokenError as error:
        raise QueryRefused(f"could not parse the query: {error}") from None
    statements = _split_statements(tokens)
    if not statements:
        raise QueryRefused("the query is empty")
    if len(statements) > 1:
        raise QueryRefused(f"exactly one statement is allowed, found {len(statements)}")
    first = statements[0][0]
    if first.token_type not in _QUERY_STARTS:
        raise QueryRefused(f"only read-only queries are allowed: {first.text.upper()} is not")
    try:
        parsed = parser_dialect.parser().parse(statements[0], sql)
    except ParseError as error:
        raise QueryRefused(f"could not parse the query: {_describe(error)}") from None
    except RecursionError:
        raise
    except Exception:  # sqlglot failing inside its parser: fail closed, never a stack trace
        raise QueryRefused("could not parse the query") from None
    expressions = [expression for expression in parsed if expression is not None]
    if len(expressions) != 1:
        raise QueryRefused(f"exactly one statement is allowed, found {len(expressions)}")
    check_tokens(statements[0], expressions[0])
    return _strip_comments_and_meta(expressions[0])


def _split_statements(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _describe(error: ParseError) -> str:
    if error.errors:
        first = error.errors[0]
        description = _TOKEN_REPR.sub(r"'\1'", str(first.get("description")))
        return f"{description} (line {first.get('line')}, column {first.get('col')})"
    return _TOKEN_REPR.sub(r"'\1'", str(error).splitlines()[0])


def _strip_comments_and_meta(expression: exp.Expr) -> exp.Expr:
    for node in expression.walk():
        node.comments = None
        meta = node._meta
        if meta and any(key not in _POSITION_KEYS for key in meta):
            node._meta = {key: meta[key] for key in _POSITION_KEYS if key in meta}
    return expression
