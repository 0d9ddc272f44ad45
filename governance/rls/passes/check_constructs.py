"""Pass: every non-function node must be a construct this compiler understands (an allow-list).

Fail closed: whatever sqlglot parses that is not listed here (hints, CONNECT BY, MATCH_RECOGNIZE,
dialect oddities, statement fragments) is refused as an unsupported construct instead of being
passed through unexamined. Functions are checked by ``check_functions``.
"""

import re

from sqlglot import exp

from governance.rls.context import QueryRefused


def _classes(*names: str) -> frozenset[type[exp.Expr]]:
    return frozenset(getattr(exp, name) for name in names)


QUERY_STRUCTURE = _classes(
    "Select", "Union", "Intersect", "Except", "Subquery", "From", "Join", "Where", "Group",
    "Having", "Qualify", "Order", "Ordered", "Limit", "Offset", "Fetch", "With", "CTE",
    "TableAlias", "Table", "Lateral", "Values", "Window", "WindowSpec", "Distinct", "Cube",
    "Rollup", "GroupingSets", "Pivot", "PivotAlias", "PivotAny", "UnpivotColumns", "TableSample",
    "LimitOptions",
)  # fmt: skip

VALUES_AND_NAMES = _classes(
    "Star", "Column", "Identifier", "Alias", "Literal", "Null", "Boolean", "Var", "Tuple",
    "DataType", "DataTypeParam", "ColumnDef", "Interval", "IntervalSpan", "PositionalColumn",
    "HexString", "BitString", "ByteString", "RawString", "UnicodeString", "National",
)  # fmt: skip

OPERATORS = _classes(
    "Paren", "Neg", "Not", "BitwiseNot", "Add", "Sub", "Mul", "Div", "IntDiv", "Mod", "DPipe",
    "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "NullSafeEQ", "NullSafeNEQ", "Is", "In", "Between",
    "Like", "ILike", "SimilarTo", "Glob", "Escape", "Any", "All", "BitwiseAnd", "BitwiseOr",
    "BitwiseXor", "BitwiseLeftShift", "BitwiseRightShift", "Bracket", "Slice", "Dot",
    "PropertyEQ", "Kwarg", "Lambda", "Filter", "WithinGroup", "IgnoreNulls", "RespectNulls",
    "HavingMax", "AtTimeZone", "Comprehension", "Overlaps",
)  # fmt: skip

JSON_PATHS = _classes(
    "JSONPath", "JSONPathFilter", "JSONPathKey", "JSONPathRecursive", "JSONPathRoot",
    "JSONPathScript", "JSONPathSelector", "JSONPathSlice", "JSONPathSubscript", "JSONPathUnion",
    "JSONPathWildcard",
)  # fmt: skip

ALLOWED_CONSTRUCTS: frozenset[type[exp.Expr]] = (
    QUERY_STRUCTURE | VALUES_AND_NAMES | OPERATORS | JSON_PATHS
)

_PARAMETERS = (exp.Placeholder, exp.Parameter, exp.SessionParameter)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_constructs(expression: exp.Expr) -> exp.Expr:
    """Return ``expression`` if every node in it is a known, allowed construct."""
    for node in expression.walk():
        problem = unsupported_construct(node)
        if problem:
            raise QueryRefused(problem)
    return expression


def unsupported_construct(node: exp.Expr) -> str | None:
    """The refusal message if ``node`` is not an allowed construct, else None."""
    if isinstance(node, exp.Pivot) and node.this:
        # DuckDB's PIVOT statement: sqlglot's DuckDB generator unqualifies every column inside
        # it, which would unqualify the policy predicates of the tables it reads.
        return "unsupported SQL construct: PIVOT statement (write FROM ... PIVOT (...) instead)"
    if isinstance(node, exp.Var) and not _WORD.fullmatch(node.name):
        # A Var is written back as raw text: only a plain word (a date part, a keyword) is safe.
        return f"unsupported SQL construct: {node.name[:40]!r} where a keyword belongs"
    if isinstance(node, exp.Func) or type(node) in ALLOWED_CONSTRUCTS:
        return None
    if isinstance(node, _PARAMETERS):
        return "query parameters and variables are not allowed"
    return f"unsupported SQL construct: {node.key.upper()}"
