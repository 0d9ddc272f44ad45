"""Pass: every type named in the query comes from the engine's own types, with sound parameters.

sqlglot keeps a type name it does not know (``CAST(x AS foo)``, ``CAST(x AS "INT) ... (")``) as raw
text and writes it back verbatim, so a type name is an injection point unless it is one of the
dialect's types. Allowed, per dialect: the scalar types below; lists and fixed-size arrays of an
allowed type (size: an integer); ``STRUCT``/``UNION`` of named fields of allowed types; ``MAP`` of
two allowed types; ``ENUM`` of string literals; integer parameters only on the types the engine
gives parameters to, as many as it takes (``DECIMAL(18, 3)``, ``VARCHAR(10)``, ``TIMESTAMP(3)``).
Anything else, and every user-defined or unknown type, is refused. (A quoted type name never gets
here: ``parse_one_statement`` refuses it.)
"""

from sqlglot import exp

from governance.rls.context import QueryRefused
from governance.rls.trees import set_args

T = exp.DataType.Type

_SCALARS = {
    "duckdb": frozenset({
        T.BOOLEAN, T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.INT128, T.UTINYINT, T.USMALLINT,
        T.UINT, T.UBIGINT, T.UINT128, T.BIGNUM, T.FLOAT, T.DOUBLE, T.DECIMAL, T.TEXT, T.VARCHAR,
        T.CHAR, T.VARBINARY, T.BIT, T.DATE, T.TIME, T.TIMETZ, T.TIMESTAMP, T.TIMESTAMPNTZ,
        T.TIMESTAMPTZ, T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS, T.INTERVAL, T.UUID, T.JSON,
    }),
    "bigquery": frozenset({
        T.BOOLEAN, T.TINYINT, T.SMALLINT, T.INT, T.BIGINT, T.DOUBLE, T.DECIMAL, T.BIGDECIMAL,
        T.TEXT, T.BINARY, T.DATE, T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL, T.JSON,
        T.GEOGRAPHY,
    }),
}  # fmt: skip
# The scalar types the engine accepts integer parameters on, and how many at most.
_PARAMETERS = {
    "duckdb": {T.DECIMAL: 2, T.TEXT: 1, T.VARCHAR: 1, T.CHAR: 1, T.TIMESTAMPNTZ: 1, T.TIMESTAMP: 1},
    "bigquery": {T.DECIMAL: 2, T.BIGDECIMAL: 2, T.TEXT: 1, T.BINARY: 1},
}
_NESTED = {
    "duckdb": frozenset({T.ARRAY, T.LIST, T.STRUCT, T.MAP, T.UNION, T.ENUM}),
    "bigquery": frozenset({T.ARRAY, T.STRUCT}),
}
_FIELDS = (T.STRUCT, T.UNION)
_ARGS = frozenset({"this", "expressions", "values", "nested"})


def check_types(expression: exp.Expr, dialect: str) -> exp.Expr:
    """Return ``expression`` if every type in it is allowed; refuse it otherwise."""
    for node in expression.find_all(exp.DataType):
        if not isinstance(node.parent, exp.DataType | exp.ColumnDef):  # nested ones: via the top
            _check(node, dialect)
    return expression


def _check(node: exp.Expr, dialect: str) -> None:
    if not isinstance(node, exp.DataType) or not _ARGS.issuperset(set_args(node)):
        raise _refused(node, dialect)
    kind = node.this
    items = node.expressions
    if kind in _SCALARS[dialect]:
        most = _PARAMETERS[dialect].get(kind, 0)
        if node.args.get("values") or len(items) > most or not all(map(_integer_param, items)):
            raise _refused(node, dialect)
    elif kind in _NESTED[dialect]:
        _check_nested(node, kind, items, dialect)
    else:
        raise _refused(node, dialect, written=kind.value)


def _check_nested(node: exp.DataType, kind: T, items: list, dialect: str) -> None:
    values = node.args.get("values") or []
    if kind is T.ENUM:
        strings = all(isinstance(item, exp.Literal) and item.is_string for item in items)
        if values or not items or not strings:
            raise _refused(node, dialect)
        return
    if values and (kind is not T.ARRAY or len(values) != 1 or not _integer(values[0])):
        raise _refused(node, dialect)
    if kind in _FIELDS:
        if not items:
            raise _refused(node, dialect)
        for field in items:
            if not isinstance(field, exp.ColumnDef) or set_args(field) != {"this", "kind"}:
                raise _refused(node, dialect)
            if not isinstance(field.this, exp.Identifier):
                raise _refused(node, dialect)
            _check(field.args["kind"], dialect)
        return
    expected = 2 if kind is T.MAP else 1
    if len(items) != expected:
        raise _refused(node, dialect)
    for item in items:
        _check(item, dialect)


def _integer_param(item: exp.Expr) -> bool:
    return isinstance(item, exp.DataTypeParam) and not item.expression and _integer(item.this)


def _integer(value: exp.Expr | None) -> bool:
    return isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit()


def _refused(node: exp.Expr, dialect: str, written: str | None = None) -> QueryRefused:
    if isinstance(node, exp.DataType) and node.this is T.USERDEFINED:
        written = str(node.args.get("kind") or "")
    elif written is None:
        written = node.sql(dialect=dialect)
    shown = written if len(written) <= 40 else f"{written[:40]}..."
    return QueryRefused(f"type not allowed: {shown}")
