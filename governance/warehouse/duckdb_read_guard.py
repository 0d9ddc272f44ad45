"""The second barrier of a governed read: DuckDB's own parser checks the SQL it is about to run.

The RLS compiler checks SQL with sqlglot's parser; DuckDB runs it with its own. Wherever the two
read the same text differently, the compiler's checks prove nothing about what runs, which is how
a quoted type name once smuggled a raw table read through. So before a compiled query runs, DuckDB
parses it (``json_serialize_sql``, the parser of the same DuckDB build that will run it, on a
connection of its own) and this module walks DuckDB's parse tree, independently of sqlglot and of
the compiler's passes:

- one ``SELECT`` statement (DuckDB serializes nothing else);
- every table read is a CTE visible where it stands (and named as the compiler names CTEs), or a
  visible table of the tenant schema; for a restricted reader, each such table is the source of a
  ``SELECT`` node equal, node for node (positions aside), to one of the policy wrappers the
  compiler rendered for this reader, as DuckDB itself parses that wrapper;
- no table function but ``unnest``; no time travel; no parameters; no user-defined types;
- every function called is a built-in scalar, aggregate or window function or a built-in macro
  known to be pure, and none of those that read session, catalog or sequence state or run SQL
  (``current_setting``, ``getvariable``, ``current_query``, ``nextval``, ``json_serialize_sql``,
  ``stats`` ...): the list is read from DuckDB's own catalog, less the deny list below.

What it stops: any table or function the compiler did not emit, however sqlglot came to print it.
What it does not: a policy that is itself wrong (the wrappers are the compiler's rendering of the
reader's policies), side channels (timing, errors evaluated before a filter, which the compiler's
NULL mask addresses), and bugs inside DuckDB's binder or optimizer.
"""

import threading
from collections.abc import Collection
from functools import lru_cache
from typing import Any

import duckdb
import orjson
from cachetools import LRUCache

from governance.rls.context import QueryRefused
from governance.warehouse.duckdb_files import string_literal

_CTE_PREFIX = "__rls_cte_"
_QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
_TABLE_REFS = frozenset(
    {"BASE_TABLE", "SUBQUERY", "JOIN", "TABLE_FUNCTION", "EXPRESSION_LIST", "EMPTY", "PIVOT"}
)
_TABLE_FUNCTIONS = frozenset({"unnest"})
# Functions the parser produces that DuckDB's catalog does not list as scalar or aggregate.
_SPECIAL_FUNCTIONS = frozenset({"unnest", "grouping", "grouping_id"})
_EXPRESSIONS = frozenset(
    {
        "CONSTANT", "COLUMN_REF", "FUNCTION", "OPERATOR", "COMPARISON", "CONJUNCTION", "CASE",
        "CAST", "BETWEEN", "STAR", "LAMBDA", "LAMBDA_REF", "SUBQUERY", "WINDOW", "COLLATE",
        "POSITIONAL_REFERENCE",
    }
)  # fmt: skip
_WINDOW_FUNCTIONS = frozenset(
    {
        "row_number", "rank", "dense_rank", "rank_dense", "percent_rank", "cume_dist", "ntile",
        "lag", "lead", "first_value", "last_value", "nth_value", "fill",
    }
)  # fmt: skip
# Built-in macros (function_type 'macro' in DuckDB's catalog) whose bodies only compute.
_PURE_MACROS = frozenset(
    {
        "array_append", "array_intersect", "array_pop_back", "array_pop_front", "array_prepend",
        "array_push_back", "array_push_front", "array_reverse", "array_to_string",
        "array_to_string_comma_default", "date_add", "fdiv", "fmod", "generate_subscripts",
        "geomean", "geometric_mean", "json", "json_group_array", "json_group_object",
        "json_group_structure", "list_any_value", "list_append", "list_approx_count_distinct",
        "list_avg", "list_bit_and", "list_bit_or", "list_bit_xor", "list_bool_and",
        "list_bool_or", "list_count", "list_entropy", "list_first", "list_histogram",
        "list_intersect", "list_kurtosis", "list_kurtosis_pop", "list_last", "list_mad",
        "list_max", "list_median", "list_min", "list_mode", "list_prepend", "list_product",
        "list_reverse", "list_sem", "list_skewness", "list_stddev_pop", "list_stddev_samp",
        "list_string_agg", "list_sum", "list_var_pop", "list_var_samp", "map_contains_entry",
        "map_contains_value", "md5_number_lower", "md5_number_upper", "nullif", "round_even",
        "roundbankers", "split_part", "wavg", "weighted_avg",
    }
)  # fmt: skip
# Built-in functions that read session, catalog, sequence or log state, or run or show SQL.
_DENIED = frozenset(
    {
        "current_setting", "getvariable", "current_query", "current_query_id", "current_database",
        "current_schema", "current_schemas", "current_connection_id", "current_transaction_id",
        "txid_current", "nextval", "currval", "setseed", "in_search_path", "json_serialize_sql",
        "json_serialize_plan", "json_deserialize_sql", "version", "write_log",
        "parse_duckdb_log_message", "stats", "error",
    }
)  # fmt: skip
_INTERNAL_PREFIX = "__internal"


@lru_cache(maxsize=1)
def allowed_functions() -> frozenset[str]:
    """The functions a governed read may call, by DuckDB's catalog (see the module doc)."""
    with duckdb.connect() as connection:
        rows = connection.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions()"
            " WHERE function_type IN ('scalar', 'aggregate') AND schema_name = 'main'"
        ).fetchall()
    builtin = {name for (name,) in rows if not name.startswith(_INTERNAL_PREFIX)}
    return frozenset((builtin | _PURE_MACROS | _WINDOW_FUNCTIONS | _SPECIAL_FUNCTIONS) - _DENIED)


class _WrapperCache:
    """DuckDB's parse of each policy wrapper, positions stripped, as canonical JSON bytes."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: LRUCache[str, bytes] = LRUCache(max_entries)
        self._lock = threading.Lock()

    def get(self, wrapper_sql: str) -> bytes:
        with self._lock:
            cached = self._entries.get(wrapper_sql)
        if cached is None:
            statement = _serialize(wrapper_sql)
            cached = _canonical(statement["node"])
            with self._lock:
                self._entries[wrapper_sql] = cached
        return cached


_WRAPPERS = _WrapperCache()


def check_read(
    sql: str, *, schema: str, tables: Collection[str], wrappers: Collection[str] | None
) -> None:
    """Refuse ``sql`` unless DuckDB's parse of it reads only what the compiler emitted.

    ``wrappers`` is the SQL of the policy wrappers the compiler rendered for a restricted reader;
    None for an unrestricted reader (owner, admin), whose tenant tables are read directly.
    """
    statement = _serialize(sql)
    expected = None if wrappers is None else {_WRAPPERS.get(w) for w in wrappers}
    _ReadWalk(schema, tables, expected).run(statement["node"])


def check_written_predicate(predicate: str) -> None:
    """Refuse a policy predicate DuckDB itself would not read as written.

    sqlglot reads functions and operators other engines have (``regexp_like``, ``RLIKE``,
    ``nvl``) and rewrites them into DuckDB's, not always with the same meaning (``regexp_like``
    is a full match in Snowflake, ``REGEXP_MATCHES`` a partial one). A policy must say what it
    means in the engine that applies it: it must parse in DuckDB and call only DuckDB's
    functions. (Placeholders are replaced by a sample value first.)
    """
    try:
        statement = _serialize(f"SELECT 1 WHERE ({predicate})")
    except QueryRefused:
        raise QueryRefused("DuckDB does not read it as written") from None
    functions = allowed_functions()
    stack: list[Any] = [statement]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("class") in ("FUNCTION", "WINDOW"):
                name = str(value.get("function_name", "")).lower()
                if name not in functions:
                    raise QueryRefused(f"DuckDB has no function {name} (or it may not be used)")
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


class _ReadWalk:
    """One walk over a DuckDB parse tree, keeping the CTEs in scope."""

    def __init__(self, schema: str, tables: Collection[str], wrappers: set[bytes] | None) -> None:
        self.schema = schema.lower()
        self.tables = {table.lower() for table in tables}
        self.wrappers = wrappers
        self.functions = allowed_functions()
        self.wrapped: set[int] = set()  # ids of tenant BASE_TABLE refs found inside a wrapper

    def run(self, root: dict[str, Any]) -> None:
        stack: list[tuple[Any, frozenset[str]]] = [(root, frozenset())]
        while stack:
            value, ctes = stack.pop()
            if isinstance(value, list):
                stack.extend((item, ctes) for item in value)
                continue
            if not isinstance(value, dict):
                continue
            kind = value.get("type")
            kind = kind if isinstance(kind, str) else None
            if "class" in value:
                self._expression(value)
            elif kind in _QUERY_NODES:
                ctes = ctes | _ctes_defined(value)
                self._query_node(value)
            elif "sample" in value and "alias" in value:
                self._table_ref(value, ctes)
            elif "id" in value and "type_info" in value and value["id"] == "USER":
                raise _unsafe("it uses a user-defined type")
            children = (child for child in value.values() if isinstance(child, dict | list))
            stack.extend((child, ctes) for child in children)

    def _query_node(self, node: dict[str, Any]) -> None:
        """Mark a tenant table read by a SELECT node that is one of the expected wrappers."""
        source = node.get("from_table")
        if node.get("type") != "SELECT_NODE" or not self._is_tenant_table(source):
            return
        if self.wrappers is not None and _canonical(node) in self.wrappers:
            self.wrapped.add(id(source))

    def _table_ref(self, ref: dict[str, Any], ctes: frozenset[str]) -> None:
        kind = ref.get("type")
        if kind not in _TABLE_REFS:
            raise _unsafe(f"it has a {kind} table reference")
        if kind == "TABLE_FUNCTION":
            name = str(ref.get("function", {}).get("function_name", "")).lower()
            if name not in _TABLE_FUNCTIONS:
                raise _unsafe("it reads a table function")
        elif kind == "BASE_TABLE":
            self._base_table(ref, ctes)

    def _base_table(self, ref: dict[str, Any], ctes: frozenset[str]) -> None:
        if ref.get("at_clause"):
            raise _unsafe("it uses time travel")
        name = str(ref.get("table_name", "")).lower()
        if not ref.get("schema_name") and not ref.get("catalog_name"):
            if not (name.startswith(_CTE_PREFIX) and name in ctes):
                raise _unsafe("it reads a table that is not a CTE in scope")
            return
        if not self._is_tenant_table(ref):
            raise _unsafe("it reads a table outside the tenant's visible tables")
        if self.wrappers is not None and id(ref) not in self.wrapped:
            raise _unsafe("it reads a tenant table outside its policy wrapper")

    def _is_tenant_table(self, ref: object) -> bool:
        return (
            isinstance(ref, dict)
            and ref.get("type") == "BASE_TABLE"
            and not ref.get("catalog_name")
            and str(ref.get("schema_name", "")).lower() == self.schema
            and str(ref.get("table_name", "")).lower() in self.tables
        )

    def _expression(self, node: dict[str, Any]) -> None:
        kind = node["class"]
        if kind not in _EXPRESSIONS:
            raise _unsafe(f"it has a {kind} expression")
        if kind in ("FUNCTION", "WINDOW"):
            name = str(node.get("function_name", "")).lower()
            if node.get("catalog") or node.get("schema") not in (None, "", "main"):
                raise _unsafe("it calls a qualified function")
            if name not in self.functions:
                raise _unsafe(f"it calls {name}, which is not allowed")


def _ctes_defined(node: dict[str, Any]) -> frozenset[str]:
    names = {str(entry.get("key", "")).lower() for entry in node.get("cte_map", {}).get("map", [])}
    if node.get("type") == "RECURSIVE_CTE_NODE":
        names.add(str(node.get("cte_name", "")).lower())
    return frozenset(names)


@lru_cache(maxsize=1)
def _parser() -> duckdb.DuckDBPyConnection:
    """An in-memory connection that only parses (it attaches nothing); a cursor per use."""
    return duckdb.connect(config={"enable_external_access": False})


def _serialize(sql: str) -> dict[str, Any]:
    """DuckDB's parse tree of ``sql``'s single statement."""
    if "\x00" in sql:
        raise _unsafe("it holds a NUL character")
    with _parser().cursor() as cursor:
        query = f"SELECT json_serialize_sql({string_literal(sql)})"
        (text,) = cursor.execute(query).fetchone() or ("",)
    try:
        parsed = orjson.loads(text) if text else {"error": True}
    except orjson.JSONDecodeError:  # deeper than orjson's 1,024 levels
        raise _unsafe("it is nested too deeply") from None
    statements = parsed.get("statements") or []
    if parsed.get("error") or len(statements) != 1:
        raise _unsafe("it is not one query")
    return statements[0]


def _canonical(node: dict[str, Any]) -> bytes:
    """``node`` without source positions, as JSON bytes with sorted keys."""
    return orjson.dumps(_without_positions(node), option=orjson.OPT_SORT_KEYS)


def _without_positions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_positions(v) for k, v in value.items() if k != "query_location"}
    if isinstance(value, list):
        return [_without_positions(item) for item in value]
    return value


def _unsafe(reason: str) -> QueryRefused:
    return QueryRefused(f"the query could not be run safely (as the warehouse parses it, {reason})")
