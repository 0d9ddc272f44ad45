"""The governed read path: policy semantics, execution limits, audit and cache isolation."""

import pytest

from governance import audit, identity, policies, tenancy
from governance.governed_query import GovernedReads, QueryFailed
from governance.result_cache import ResultCache
from governance.rls.context import QueryRefused

DEALS = [
    (1, "emea", "ana@acme.io", 100),
    (2, "emea", "bob@acme.io", 200),
    (3, "apac", "ana@acme.io", 300),
    (4, "us", "cy@acme.io", 400),
    (5, "x' OR '1'='1", "cy@acme.io", 500),
]


def _create_tenant(platform, slug):
    tenant = tenancy.create_tenant(platform, slug)
    with platform.warehouse(tenant.id, slug).write() as connection:
        connection.execute(
            f"CREATE TABLE {slug}.deals (id INT, region VARCHAR, owner VARCHAR, amount INT)"
        )
        connection.executemany(f"INSERT INTO {slug}.deals VALUES (?, ?, ?, ?)", DEALS)
        connection.execute(f"CREATE TABLE {slug}.notes AS SELECT 1 AS id, 'secret' AS body")
    identity.add_group(platform, slug, "sales")
    identity.add_role(platform, slug, "analyst", ["data.read"])
    return tenant


@pytest.fixture
def acme(platform):
    tenant = _create_tenant(platform, "acme")
    policies.add_policy(
        platform, "acme", "own_deals", "deals", "owner = {{ user.email }}", ["viewer"]
    )
    policies.add_policy(
        platform,
        "acme",
        "region_deals",
        "deals",
        "region IN ({{ user.attr.region }})",
        [],
        ["sales"],
    )
    platform.acme_id = tenant.id
    return platform


def ids(platform, email, sql="SELECT id FROM deals ORDER BY id", **kwargs):
    result = GovernedReads(platform).run("acme", email, sql, **kwargs)
    return [row[0] for row in result.rows]


def test_owner_and_admin_read_every_row(acme):
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    identity.add_user(acme, "acme", "it@acme.io", ["admin"])
    assert ids(acme, "boss@acme.io") == ids(acme, "it@acme.io") == [1, 2, 3, 4, 5]


def test_policies_of_roles_and_groups_or_together(acme):
    identity.add_user(acme, "acme", "ana@acme.io", ["viewer"], ["sales"], {"region": ["us"]})
    assert ids(acme, "ana@acme.io") == [1, 3, 4]


def test_a_multi_valued_attribute_is_a_list(acme):
    identity.add_user(
        acme, "acme", "zed@acme.io", ["analyst"], ["sales"], {"region": ["emea", "apac"]}
    )
    assert ids(acme, "zed@acme.io") == [1, 2, 3]


def test_a_missing_attribute_admits_nothing_and_is_not_an_error(acme):
    identity.add_user(acme, "acme", "zed@acme.io", ["analyst"], ["sales"])
    assert ids(acme, "zed@acme.io") == []


def test_a_table_without_a_granted_policy_gives_no_rows(acme):
    identity.add_user(acme, "acme", "ana@acme.io", ["viewer"])
    assert ids(acme, "ana@acme.io", "SELECT id FROM notes") == []
    identity.add_user(acme, "acme", "new@acme.io", ["analyst"])
    assert ids(acme, "new@acme.io") == []


def test_attribute_values_are_literals_not_sql(acme):
    identity.add_user(
        acme, "acme", "eve@acme.io", ["analyst"], ["sales"], {"region": ["x' OR '1'='1"]}
    )
    assert ids(acme, "eve@acme.io") == [5]


def test_a_refused_query_is_audited_and_runs_nothing(acme):
    identity.add_user(acme, "acme", "ana@acme.io", ["viewer"])
    with pytest.raises(QueryRefused):
        GovernedReads(acme).run("acme", "ana@acme.io", "DELETE FROM deals")
    [event] = audit.events(acme, acme.acme_id)
    assert (event.actor, event.action, event.outcome) == ("ana@acme.io", "query", "refused")
    assert event.context["sql"] == "DELETE FROM deals"
    assert ids(acme, "ana@acme.io") == [1, 3]


def test_every_query_is_audited_with_what_ran(acme):
    identity.add_user(acme, "acme", "ana@acme.io", ["viewer"])
    ids(acme, "ana@acme.io")
    [event] = audit.events(acme, acme.acme_id)
    assert event.outcome == "ok" and event.context["row_count"] == 2
    assert event.context["policies"] == ["own_deals"] and event.context["tables"] == ["deals"]
    assert "ana@acme.io" in event.context["sql_executed"]
    assert event.context["duration_ms"] >= 0
    assert audit.verify_chain(acme, acme.acme_id) is None


def test_the_cache_never_serves_one_users_rows_to_another(acme):
    identity.add_user(acme, "acme", "ana@acme.io", ["viewer"])
    identity.add_user(acme, "acme", "bob@acme.io", ["viewer"])
    reads = GovernedReads(acme, ResultCache())
    sql = "SELECT id FROM deals ORDER BY id"
    assert [r[0] for r in reads.run("acme", "ana@acme.io", sql).rows] == [1, 3]
    assert [r[0] for r in reads.run("acme", "bob@acme.io", sql).rows] == [2]
    identity.set_user(acme, "acme", "bob@acme.io", groups=["sales"], attributes={"region": ["us"]})
    assert [r[0] for r in reads.run("acme", "bob@acme.io", sql).rows] == [2, 4]


def test_no_user_reads_another_tenants_warehouse(acme):
    _create_tenant(acme, "globex")
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    for sql in ("SELECT * FROM globex.deals", "SELECT * FROM warehouse.globex.deals"):
        with pytest.raises(QueryRefused, match="unknown table"):
            GovernedReads(acme).run("acme", "boss@acme.io", sql)
    with pytest.raises(Exception, match="no user"):
        GovernedReads(acme).run("globex", "boss@acme.io", "SELECT 1")


def test_the_row_cap_truncates(acme):
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    result = GovernedReads(acme).run("acme", "boss@acme.io", "SELECT id FROM deals", row_cap=2)
    assert result.row_count == 2 and result.truncated


def test_a_statement_over_its_time_limit_is_interrupted(acme):
    identity.add_user(acme, "acme", "boss@acme.io", ["owner"])
    slow = (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000)"
        " SELECT count(*) FROM r"
    )
    with pytest.raises(QueryFailed, match="time limit"):
        GovernedReads(acme).run("acme", "boss@acme.io", slow, timeout_s=0.5)
