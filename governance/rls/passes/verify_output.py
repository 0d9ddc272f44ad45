"""Pass: read the generated SQL back and verify it as strictly as the input, and more.

Text is what the database runs, and sqlglot's generator rewrites while it writes (a dialect's
transforms; a raw-text node written back verbatim). So the generated SQL is parsed again and must
hold:

1. it parses (``read_back``: one statement that starts like a query, every quoted name
   kept) to exactly the tree the compiler produced (``trees.same_tree``): no text changed meaning
   between the tree and the SQL;
2. it passes every input check again: read-only, safe sources, allowed functions, allowed types,
   allowed constructs;
3. every table reference is resolved: an unqualified name is a renamed CTE (``__rls_cte_<n>``)
   visible where it stands; any other is a visible table of the tenant schema, with no catalog or
   project;
4. for a restricted reader, every tenant table is the source of a policy wrapper that is, node for
   node, the wrapper rendered afresh for this reader and that table
   (``SELECT <* or mask> FROM "<schema>"."<T>" AS <row alias> WHERE <the reader's policies on T>``,
   see ``apply_policies``); every wrapper uses the same row alias, and nothing else in the query
   uses that name. An alias is never trusted: the whole wrapper is compared.
   For an unrestricted reader, every tenant table is written ``"<schema>"."<T>"``.

A violation refuses the query: it is a compiler bug, never the user's, and nothing unchecked runs.
The wrappers' SQL is returned, so the executing connection can check them with its own parser.
"""

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlglot import exp

from governance.rls.context import QueryRefused, Reader
from governance.rls.passes.apply_policies import policy_wrapper
from governance.rls.passes.check_constructs import check_constructs
from governance.rls.passes.check_functions import check_functions
from governance.rls.passes.check_types import check_types
from governance.rls.passes.generate import generate
from governance.rls.passes.parse_one_statement import read_back
from governance.rls.passes.refuse_unsafe_sources import refuse_unsafe_sources
from governance.rls.passes.refuse_writes import refuse_writes
from governance.rls.passes.render_predicates import ROW_ALIAS, PolicyPredicates
from governance.rls.passes.resolve_tables import CTE_PREFIX, TenantTables
from governance.rls.trees import same_tree

_CTE_NAME = re.compile(re.escape(CTE_PREFIX) + r"[0-9]+")
_ROW_ALIAS = re.compile(re.escape(ROW_ALIAS) + r"(_[0-9]+)?")


@dataclass(frozen=True)
class VerifiedOutput:
    """SQL that passed every check, and the distinct policy wrappers it reads through."""

    sql: str
    wrappers: tuple[str, ...]


def verify_output(
    expression: exp.Expr,
    dialect: str,
    reader: Reader,
    tables: Collection[str],
    predicates: PolicyPredicates | None = None,
) -> VerifiedOutput:
    """The SQL of ``expression``, the tree the compiler built, once verified safe for ``reader``."""
    compiled = expression
    sql = generate(compiled, dialect, copy=True)  # the tree stays as built, to compare with
    try:
        parsed = read_back(sql, dialect)
    except QueryRefused:
        raise _unsafe("the compiled query does not parse as one query") from None
    if not same_tree(compiled, parsed):
        raise _unsafe("the compiled query does not read back as compiled")
    try:
        refuse_writes(parsed)
        refuse_unsafe_sources(parsed, sql, dialect)
        check_functions(parsed, dialect)
        check_types(parsed, dialect)
        check_constructs(parsed)
    except QueryRefused:
        raise _unsafe("the compiled query fails the input checks") from None
    if predicates is None:
        predicates = PolicyPredicates(reader, dialect, case_insensitive=dialect == "duckdb")
    tenant = TenantTables(dialect, reader.tenant_schema, tables)
    wrappers = _verify_tables(parsed, dialect, reader, tenant, predicates)
    return VerifiedOutput(sql, tuple(dict.fromkeys(generate(w, dialect) for w in wrappers)))


def _verify_tables(
    parsed: exp.Expr,
    dialect: str,
    reader: Reader,
    tenant: TenantTables,
    predicates: PolicyPredicates,
) -> list[exp.Select]:
    """Check every table reference (points 3 and 4); return the verified wrappers."""
    wrappers: list[exp.Select] = []
    row_aliases: set[str] = set()
    for table in parsed.find_all(exp.Table):
        if table.args.get("catalog") or not isinstance(table.this, exp.Identifier):
            raise _unsafe("a table reference is not a plain name")
        db = table.args.get("db")
        if db is None:
            if not _CTE_NAME.fullmatch(table.name) or not _cte_visible(table):
                raise _unsafe(f"an unqualified table is not a CTE in scope: {table.name}")
            continue
        canonical = None
        if isinstance(db, exp.Identifier) and tenant.is_tenant_schema(db.name):
            canonical = tenant.lookup(table.name)
        if canonical is None:
            raise _unsafe("a table is not one of the tenant's tables")
        if reader.unrestricted:
            if not _written_as_compiled(table, reader.tenant_schema, canonical):
                raise _unsafe("a tenant table is not written as the compiler writes it")
            continue
        wrapper = _wrapper_of(table)
        row_alias = table.alias
        if wrapper is None or not _ROW_ALIAS.fullmatch(row_alias):
            raise _unsafe("a tenant table is not wrapped in its policy filter")
        variants = _expected_wrappers(reader, dialect, canonical, row_alias, predicates)
        if not any(same_tree(wrapper, variant) for variant in variants):
            raise _unsafe("a tenant table is not wrapped in its policy filter")
        row_aliases.add(row_alias.lower())
        wrappers.append(wrapper)
    if len(row_aliases) > 1:
        raise _unsafe("policy wrappers use different row aliases")
    if row_aliases:
        _check_row_alias_unused(parsed, row_aliases.pop(), wrappers)
    return wrappers


def _wrapper_of(table: exp.Table) -> exp.Select | None:
    """The SELECT that reads ``table`` as its only source, if it is a derived table's body."""
    from_ = table.parent
    select = from_.parent if isinstance(from_, exp.From) else None
    if (
        isinstance(select, exp.Select)
        and from_.arg_key == "from_"
        and isinstance(select.parent, exp.Subquery)
    ):
        return select
    return None


def _expected_wrappers(
    reader: Reader, dialect: str, table: str, row_alias: str, predicates: PolicyPredicates
) -> Iterator[exp.Select]:
    """The wrappers the compiler may emit for ``table``: plain and, on DuckDB, masked."""
    condition, _ = predicates.for_table(table, row_alias)
    masked = dialect == "duckdb" and not isinstance(condition, exp.Boolean)
    yield policy_wrapper(reader.tenant_schema, table, condition, False, row_alias)
    if masked:
        condition, _ = predicates.for_table(table, row_alias)
        yield policy_wrapper(reader.tenant_schema, table, condition, True, row_alias)


def _written_as_compiled(table: exp.Table, schema: str, canonical: str) -> bool:
    return same_tree(table.this, exp.to_identifier(canonical, quoted=True)) and same_tree(
        table.args["db"], exp.to_identifier(schema, quoted=True)
    )


def _cte_visible(table: exp.Table) -> bool:
    """Whether a CTE named like ``table`` is visible where ``table`` stands (CTE scoping)."""
    name = table.name.lower()
    child: exp.Expr = table
    node = table.parent
    while node is not None:
        if isinstance(node, exp.With):
            # Inside a CTE's body: the CTEs before it, and itself if the WITH is recursive.
            limit = child.index + 1 if node.recursive else child.index
            if any(cte.alias.lower() == name for cte in node.expressions[:limit]):
                return True
        elif child.arg_key != "with_":
            with_ = node.args.get("with_")
            if isinstance(with_, exp.With) and any(
                cte.alias.lower() == name for cte in with_.expressions
            ):
                return True
        child, node = node, node.parent
    return False


def _check_row_alias_unused(parsed: exp.Expr, row_alias: str, wrappers: list[exp.Select]) -> None:
    """Refuse if the row alias is used anywhere but inside the verified wrappers."""
    inside = {id(wrapper) for wrapper in wrappers}
    for identifier in parsed.find_all(exp.Identifier):
        if identifier.name.lower() != row_alias:
            continue
        node = identifier.parent
        while node is not None and id(node) not in inside:
            node = node.parent
        if node is None:
            raise _unsafe("the policy row alias is used outside a policy filter")


def _unsafe(reason: str) -> QueryRefused:
    return QueryRefused(f"the query could not be compiled safely ({reason})")
