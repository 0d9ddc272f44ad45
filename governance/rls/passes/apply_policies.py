"""Pass: make every reference to a tenant table read only the rows its reader may see.

Each table marked by ``resolve_tables``, wherever it is (FROM, JOIN, a CTE, a subquery in the
select list, WHERE, HAVING, ON, LATERAL, either side of a set operation), is replaced:

- restricted reader: ``T [AS a]`` becomes
  ``(SELECT * FROM "<schema>"."T" AS __rls WHERE <policies>) AS a``, where ``<policies>`` is the
  OR of the reader's policies on T with columns qualified by ``__rls`` (so they bind to T's row
  only), or ``FALSE`` when the reader has none (fail closed). ``__rls`` becomes ``__rls_<n>`` if
  the query itself uses that name anywhere (any case): a user alias, or a column, named like the
  row alias could otherwise capture a policy column its table lacks, from an outer or lateral
  scope. The alias of the replacement defaults to the name as written, so outer references such
  as ``T.col`` keep working; joins, pivots and samples attached to the reference move to the
  replacement. Filtering a derived table (not adding to the outer WHERE) keeps outer joins right
  and keeps hidden rows out of LIMIT.
- DuckDB, restricted, non-trivial predicate, and the query has a predicate DuckDB could push
  down (WHERE, ON/USING/NATURAL, HAVING, QUALIFY, FILTER, IN/EXISTS/ANY/ALL, INTERSECT, EXCEPT,
  PIVOT): the select list is ``CASE WHEN <policies> THEN COLUMNS(*) END`` instead of ``*``.
  DuckDB pushes outer filters and join conditions down into the derived table and may evaluate
  them before the policy filter; a query could then fail on a hidden row (``CAST(note AS INT)``)
  and so learn about it. With the mask, an expression evaluated early sees a hidden row as all
  NULLs. The mask costs (user filters no longer reach DuckDB's zone maps), so a query with no
  such predicate, where nothing can be pushed down, goes without. (Measured on DuckDB 1.4.4.)
- unrestricted reader (owner, admin): ``"<schema>"."T" AS a``, fully qualified.

Columns written with the tenant schema (``acme.orders.id``) lose the schema, since the table now
goes by its alias.
"""

from dataclasses import dataclass, field

from sqlglot import exp

from governance.rls.context import Reader
from governance.rls.passes.render_predicates import ROW_ALIAS, PolicyPredicates
from governance.rls.passes.resolve_tables import RLS_TABLE

_MOVED_TO_REPLACEMENT = ("joins", "laterals", "pivots", "sample")
# Constructs holding a predicate DuckDB may push below a policy filter (see the module doc).
_PUSHABLE = (
    exp.Where,
    exp.Having,
    exp.Qualify,
    exp.Filter,
    exp.Join,
    exp.Intersect,
    exp.Except,
    exp.Pivot,
    exp.Exists,
    exp.In,
    exp.Any,
    exp.All,
)


@dataclass
class AppliedPolicies:
    """What the compiled query reads: tenant tables and policy names, in order of appearance."""

    tables: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)

    def add(self, table: str, policies: tuple[str, ...]) -> None:
        if table not in self.tables:
            self.tables.append(table)
        for name in policies:
            if name not in self.policies:
                self.policies.append(name)


def apply_policies(
    expression: exp.Expr,
    reader: Reader,
    dialect: str,
    predicates: PolicyPredicates | None = None,
    applied: AppliedPolicies | None = None,
) -> exp.Expr:
    """Replace every marked tenant-table reference with its policy-filtered form."""
    case_insensitive = dialect == "duckdb"
    if predicates is None:
        predicates = PolicyPredicates(reader, dialect, case_insensitive)
    if applied is None:
        applied = AppliedPolicies()
    schema = reader.tenant_schema
    references: list[exp.Table] = []
    names: set[str] = set()
    mask = False
    for node in expression.find_all(exp.Table, exp.Column, exp.Identifier, *_PUSHABLE):
        if isinstance(node, exp.Identifier):
            names.add(node.name.lower())
        elif isinstance(node, _PUSHABLE):
            mask = mask or not _is_plain_join(node)
        elif isinstance(node, exp.Table):
            if node.meta_get(RLS_TABLE) is not None:
                references.append(node)
        elif node.args.get("db") and _same(node.text("db"), schema, case_insensitive):
            node.set("db", None)
            node.set("catalog", None)
    row_alias = _unused_alias(names)
    for table in references:
        canonical = table.meta[RLS_TABLE]
        if reader.unrestricted:
            _qualify_in_place(table, schema, canonical)
            applied.add(canonical, ())
            continue
        condition, policies = predicates.for_table(canonical, row_alias)
        applied.add(canonical, policies)
        masked = mask and dialect == "duckdb" and not isinstance(condition, exp.Boolean)
        table.replace(_filtered(table, schema, canonical, condition, masked, row_alias))
    return expression


def _is_plain_join(node: exp.Expr) -> bool:
    """A comma or CROSS join: no condition, nothing to push down."""
    return isinstance(node, exp.Join) and not any(
        node.args.get(key) for key in ("on", "using", "method")
    )


def _unused_alias(names: set[str]) -> str:
    """``__rls``, or ``__rls_<n>`` if the query itself uses that name (any case)."""
    alias, counter = ROW_ALIAS, 0
    while alias in names:
        counter += 1
        alias = f"{ROW_ALIAS}_{counter}"
    return alias


def _same(left: str, right: str, case_insensitive: bool) -> bool:
    return left.lower() == right.lower() if case_insensitive else left == right


def _alias(table: exp.Table) -> exp.TableAlias:
    alias = table.args.get("alias")
    if isinstance(alias, exp.TableAlias) and alias.this:
        return alias
    name = table.this.copy()
    if isinstance(alias, exp.TableAlias):  # columns only: T AS (a, b)
        alias.set("this", name)
        return alias
    return exp.TableAlias(this=name)


def _qualify_in_place(table: exp.Table, schema: str, canonical: str) -> None:
    alias = _alias(table)
    table.set("this", exp.to_identifier(canonical, quoted=True))
    table.set("db", exp.to_identifier(schema, quoted=True))
    table.set("catalog", None)
    table.set("alias", alias)


def _filtered(
    table: exp.Table,
    schema: str,
    canonical: str,
    condition: exp.Expr,
    masked: bool,
    row_alias: str,
) -> exp.Subquery:
    select = policy_wrapper(schema, canonical, condition, masked, row_alias)
    replacement = exp.Subquery(this=select, alias=_alias(table))
    for key in _MOVED_TO_REPLACEMENT:
        value = table.args.get(key)
        if value:
            replacement.set(key, value)
    return replacement


def policy_wrapper(
    schema: str, table: str, condition: exp.Expr, masked: bool, row_alias: str
) -> exp.Select:
    """``SELECT <* or mask> FROM "<schema>"."<table>" AS <row_alias> WHERE <condition>``.

    ``condition`` is used as is (not copied); the mask gets a copy of it.
    """
    source = exp.Table(
        this=exp.to_identifier(table, quoted=True),
        db=exp.to_identifier(schema, quoted=True),
        alias=exp.TableAlias(this=exp.to_identifier(row_alias)),
    )
    if masked:
        mask = exp.If(this=condition.copy(), true=exp.Columns(this=exp.Star()))
        projection: exp.Expr = exp.Case(ifs=[mask])
    else:
        projection = exp.Star()
    return exp.Select(
        expressions=[projection], from_=exp.From(this=source), where=exp.Where(this=condition)
    )
