"""Pass: SQL text -> exactly one parsed statement, with comments and meta data stripped.

Refused here, before anything is parsed: template syntax (``{{ }}``, ``{% %}``, ``{# #}``,
expanded by no one, so never trusted), more than one statement, and a statement that does not
start like a query (``UPDATE``, ``PRAGMA``, ``EXPORT DATABASE``, ``CALL``: the keyword is named).

Every quoted name in the text must come out of the parser as a quoted name (an identifier node):
sqlglot takes a quoted name in some positions as raw text (a type, ``CAST(x AS "INT) ...")``;
a function; a date part) and writes it back without its quotes, so text no pass examined would
become SQL. Quoted names are for tables, columns, aliases and fields; anywhere else they are
refused.

Comments are dropped and every node's meta data reset to its source position, so nothing a
comment says (sqlglot reads ``/* sqlglot.meta k=v */`` into ``node.meta``) can reach a later pass.
"""

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from governance.rls.context import QueryRefused

_TEMPLATE = re.compile(r"\{\{|\{%|\{#")
_QUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.FROM, TokenType.L_PAREN})
_POSITION_KEYS = ("line", "col", "start", "end")
_CLOSING = {
    TokenType.R_PAREN: TokenType.L_PAREN,
    TokenType.R_BRACKET: TokenType.L_BRACKET,
    TokenType.R_BRACE: TokenType.L_BRACE,
}
_OPENING = frozenset(_CLOSING.values())
_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+, col: \d+[^>]*>")


def parse_one_statement(sql: str, dialect: str) -> exp.Expr:
    """Parse ``sql`` written in ``dialect``; refuse anything but one statement that reads."""
    if _TEMPLATE.search(sql):
        raise QueryRefused("template syntax ({{ }}, {% %}, {# #}) is not allowed in a query")
    return read_back(sql, dialect)


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
    _check_brackets(statements[0])
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
    check_quoted_names(statements[0], expressions[0])
    return _strip_comments_and_meta(expressions[0])


def _split_statements(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _check_brackets(tokens: list[Token]) -> None:
    """Refuse unbalanced brackets: sqlglot forgives some (``CAST(x AS INT``), DuckDB does not."""
    depth: list[TokenType] = []
    for token in tokens:
        if token.token_type in _CLOSING:
            if not depth or depth.pop() != _CLOSING[token.token_type]:
                raise QueryRefused(f"could not parse the query: unbalanced {token.text!r}")
        elif token.token_type in _OPENING:
            depth.append(token.token_type)
    if depth:
        raise QueryRefused("could not parse the query: a bracket is not closed")


def check_quoted_names(tokens: list[Token], expression: exp.Expr) -> None:
    """Refuse a quoted name the parser did not keep as a quoted identifier (see the module doc).

    Policy predicates are held to the same rule (``render_predicates``).
    """
    quoted = {token.start: token for token in tokens if token.token_type == TokenType.IDENTIFIER}
    if not quoted:
        return
    for node in expression.find_all(exp.Identifier):
        if node.quoted:
            quoted.pop(node.meta_get("start"), None)
    if quoted:
        written = quoted[min(quoted)].text
        shown = written if len(written) <= 40 else f"{written[:40]}..."
        raise QueryRefused(
            f'a quoted name cannot be used here: "{shown}" (only tables, columns, aliases and '
            "fields may be quoted; type and function names may not)"
        )


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
