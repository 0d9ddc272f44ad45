"""``atspark backup run|list|verify`` and ``atspark restore`` as an operator runs them."""

import json

from services import tenants
from tests.app.test_cli import run
from tests.fixtures.platform import tenant_with_deals


def test_back_up_list_verify_and_restore_into_a_new_tenant(operator, settings):
    tenant_with_deals(operator)
    done = run("backup", "run", "acme")
    assert done.returncode == 0 and "acme: 2 snapshots backed up" in done.stdout, done.stderr
    listed = json.loads(run("backup", "list", "acme", "--format", "json").stdout)
    assert len(listed["moments"]) == 2 and listed["newest"] == listed["moments"][-1]
    verified = run("backup", "verify", "acme")
    assert verified.returncode == 0 and "4 backup objects verified" in verified.stdout
    restored = run("restore", "acme", "--at", "-0s", "--into", "acme_copy")
    assert restored.returncode == 0, restored.stderr
    copy = tenants.get_tenant(operator, "acme_copy")
    with operator.platform.warehouse(copy.id, "acme_copy").read() as connection:
        assert connection.execute("SELECT count(*) FROM acme_copy.deals").fetchone() == (5,)


def test_a_damaged_object_fails_verify_with_one_line_naming_it(operator, settings):
    tenant_with_deals(operator)
    run("backup", "run", "acme")
    snapshot = sorted((settings.home / "backups").rglob("snapshots/*"))[-1]
    snapshot.write_bytes(snapshot.read_bytes()[:-10])
    verified = run("backup", "verify", "acme")
    assert verified.returncode == 1
    assert verified.stderr.count("\n") == 1 and snapshot.name in verified.stderr


def test_restoring_in_place_asks_for_yes(operator, settings):
    tenant_with_deals(operator)
    run("backup", "run", "acme")
    refused = run("restore", "acme", "--at", "-0s")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert run("restore", "acme", "--at", "-0s", "--yes").returncode == 0
    bad = run("restore", "acme", "--at", "last tuesday", "--yes")
    assert bad.returncode == 1 and "--at expects" in bad.stderr
