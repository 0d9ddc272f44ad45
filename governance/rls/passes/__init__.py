"""The RLS compiler's passes, in the order ``compiler.compile_query`` runs them.

Each is a function from a sqlglot expression to an expression (plus the context it needs), in the
style of sqlglot's optimizer rules, with SQL fixture pairs in ``tests/governance/rls/fixtures``.

0. ``check_policy_columns`` (when the caller passes each table's columns): refuses a read when a
   policy names a column its table lacks.
1. ``parse_one_statement``: text -> one statement; refuses templates, statement lists and
   statements that do not start like a query; strips comments and meta data.
2. ``refuse_writes``: refuses DML, DDL, data-modifying CTEs, COPY, ATTACH, PRAGMA, SET, INSTALL,
   LOAD, CALL, EXPORT, SELECT INTO, FOR UPDATE, anywhere in the tree.
3. ``refuse_unsafe_sources``: refuses table functions, file and URL readers, strings in FROM,
   time travel.
4. ``check_functions``: every function on the allow-list (``functions_allowed``).
5. ``check_constructs``: every other node on an allow-list of understood constructs.
6. ``resolve_tables``: scope-correct CTE resolution (CTEs renamed ``__rls_cte_<n>``); every other
   name must be a visible tenant table; "unknown table: <name>" otherwise.
7. ``apply_policies`` (with ``render_predicates``): each tenant-table reference becomes a derived
   table filtered by the reader's policies, placeholders bound as literals.
8. ``generate``: SQL for the dialect.
9. ``verify_output``: parses the generated SQL again and checks every table it reads is a
   renamed CTE or a tenant table inside its policy wrapper (defence in depth; refuses otherwise).
"""
