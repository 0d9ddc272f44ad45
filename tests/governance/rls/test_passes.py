"""SQL fixture pairs for each pass of the RLS compiler (``fixtures/<pass>.sql``).

Fixture format, in the spirit of sqlglot's ``tests/fixtures/optimizer/*.sql``: cases are
separated by blank lines; in a case, ``# key: value`` lines set options (``title`` names the
case; ``dialect`` defaults to duckdb; ``table`` is the policy's table in render_predicates;
``policy`` adds a ``<table>: <predicate>`` policy to the reader in check_policy_columns;
``reader`` is ``restricted`` (default) or ``unrestricted``), then come exactly two lines: the
input and the expected output. The expected output is SQL, or ``REFUSED: <message>`` when the
pass must refuse (followed by ``[<detail>]`` when the refusal carries audit-only detail;
``INVALID: <message>`` for a predicate). ``generate.sql`` runs the whole
compiler; ``verify_output.sql`` takes the tree a compiler could have built, written as SQL;
``round_trip.sql`` runs the whole compiler and checks its SQL parses back to the tree it built
(see ``test_round_trip``). ``test_every_pass_of_the_compiler_has_fixtures`` iterates the
compiler's own ``PASSES``.

Every pass is run after the passes it depends on (parsing, at least). For resolve_tables the
output lists the tenant tables it marked, as ``<sql>  -- tables: a, b``.
"""

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from governance.rls.compiler import PASSES, compile_query
from governance.rls.context import PolicyRule, QueryRefused, Reader
from governance.rls.passes.apply_policies import apply_policies
from governance.rls.passes.canonicalize import canonicalize
from governance.rls.passes.check_constructs import check_constructs
from governance.rls.passes.check_functions import check_functions
from governance.rls.passes.check_policy_columns import check_policy_columns
from governance.rls.passes.check_size import check_size
from governance.rls.passes.check_types import check_types
from governance.rls.passes.generate import generate
from governance.rls.passes.name_expression_columns import name_expression_columns
from governance.rls.passes.parse_one_statement import parse_one_statement
from governance.rls.passes.refuse_unsafe_sources import refuse_unsafe_sources
from governance.rls.passes.refuse_writes import refuse_writes
from governance.rls.passes.render_predicates import InvalidPredicate, parse_predicate, render_policy
from governance.rls.passes.resolve_tables import RLS_TABLE, resolve_tables
from governance.rls.passes.verify_output import verify_output
from governance.rls.trees import first_difference

FIXTURES = Path(__file__).parent / "fixtures"
TABLES = ("orders", "customers", "invoices")
COLUMNS = {
    "orders": ("id", "owner", "region", "amount"),
    "customers": ("id", "email"),
    "invoices": ("id", "total"),
}
READER = Reader(
    tenant_schema="acme",
    user_id="u1",
    email="ana@acme.io",
    attributes={
        "region": ("eu",),
        "regions": ("eu", "us"),
        "empty": (),
        "quote": ("x' OR '1'='1",),
    },
    policies=(
        PolicyRule("own_orders", "orders", "owner = {{ user.id }}"),
        PolicyRule("regional_orders", "orders", "region IN {{ user.attr.regions }}"),
        PolicyRule("my_customers", "customers", "email = {{ user.email }}"),
    ),
)
UNRESTRICTED = Reader(tenant_schema="acme", user_id="o1", email="owner@acme.io", unrestricted=True)


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    options: dict[str, str]
    given: str
    expected: str

    @property
    def dialect(self) -> str:
        return self.options.get("dialect", "duckdb")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.options.get('title', self.given)}"


def read_cases(name: str) -> Iterator[Case]:
    text = (FIXTURES / f"{name}.sql").read_text()
    line_number = 0
    for block in text.split("\n\n"):
        lines = block.strip("\n").splitlines()
        start = line_number + 1 + (len(block) - len(block.lstrip("\n")))
        line_number += block.count("\n") + 2
        options, body = {}, []
        for line in lines:
            if line.startswith("#"):
                key, _, value = line.lstrip("# ").partition(":")
                options[key.strip()] = value.strip()
            elif line.strip():
                body.append(line)
        if not body:
            continue
        assert len(body) == 2, f"{name}.sql:{start}: a case is one input and one output line"
        yield Case(name, start, options, body[0], body[1])


def _parsed(case: Case) -> exp.Expr:
    return parse_one_statement(case.given, case.dialect)


def _tables(expression: exp.Expr) -> list[str]:
    found = [t.meta[RLS_TABLE] for t in expression.find_all(exp.Table) if t.meta_get(RLS_TABLE)]
    return list(dict.fromkeys(found))


def run_parse_one_statement(case: Case) -> str:
    return generate(_parsed(case), case.dialect)


def run_check_size(case: Case) -> str:
    return generate(check_size(_parsed(case)), case.dialect)


def run_refuse_writes(case: Case) -> str:
    return generate(refuse_writes(_parsed(case)), case.dialect)


def run_refuse_unsafe_sources(case: Case) -> str:
    expression = refuse_unsafe_sources(_parsed(case), case.given, case.dialect)
    return generate(expression, case.dialect)


def run_check_functions(case: Case) -> str:
    return generate(check_functions(_parsed(case), case.dialect), case.dialect)


def run_check_types(case: Case) -> str:
    return generate(check_types(_parsed(case), case.dialect), case.dialect)


def run_check_constructs(case: Case) -> str:
    return generate(check_constructs(_parsed(case)), case.dialect)


def run_canonicalize(case: Case) -> str:
    unchecked = Dialect.get_or_raise(case.dialect).parse(case.given)[0]
    return generate(canonicalize(unchecked, case.dialect), case.dialect)


def run_name_expression_columns(case: Case) -> str:
    return generate(name_expression_columns(_parsed(case), case.dialect), case.dialect)


def run_resolve_tables(case: Case) -> str:
    expression = resolve_tables(_parsed(case), case.dialect, "acme", TABLES)
    tables = _tables(expression)
    sql = generate(expression, case.dialect)
    return f"{sql}  -- tables: {', '.join(tables)}" if tables else sql


def run_render_predicates(case: Case) -> str:
    table = case.options.get("table", "orders")
    try:
        parse_predicate(case.given, table, case.dialect)
    except InvalidPredicate as error:
        return f"INVALID: {error}"
    rule = PolicyRule("fixture", table, case.given)
    return generate(render_policy(rule, table, READER, case.dialect), case.dialect)


def _reader(case: Case) -> Reader:
    return UNRESTRICTED if case.options.get("reader") == "unrestricted" else READER


def run_apply_policies(case: Case) -> str:
    reader = _reader(case)
    expression = resolve_tables(_parsed(case), case.dialect, reader.tenant_schema, TABLES)
    return generate(apply_policies(expression, reader, case.dialect), case.dialect)


def run_generate(case: Case) -> str:
    return compile_query(case.given, case.dialect, _reader(case), TABLES).sql


def run_round_trip(case: Case) -> str:
    compiled = compile_query(case.given, case.dialect, _reader(case), TABLES)
    read_back = Dialect.get_or_raise(case.dialect).parse(compiled.sql)
    assert len(read_back) == 1 and first_difference(compiled.tree, read_back[0]) is None
    return compiled.sql


def run_verify_output(case: Case) -> str:
    compiled = Dialect.get_or_raise(case.dialect).parse(case.given)[0]  # as the compiler built it
    return verify_output(compiled, case.dialect, _reader(case), TABLES).sql


def run_check_policy_columns(case: Case) -> str:
    """``# policy: <table>: <predicate>`` adds a policy to the reader; the tables' columns are
    ``COLUMNS``."""
    reader = _reader(case)
    if "policy" in case.options:
        table, _, predicate = case.options["policy"].partition(":")
        added = PolicyRule("fixture", table.strip(), predicate.strip())
        reader = dataclasses.replace(reader, policies=(*reader.policies, added))
    return generate(check_policy_columns(_parsed(case), reader, COLUMNS, case.dialect), "duckdb")


RUNNERS: dict[str, Callable[[Case], str]] = {
    "parse_one_statement": run_parse_one_statement,
    "check_size": run_check_size,
    "check_policy_columns": run_check_policy_columns,
    "refuse_writes": run_refuse_writes,
    "refuse_unsafe_sources": run_refuse_unsafe_sources,
    "check_functions": run_check_functions,
    "check_types": run_check_types,
    "check_constructs": run_check_constructs,
    "canonicalize": run_canonicalize,
    "name_expression_columns": run_name_expression_columns,
    "resolve_tables": run_resolve_tables,
    "render_predicates": run_render_predicates,
    "apply_policies": run_apply_policies,
    "generate": run_generate,
    "verify_output": run_verify_output,
    "round_trip": run_round_trip,
}

CASES = [case for name in RUNNERS for case in read_cases(name)]


def outcome(case: Case) -> str:
    try:
        return RUNNERS[case.file](case)
    except QueryRefused as refusal:
        return f"REFUSED: {refusal}" + (f" [{refusal.detail}]" if refusal.detail else "")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture(case: Case) -> None:
    assert outcome(case) == case.expected


def test_every_pass_of_the_compiler_has_fixtures() -> None:
    for rule in PASSES:
        assert any(case.file == rule.__name__ for case in CASES), rule.__name__
