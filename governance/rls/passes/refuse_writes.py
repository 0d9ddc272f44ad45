"""Pass: refuse anything that writes or changes state, anywhere in the tree.

The statement itself must be a query (SELECT, a set operation, or one in parentheses); inside it,
no node may be a statement: a data-modifying CTE (``WITH x AS (UPDATE ... RETURNING *)``),
``SELECT ... INTO``, ``FOR UPDATE`` and every DDL, DML or session command are refused, naming the
keyword. Node kinds nobody thought of are caught later by ``check_constructs`` (an allow-list).
"""

from sqlglot import exp

from governance.rls.context import QueryRefused

# Statement and state-changing node classes, with the keyword the refusal names.
_WRITES: dict[type[exp.Expr], str] = {
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Merge: "MERGE",
    exp.Copy: "COPY",
    exp.Create: "CREATE",
    exp.Drop: "DROP",
    exp.Alter: "ALTER",
    exp.TruncateTable: "TRUNCATE",
    exp.Attach: "ATTACH",
    exp.Detach: "DETACH",
    exp.Install: "INSTALL",
    exp.Pragma: "PRAGMA",
    exp.Set: "SET",
    exp.Use: "USE",
    exp.Export: "EXPORT",
    exp.Transaction: "BEGIN",
    exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK",
    exp.Grant: "GRANT",
    exp.Revoke: "REVOKE",
    exp.Analyze: "ANALYZE",
    exp.Describe: "DESCRIBE",
    exp.Show: "SHOW",
    exp.Summarize: "SUMMARIZE",
    exp.Declare: "DECLARE",
    exp.Execute: "EXECUTE",
    exp.ExecuteSql: "EXECUTE",
    exp.LoadData: "LOAD",
    exp.Cache: "CACHE",
    exp.Uncache: "UNCACHE",
    exp.Refresh: "REFRESH",
    exp.Comment: "COMMENT",
    exp.Kill: "KILL",
    exp.Into: "SELECT INTO",
    exp.Lock: "FOR UPDATE/FOR SHARE",
    exp.Returning: "RETURNING",
}


def refuse_writes(expression: exp.Expr) -> exp.Expr:
    """Return ``expression`` if it is a query that only reads; refuse it otherwise."""
    if not isinstance(expression, exp.Query):
        raise QueryRefused(f"only read-only queries are allowed: {_keyword(expression)} is not")
    for node in expression.walk():
        keyword = _keyword(node)
        if keyword:
            raise QueryRefused(f"only read-only queries are allowed: {keyword} is not")
    return expression


def _keyword(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    keyword = _WRITES.get(type(node))
    if keyword is None and isinstance(node, (exp.DDL, exp.DML)):
        keyword = node.key.upper()
    if keyword is None and not isinstance(node, exp.Query) and node.parent is None:
        keyword = node.key.upper()
    return keyword
