"""Rules on a statement's tokens, where sqlglot and the engine would read the same text apart.

sqlglot parses the SQL the compiler checks; the engine parses the SQL it runs. Where the two read
one text differently, the compiler would check (and rewrite, and filter by) something other than
what the reader or the policy author wrote. These rules refuse what is known to be read apart,
for queries (``parse_one_statement``) and policy predicates (``render_predicates``) alike:

- unbalanced brackets, which sqlglot forgives (``CAST(x AS INT``) and DuckDB does not;
- a quoted name the parser did not keep as a quoted identifier: sqlglot takes a quoted type,
  function or date-part name as raw text and writes it back unquoted (``CAST(x AS "INT) ...(")``);
- ``~`` and ``!~`` between two values: a full regex match in DuckDB, a partial one
  (``REGEXP_MATCHES``) once sqlglot has read it, so a policy ``region ~ 'EU'`` would admit
  ``NOT-EU`` (``~`` as bitwise NOT is fine);
- ``<=>``: cosine distance of two lists in DuckDB, null-safe equality to sqlglot;
- ``==``, ``~~``, ``!~~``, ``~~*``, ``!~~*``, ``~~~`` and ``^@``: DuckDB's generic operators,
  which bind tighter than ``||`` there and looser to sqlglot (``region == 'E' || 'U'``);
- a JSON arrow (``->``, ``->>``) right after an operator: DuckDB's arrow takes everything to its
  left that an operator joins (``x = 'EU' OR meta ->> 'team'`` is ``(x = 'EU' OR meta) ->>
  'team'`` there), sqlglot's only the operand next to it; written in parentheses, or starting an
  expression, both read it alike;
- ``U&'...'``: a Unicode string in DuckDB, ``U & '...'`` (a column ANDed with a string) to sqlglot;
- an interval string sqlglot would cut short: of ``INTERVAL '1 day ago'`` it keeps ``1 day``,
  dropping ``ago`` (which makes it negative in DuckDB).

``tests/governance/rls/test_engine_differential.py`` runs operators, functions and literal forms
through both readings to find more of these.
"""

from itertools import pairwise

from sqlglot import exp
from sqlglot.expressions.builders import INTERVAL_STRING_RE
from sqlglot.tokens import Token, TokenType

from governance.rls.context import QueryRefused

_CLOSING = {
    TokenType.R_PAREN: TokenType.L_PAREN,
    TokenType.R_BRACKET: TokenType.L_BRACKET,
    TokenType.R_BRACE: TokenType.L_BRACE,
}
_OPENING = frozenset(_CLOSING.values())
_ARROWS = frozenset({TokenType.ARROW, TokenType.DARROW})
_NAMES = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
# What may stand right before an expression that starts with a JSON arrow's left operand.
_BEFORE_AN_EXPRESSION = frozenset(
    {
        TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE, TokenType.COMMA,
        TokenType.COLON, TokenType.SELECT, TokenType.DISTINCT, TokenType.WHERE,
        TokenType.HAVING, TokenType.QUALIFY, TokenType.ON, TokenType.CASE, TokenType.WHEN,
        TokenType.THEN, TokenType.ELSE, TokenType.ORDER_BY, TokenType.GROUP_BY, *_ARROWS,
    }
)  # fmt: skip
# DuckDB's generic operators whose precedence sqlglot does not share, and what to write instead.
_SPELLED_OUT = {
    "==": "=",
    "~~": "LIKE",
    "~~*": "ILIKE",
    "~~~": "GLOB",
    "^@": "starts_with(text, prefix)",
}


def check_tokens(tokens: list[Token], expression: exp.Expr) -> None:
    """Apply every rule above to ``tokens`` and the tree ``expression`` was parsed into."""
    check_brackets(tokens)
    check_quoted_names(tokens, expression)
    _check_operators(tokens, expression)
    _check_arrows(tokens)
    _check_literals(tokens)


def check_brackets(tokens: list[Token]) -> None:
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
    """Refuse a quoted name the parser did not keep as a quoted identifier."""
    quoted = {token.start: token for token in tokens if token.token_type == TokenType.IDENTIFIER}
    if not quoted:
        return
    for node in expression.find_all(exp.Identifier):
        if node.quoted:
            quoted.pop(node.meta_get("start"), None)
    if quoted:
        raise QueryRefused(
            f'a quoted name cannot be used here: "{_shown(quoted[min(quoted)].text)}" (only '
            "tables, columns, aliases and fields may be quoted; type and function names may not)"
        )


def _check_operators(tokens: list[Token], expression: exp.Expr) -> None:
    tildes = sum(token.token_type == TokenType.TILDE for token in tokens)
    if tildes and tildes != sum(1 for _ in expression.find_all(exp.BitwiseNot)):
        raise QueryRefused(
            "the ~ operator is not supported: write regexp_full_match(text, pattern)"
            " (or regexp_matches for a partial match)"
        )
    for token in tokens:
        if token.token_type == TokenType.NULLSAFE_EQ:
            raise QueryRefused(
                "the <=> operator is not supported: write IS NOT DISTINCT FROM,"
                " or array_cosine_distance for lists"
            )
        spelled = _SPELLED_OUT.get(token.text)
        if spelled:
            raise QueryRefused(f"the {token.text} operator is not supported: write {spelled}")


def _check_arrows(tokens: list[Token]) -> None:
    for index, token in enumerate(tokens):
        if token.token_type in _ARROWS:
            start = _operand_start(tokens, index)
            before = tokens[start - 1].token_type if start > 0 else None
            if before is not None and before not in _BEFORE_AN_EXPRESSION:
                raise QueryRefused(
                    f"put the JSON arrow in parentheses: (x {token.text} ...) after"
                    f" {tokens[start - 1].text!r} (DuckDB would apply it to everything before)"
                )


def _operand_start(tokens: list[Token], arrow: int) -> int:
    """Where the operand left of ``tokens[arrow]`` starts: a name, literal or bracketed group,
    with the ``.``, ``::`` and call chains that bind tighter than anything."""
    index = arrow - 1
    while index >= 0:
        if tokens[index].token_type in _CLOSING:
            index = _opening(tokens, index) - 1
            if index >= 0 and tokens[index].token_type in _NAMES:  # a call: f(...), a name[...]
                index -= 1
        else:
            index -= 1
        if index >= 0 and tokens[index].token_type in (TokenType.DOT, TokenType.DCOLON):
            index -= 1
            continue
        return index + 1
    return 0


def _opening(tokens: list[Token], closing: int) -> int:
    depth = 0
    for index in range(closing, -1, -1):
        if tokens[index].token_type in _CLOSING:
            depth += 1
        elif tokens[index].token_type in _OPENING:
            depth -= 1
            if depth == 0:
                return index
    return 0


def _check_literals(tokens: list[Token]) -> None:
    for before, token, after in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if (
            before.token_type == TokenType.VAR
            and before.text.upper() == "U"
            and token.token_type == TokenType.AMP
            and after.token_type == TokenType.STRING
            and before.end + 1 == token.start
            and token.end + 1 == after.start
        ):
            raise QueryRefused("U&'...' strings are not supported: write the characters instead")
    for keyword, value in pairwise(tokens):
        if keyword.token_type == TokenType.INTERVAL and value.token_type == TokenType.STRING:
            parts = INTERVAL_STRING_RE.findall(value.text)
            if len(parts) == 1 and not INTERVAL_STRING_RE.fullmatch(value.text):
                raise QueryRefused(
                    f"interval not supported: '{_shown(value.text)}' (write one number and one"
                    " unit, '3 days' or '-1 day', or a sum: INTERVAL 1 DAY + INTERVAL 2 HOUR)"
                )


def _shown(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:40]}..."
