"""Pass: decide, scope by scope, what every table name refers to: a CTE or a tenant table.

A name refers to a CTE only where that CTE is visible: in the rest of its query (nested subqueries
included), in the CTEs defined after it in the same WITH, and in its own body only if the WITH is
RECURSIVE. Everywhere else (a forward reference, a non-recursive CTE naming itself, a CTE of a
sibling subquery) the name is a table, so a CTE can never hide a read of a real table. CTE names
compare case-insensitively, as in DuckDB and BigQuery.

Every CTE is renamed ``__rls_cte_<n>`` and its references become ``__rls_cte_<n> AS <name>``: the
SQL that runs then has no unqualified name a database could resolve to a table (should its scoping
ever differ from ours, the name resolves to nothing and the query fails). This is also why a CTE
may share a tenant table's name.

Any other name must be one of the tenant's visible tables, written bare or qualified with the
tenant schema (no catalog or project). Table names and the schema compare as the dialect does:
case-insensitively in DuckDB (quoted or not), exactly in BigQuery. A system catalog, another
schema, a hidden table and a table that does not exist all get the same refusal,
``unknown table: <name as written>``, so a refusal reveals nothing.

Resolved tenant tables are marked with ``meta["rls_table"] = <the visible table's name>`` for
``apply_policies``. (User comments cannot forge meta: ``parse_one_statement`` cleared it.)
"""

from collections.abc import Collection

from sqlglot import exp

from governance.rls.context import QueryRefused

RLS_TABLE = "rls_table"
CTE_PREFIX = "__rls_cte_"


class TenantTables:
    """The tenant's visible tables and schema, matched as ``dialect`` matches names."""

    def __init__(self, dialect: str, schema: str, tables: Collection[str]) -> None:
        self.case_insensitive = dialect == "duckdb"
        self.schema = schema
        self.exact = frozenset(tables)
        self.folded = {name.lower(): name for name in tables} if self.case_insensitive else {}

    def lookup(self, name: str) -> str | None:
        """The visible table ``name`` refers to, or None."""
        if name in self.exact:
            return name
        return self.folded.get(name.lower()) if self.case_insensitive else None

    def is_tenant_schema(self, name: str) -> bool:
        if self.case_insensitive:
            return name.lower() == self.schema.lower()
        return name == self.schema


def resolve_tables(
    expression: exp.Expr, dialect: str, tenant_schema: str, tables: Collection[str]
) -> exp.Expr:
    """Mark tenant-table references, rename CTEs; refuse unknown tables."""
    tenant = TenantTables(dialect, tenant_schema, tables)
    counter = 0
    stack: list[tuple[exp.Expr, dict[str, str]]] = [(expression, {})]
    while stack:
        node, visible = stack.pop()
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            visible = dict(visible)
            defined: set[str] = set()
            for cte in with_.expressions:
                key = cte.alias.lower()
                if key in defined:
                    raise QueryRefused(f"duplicate CTE name: {cte.alias}")
                defined.add(key)
                counter += 1
                renamed = f"{CTE_PREFIX}{counter}"
                body_visible = {**visible, key: renamed} if with_.recursive else visible
                stack.append((cte.this, body_visible))
                visible = {**visible, key: renamed}
                cte.args["alias"].set("this", exp.to_identifier(renamed))
        if isinstance(node, exp.Table):
            _resolve_table(node, visible, tenant, dialect)
        for key, value in node.args.items():
            if key == "with_":
                continue
            if isinstance(value, exp.Expr):
                stack.append((value, visible))
            elif isinstance(value, list):
                stack.extend((item, visible) for item in value if isinstance(item, exp.Expr))
    return expression


def _resolve_table(
    table: exp.Table, visible: dict[str, str], tenant: TenantTables, dialect: str
) -> None:
    name = table.this
    db = table.args.get("db")
    if not isinstance(name, exp.Identifier) or table.args.get("catalog"):
        raise _unknown(table, dialect)
    if db is None:
        renamed = visible.get(name.name.lower())
        if renamed is not None:
            if not table.args.get("alias"):
                table.set("alias", exp.TableAlias(this=name.copy()))
            table.set("this", exp.to_identifier(renamed))
            return
    elif not isinstance(db, exp.Identifier) or not tenant.is_tenant_schema(db.name):
        raise _unknown(table, dialect)
    canonical = tenant.lookup(name.name)
    if canonical is None:
        raise _unknown(table, dialect)
    table.meta[RLS_TABLE] = canonical


def _unknown(table: exp.Table, dialect: str) -> QueryRefused:
    written = ".".join(part.sql(dialect=dialect) for part in table.parts)
    return QueryRefused(f"unknown table: {written}")
