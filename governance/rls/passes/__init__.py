"""The RLS compiler's passes, in the order ``compiler.PASSES`` runs them.

Each is a function from a sqlglot expression to an expression (plus the context it needs, by
parameter name), in the style of sqlglot's optimizer rules, with SQL fixture pairs in
``tests/governance/rls/fixtures``; the tests iterate ``PASSES`` too, so a pass without fixtures
fails them.

1. ``parse_one_statement``: text -> one statement; refuses templates, statement lists, statements
   that do not start like a query, unbalanced brackets, and a quoted name the parser did not keep
   as a name (sqlglot takes quoted type and function names as raw text); strips comments and meta.
2. ``check_size``: refuses more than 100 table references, 200 SELECTs or 20,000 nodes.
3. ``check_policy_columns`` (when the caller passes each table's columns): refuses a read when a
   policy names a column its table lacks.
4. ``refuse_writes``: refuses DML, DDL, data-modifying CTEs, COPY, ATTACH, PRAGMA, SET, INSTALL,
   LOAD, CALL, EXPORT, SELECT INTO, FOR UPDATE, anywhere in the tree.
5. ``refuse_unsafe_sources``: refuses table functions, file and URL readers, strings in FROM,
   time travel.
6. ``check_functions``: every function on the allow-list (``functions_allowed``).
7. ``check_types``: every type one of the engine's, with the parameters it takes.
8. ``check_constructs``: every other node on an allow-list of understood constructs; a keyword
   node (written back as raw text) must be a plain word.
9. ``canonicalize``: the tree -> its SQL -> the tree that parses to, the form every later pass
   works on, so the compiler's output reads back as exactly the tree it built; refused if that
   changes what the query reads.
10. ``name_expression_columns`` (DuckDB): an unnamed select-list expression holding a subquery is
    named after the reader's SQL, so no column name carries a policy.
11. ``resolve_tables``: scope-correct CTE resolution (CTEs renamed ``__rls_cte_<n>``); every other
    name must be a visible tenant table; "unknown table: <name>" otherwise.
12. ``apply_policies`` (with ``render_predicates``): each tenant-table reference becomes a derived
    table filtered by the reader's policies, placeholders bound as literals.
13. ``verify_output``: generates the SQL (``generate``), reads it back and requires the very tree
    the compiler built, every input check passed again, every table resolved, and every tenant
    table wrapped in exactly the wrapper rendered afresh for this reader. Its wrappers go to the
    executing connection, which checks the SQL once more with the engine's own parser
    (``warehouse.duckdb_read_guard``).
"""
