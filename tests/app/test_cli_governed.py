"""``atspark user/group/role/policy/sql`` as people run them."""

import json

import pytest

from services import tenants
from tests.app.test_cli import run
from tests.fixtures.platform import DEALS


def test_identity_commands_and_a_governed_query_as_json(acme):
    assert run("group", "add", "acme", "sales").returncode == 0
    assert run("role", "add", "acme", "analyst", "--permission", "data.read").returncode == 0
    added = run(
        "user",
        "add",
        "acme",
        "ana@acme.io",
        "--role",
        "analyst",
        "--group",
        "sales",
        "--attr",
        "region=emea",
        "--attr",
        "region=us",
    )
    assert added.returncode == 0, added.stderr
    [user] = json.loads(run("user", "list", "acme", "--format", "json").stdout)
    assert user["attributes"] == {"region": ["emea", "us"]} and user["groups"] == ["sales"]
    policy = run(
        "policy",
        "add",
        "acme",
        "by_region",
        "--table",
        "deals",
        "--filter",
        "region IN ({{ user.attr.region }})",
        "--group",
        "sales",
    )
    assert policy.returncode == 0, policy.stderr
    [listed] = json.loads(run("policy", "list", "acme", "--format", "json").stdout)
    assert listed["table"] == "deals" and listed["groups"] == ["sales"]

    result = run(
        "sql",
        "acme",
        "--as",
        "ana@acme.io",
        "--format",
        "json",
        "SELECT id, amount FROM deals ORDER BY id",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "columns": ["id", "amount"],
        "rows": [[1, 100], [2, 200], [4, 400]],
        "row_count": 3,
    }
    csv_out = run("sql", "acme", "--as", "ana@acme.io", "--format", "csv", "SELECT id FROM deals")
    assert csv_out.stdout.split() == ["id", "1", "2", "4"]


@pytest.mark.parametrize(
    "sql", ["DROP TABLE deals", "SELECT 1; SELECT 2", "SELECT * FROM read_csv('/etc/passwd')"]
)
def test_a_refused_query_exits_2_with_one_line(acme, sql):
    run("user", "add", "acme", "boss@acme.io", "--role", "owner")
    result = run("sql", "acme", "--as", "boss@acme.io", "--format", "json", sql)
    assert result.returncode == 2
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    still = run(
        "sql", "acme", "--as", "boss@acme.io", "--format", "json", "SELECT count(*) FROM deals"
    )
    assert json.loads(still.stdout)["rows"] == [[len(DEALS)]]


def test_policy_add_refuses_bad_input_without_a_trace(acme):
    result = run("policy", "add", "acme", "p", "--table", "deals", "--filter", "region = 'x'")
    assert result.returncode == 1 and "--role or --group" in result.stderr
    result = run(
        "policy", "add", "acme", "p", "--table", "deals", "--filter", "(", "--role", "viewer"
    )
    assert result.returncode == 1 and "invalid policy filter" in result.stderr
    assert json.loads(run("policy", "list", "acme", "--format", "json").stdout) == []


def test_the_reported_quoted_type_bypass_is_refused(operator):
    """The exact command from the report: exit 2, one line, nothing of hr_salaries."""
    tenant = tenants.create_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").write() as connection:
        connection.execute(
            "CREATE TABLE acme.hr_orders (id INT, region VARCHAR);"
            " INSERT INTO acme.hr_orders VALUES (1, 'EU'), (2, 'US');"
            " CREATE TABLE acme.hr_salaries AS SELECT 'alice' AS name, 987654 AS salary"
        )
    run("user", "add", "acme", "eu@x.test", "--role", "viewer")
    policy = ("--table", "hr_orders", "--filter", "region = 'EU'", "--role", "viewer")
    run("policy", "add", "acme", "eu", *policy)
    attack = (
        'SELECT CAST(1 AS "integral) AS a, (SELECT list(s) FROM (SELECT * FROM acme.hr_salaries'
        ' AS __rls WHERE TRUE) AS s) AS leaked, CAST(1 AS INT")'
    )
    result = run("sql", "acme", "--as", "eu@x.test", "--format", "json", attack)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: refused: a quoted name cannot be used here")
    assert "987654" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    allowed = run(
        "sql", "acme", "--as", "eu@x.test", "--format", "json", "SELECT id FROM hr_orders"
    )
    assert json.loads(allowed.stdout)["rows"] == [[1]]


def test_table_output_shows_data_as_text_never_as_markup(operator):
    """Found by an attacker: a value ``[/]`` crashed ``--format table`` (Rich markup), a
    ``[link=...]`` value became a hyperlink and escape sequences reached the terminal."""
    tenant = tenants.create_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").write() as connection:
        connection.execute(
            "CREATE TABLE acme.notes AS SELECT * FROM (VALUES ('[/]'), ('[link=http://evil.test]x[/link]'),"
            " (chr(27) || '[2J')) t(\"[bold]body\")"
        )
    run("user", "add", "acme", "boss@acme.io", "--role", "owner")
    result = run("sql", "acme", "--as", "boss@acme.io", "SELECT * FROM notes")
    assert result.returncode == 0, result.stderr
    assert "[/]" in result.stdout and "[link=http://evil.test]x[/link]" in result.stdout
    assert "[bold]body" in result.stdout and "\\x1b[2J" in result.stdout
    assert "\x1b" not in result.stdout and "Traceback" not in result.stderr


def test_a_role_without_data_read_is_refused_like_a_refused_query(acme, tmp_path):
    """Found in review: a custom role without ``data.read`` could run ``atspark sql``."""
    run("role", "add", "acme", "auditor", "--permission", "audit.read")
    run("user", "add", "acme", "aud@acme.io", "--role", "auditor")
    result = run("sql", "acme", "--as", "aud@acme.io", "--format", "json", "SELECT 1")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: refused: aud@acme.io may not run governed queries, dashboards and reports"
        " (needs permission data.read)"
    )
    trail = json.loads(
        run("audit", "list", "acme", "--as", "aud@acme.io", "--format", "json").stdout
    )
    [refusal] = [event for event in trail if event["action"] == "query"]
    assert (refusal["actor"], refusal["outcome"]) == ("aud@acme.io", "refused")


def test_exporting_a_result_to_a_file_needs_data_export(acme, tmp_path):
    run("user", "add", "acme", "viewer@acme.io", "--role", "viewer")
    run("user", "add", "acme", "member@acme.io", "--role", "member")
    target = tmp_path / "deals.csv"
    query = ("sql", "acme", "--format", "csv", "--output", str(target), "SELECT id FROM deals")
    refused = run(*query[:2], "--as", "viewer@acme.io", *query[2:])
    assert refused.returncode == 2 and "needs permission data.export" in refused.stderr
    assert not target.exists()
    exported = run(*query[:2], "--as", "member@acme.io", *query[2:])
    assert exported.returncode == 0, exported.stderr
    assert target.read_text().split() == ["id"]  # a member reads through policies: none granted


def test_the_audit_trail_is_listed_and_verified(acme):
    run("group", "add", "acme", "sales")
    listed = json.loads(run("audit", "list", "acme", "--format", "json").stdout)
    assert [e["action"] for e in listed] == ["tenant.create", "group.add"]
    assert listed[1]["actor"] == "operator:cli"
    verified = run("audit", "verify", "acme")
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_an_export_is_csv_or_json_by_the_files_name_or_as_asked(acme, tmp_path):
    run("user", "add", "acme", "boss@acme.io", "--role", "owner")
    sql = "SELECT id, region FROM deals WHERE id < 3 ORDER BY id"
    for name, extra in [("deals.csv", ()), ("deals.json", ()), ("deals.txt", ("--format", "json"))]:
        exported = run(
            "sql", "acme", "--as", "boss@acme.io", *extra, "--output", str(tmp_path / name), sql
        )
        assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "deals.csv").read_text().splitlines() == ["id,region", "1,emea", "2,emea"]
    for name in ("deals.json", "deals.txt"):
        assert json.loads((tmp_path / name).read_text())["rows"] == [[1, "emea"], [2, "emea"]]
    as_table = ("--format", "table", "--output", str(tmp_path / "deals.out"))
    refused = run("sql", "acme", "--as", "boss@acme.io", *as_table, sql)
    assert refused.returncode == 1 and "writes csv or json" in refused.stderr
    assert not (tmp_path / "deals.out").exists()


@pytest.mark.parametrize(
    "command", [("audit", "list", "acme", "--as", ""), ("sql", "acme", "--as", "", "SELECT 1")]
)
def test_an_empty_as_is_no_one_and_is_audited(acme, command):
    result = run(*command)
    assert result.returncode == 1 and result.stdout == ""
    assert "invalid email address" in result.stderr
    trail = json.loads(run("audit", "list", "acme", "--format", "json").stdout)
    attempt = [event for event in trail if event["actor"] == ""]
    assert [event["outcome"] for event in attempt] == ["failed"]
