"""sqlglot's reading against DuckDB's: the compiled SQL must mean what the reader wrote.

The compiler checks and rewrites the tree sqlglot parses; DuckDB runs the SQL generated from it.
Where sqlglot reads a text differently from DuckDB, a policy would filter by something other than
what its author wrote (``region ~ 'EU'`` once admitted ``NOT-EU``: DuckDB's ``~`` is a full regex
match, sqlglot's a partial one). So every operator, every allowed function and a range of literal
forms are evaluated on DuckDB twice, as written and as compiled: wherever both run, they must
agree. The compiler refusing, or the compiled form failing where the original ran, fails closed
and is no finding; a different answer is.
"""

import functools
from collections.abc import Iterator

import duckdb
import pytest

from governance.rls.compiler import compile_query
from governance.rls.context import QueryRefused, Reader
from governance.rls.passes.functions_allowed import ALLOWED_ANONYMOUS, ALLOWED_FUNCTION_CLASSES

OWNER = Reader("acme", "u0", "boss@acme.io", unrestricted=True)
VALUES = [
    "'abc'", "'b'", "'a.c'", "'a%'", "2", "-3", "2.5", "0", "[1, 2]", "NULL", "TRUE", "'ABC'",
    "DATE '2024-01-05'", "TIMESTAMP '2024-01-05 10:11:12'", "INTERVAL 2 DAY", "'month'",
    "'{\"a\": [1, 2]}'", "{'a': 1}", "','",
]  # fmt: skip
OPERATORS = [
    "+", "-", "*", "/", "//", "%", "**", "^", "<<", ">>", "&", "|", "||", "=", "==", "!=", "<>",
    "<", ">", "<=", ">=", "~", "!~", "~~", "!~~", "~~*", "!~~*", "~~~", "^@", "<@", "@>", "&&",
    "<->", "<=>", "->", "->>", "LIKE", "NOT LIKE", "ILIKE", "GLOB", "SIMILAR TO",
    "IS DISTINCT FROM", "IS NOT DISTINCT FROM", "AND", "OR", "IN", "NOT IN",
]  # fmt: skip
UNARY = ["-{}", "+{}", "~{}", "NOT {}", "@{}", "{} IS NULL", "{} IS NOT TRUE", "{} ISNULL"]
LITERAL_FORMS = [
    "INTERVAL '1 day ago'", "INTERVAL '1 day 2 hours'", "INTERVAL '1' DAY", "INTERVAL '90 minutes'",
    "INTERVAL '1.5 days'", "INTERVAL '-1 day'", "INTERVAL 'P1D'", "INTERVAL '1:30:00'",
    "INTERVAL (2) HOUR", "INTERVAL '2 weeks'", "U&'\\0041'", "E'a\\nb'", "$$x$$", "$t$x$t$",
    "1e3", ".5", "0x10", "1_000", "0b101", "'it''s'", "DATE '2024-01-05' + 1",
    "[1,2,3][2]", "[1,2,3][1:2]", "[1,2,3][-1]", "{'a': 1}.a", "{'a': 1}['a']", "'abc'[1:2]",
    "'{\"a\": [1,2]}'::JSON -> '$.a[0]'", "'{\"a\": 1}'::JSON ->> 'a'",
    "'{\"a\": {\"b\": 2}}'::JSON -> '/a/b'",
    "CASE 1 WHEN 1 THEN 'a' END", "1 BETWEEN 0 AND 2", "'a' LIKE 'A' ESCAPE '\\'",
    "TIMESTAMP '2024-01-05 10:00' AT TIME ZONE 'America/New_York'", "'a' COLLATE nocase = 'A'",
    "list_transform([1,2], x -> x + 1)", "[x + 1 FOR x IN [1,2] IF x > 1]",
    "strftime(TIMESTAMP '2024-01-05 10:11:12', '%Y-%m-%d %H:%M:%S %j %a %b %p %I %y %-d %f %%')",
    "strptime('05/01/2024 10', '%d/%m/%Y %H')", "extract(epoch FROM TIMESTAMP '2024-01-01')",
    "date_diff('month', DATE '2024-01-31', DATE '2024-03-01')", "substring('abcdef' FROM 2 FOR 3)",
    "position('c' IN 'abc')", "trim(BOTH 'x' FROM 'xax')", "regexp_replace('abcb', 'b', 'x', 'g')",
    "round(-2.5)", "CAST(-2.5 AS INT)", "2 // 0", "5 % -3", "-7 // 2", "2 ** 3 ** 2",
]  # fmt: skip
# Answers that change from one evaluation to the next.
NONDETERMINISTIC = frozenset(
    {"now", "random", "rand", "uuid", "gen_random_uuid", "current_timestamp", "current_time",
     "localtime", "localtimestamp", "get_current_timestamp", "get_current_time", "today",
     "transaction_timestamp", "utc_timestamp", "utc_time", "current_datetime"}
)  # fmt: skip


@pytest.fixture(scope="module")
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection


def evaluate(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[str, str]:
    try:
        return "ok", repr(connection.execute(sql).fetchall())
    except duckdb.Error:
        return "error", ""


def differences(connection: duckdb.DuckDBPyConnection, expressions: list[str]) -> list[str]:
    """The expressions DuckDB answers one way as written and another way as compiled."""
    found = []
    for expression in expressions:
        sql = f"SELECT {expression} AS x"
        written = evaluate(connection, sql)
        if written[0] != "ok":
            continue
        try:
            compiled = compile_query(sql, "duckdb", OWNER, ()).sql
        except QueryRefused:
            continue
        ran = evaluate(connection, compiled)
        if ran[0] == "ok" and ran != written:
            found.append(f"{expression}  ->  {compiled}: {written[1]} then {ran[1]}")
    return found


@functools.cache
def function_names() -> list[str]:
    names = {name.lower() for cls in ALLOWED_FUNCTION_CLASSES for name in cls.sql_names()}
    return sorted((names | ALLOWED_ANONYMOUS["duckdb"]) - NONDETERMINISTIC)


def test_operators_mean_what_duckdb_means(connection):
    expressions = [f"{a} {op} {b}" for op in OPERATORS for a in VALUES for b in VALUES[:11]]
    expressions += [form.format(a) for form in UNARY for a in VALUES]
    assert differences(connection, expressions) == []


@pytest.mark.parametrize("chunk", range(4))
def test_operators_bind_as_duckdb_binds_them(connection, chunk: int):
    """Found by an attacker: ``region == 'E' || 'U'`` binds ``==`` tighter in DuckDB."""
    triples = [
        ("'ab'", "'a%'", "'b'"), ("2", "3", "4"), ("TRUE", "FALSE", "TRUE"), ("2", "'2'", "2"),
    ]  # fmt: skip
    pairs = [(first, second) for first in OPERATORS for second in OPERATORS][chunk::4]
    expressions = [f"{a} {o1} {b} {o2} {c}" for o1, o2 in pairs for a, b, c in triples]
    assert differences(connection, expressions) == []


def test_literal_forms_mean_what_duckdb_means(connection):
    assert differences(connection, LITERAL_FORMS) == []


@pytest.mark.parametrize("chunk", range(4))
def test_allowed_functions_mean_what_duckdb_means(connection, chunk: int):
    arguments = [(), *((v,) for v in VALUES), *((a, b) for a in VALUES[:11] for b in VALUES[:11])]
    names = function_names()[chunk::4]
    expressions = [f"{name}({', '.join(args)})" for name in names for args in arguments]
    assert differences(connection, expressions) == []
