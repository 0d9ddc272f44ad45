"""Backups: sealed, authenticated, verified by decrypting, restorable to any moment they cover."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from governance.errors import AtsparkError, DecryptionError, NotFoundError
from governance.platform import Platform
from services import backups, identity, policies, tenants
from services.context import Operator, ServiceContext
from services.queries import run_query
from tests.fixtures.platform import acting_as, dispose

CANARY = "CANARY-backup-7c1e"
DEALS = "SELECT id, region, amount FROM deals ORDER BY id"


def write(operator: ServiceContext, sql: str) -> None:
    tenant = tenants.get_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").write() as connection:
        connection.execute(sql)


@pytest.fixture
def acme(operator):
    """acme in three published versions, with a restricted user and a policy."""
    tenants.create_tenant(operator, "acme")
    write(operator, "CREATE TABLE acme.deals (id INT, region TEXT, amount INT)")
    write(
        operator,
        f"INSERT INTO acme.deals VALUES (1, 'emea', 10), (2, 'us', 20), (3, '{CANARY}', 5)",
    )
    write(operator, "UPDATE acme.deals SET amount = amount * 100")
    identity.add_user(operator, "acme", "ana@acme.io", ["owner"])
    identity.add_user(operator, "acme", "vi@acme.io", ["viewer"])
    policies.add_policy(operator, "acme", "emea_only", "deals", "region = 'emea'", ["viewer"])
    return operator


def history(operator: ServiceContext):
    tenant = tenants.get_tenant(operator, "acme")
    return operator.platform.warehouse(tenant.id, "acme").snapshots.history()


def rows(operator: ServiceContext, tenant: str, who: str, sql: str = DEALS):
    return run_query(acting_as(operator, who), tenant, sql).rows


def backup_files(operator: ServiceContext) -> list[Path]:
    return sorted(
        p for p in (operator.platform.settings.home / "backups").rglob("*") if p.is_file()
    )


def test_every_published_snapshot_is_backed_up_once(acme):
    [first] = backups.backup(acme, "acme")
    assert first.snapshots == len(history(acme)) == 4 and first.bytes_written > 0
    assert backups.backup(acme, "acme")[0].snapshots == 0
    write(acme, "DELETE FROM acme.deals WHERE id = 2")
    assert backups.backup(acme, "acme")[0].snapshots == 1
    found = backups.restorable(acme, "acme")
    assert found.moments == [s.published_at for s in history(acme)]


def test_a_restore_answers_every_query_as_the_original_did_at_that_moment(acme):
    backups.backup(acme, "acme")
    before_update = history(acme)[2]  # after the insert, before amounts were multiplied
    between = before_update.published_at + timedelta(microseconds=1)
    backups.restore(acme, "acme", between, into="acme_then")
    assert rows(acme, "acme_then", "ana@acme.io") == [
        (1, "emea", 10),
        (2, "us", 20),
        (3, CANARY, 5),
    ]
    assert rows(acme, "acme_then", "vi@acme.io") == [(1, "emea", 10)]  # the policy came back
    exactly = history(acme)[3].published_at
    backups.restore(acme, "acme", exactly, into="acme_now")
    assert rows(acme, "acme_now", "ana@acme.io") == rows(acme, "acme", "ana@acme.io")


def test_a_moment_before_every_backup_is_refused(acme):
    backups.backup(acme, "acme")
    with pytest.raises(NotFoundError, match="no backup covers"):
        backups.restore(acme, "acme", history(acme)[0].published_at - timedelta(seconds=1), "old")


def test_restoring_in_place_needs_confirmation_and_brings_the_data_back(acme):
    backups.backup(acme, "acme")
    moment = history(acme)[2].published_at
    with pytest.raises(AtsparkError, match="--yes"):
        backups.restore(acme, "acme", moment)
    assert rows(acme, "acme", "ana@acme.io")[0] == (1, "emea", 1000)
    backups.restore(acme, "acme", moment, confirmed=True)
    assert rows(acme, "acme", "ana@acme.io")[0] == (1, "emea", 10)


def test_no_plaintext_value_is_in_any_backup_object(acme):
    backups.backup(acme, "acme")
    files = backup_files(acme)
    assert files and not any(CANARY.encode() in p.read_bytes() for p in files)
    assert not any(b"ana@acme.io" in p.read_bytes() for p in files)


def test_verify_checks_every_object(acme):
    backups.backup(acme, "acme")
    assert backups.verify(acme, "acme") == 2 * len(history(acme))


def _one(files: list[Path], folder: str, index: int = -1) -> Path:
    return [p for p in files if p.parent.name == folder][index]


@pytest.mark.parametrize(
    "damage",
    ["flip a byte", "truncate", "delete", "replace with another backup's", "swap manifests"],
)
def test_a_damaged_backup_object_is_named_and_never_restored(acme, damage):
    backups.backup(acme, "acme")
    files = backup_files(acme)
    snapshot, older = _one(files, "snapshots"), _one(files, "snapshots", -2)
    if damage == "flip a byte":
        data = bytearray(snapshot.read_bytes())
        data[len(data) // 2] ^= 1
        snapshot.write_bytes(bytes(data))
    elif damage == "truncate":
        snapshot.write_bytes(snapshot.read_bytes()[:-100])
    elif damage == "delete":
        snapshot.unlink()
    elif damage == "replace with another backup's":
        snapshot.write_bytes(older.read_bytes())
    else:
        manifest, other = _one(files, "manifests"), _one(files, "manifests", -2)
        manifest.write_bytes(other.read_bytes())
    with pytest.raises(DecryptionError):
        backups.verify(acme, "acme")
    with pytest.raises(DecryptionError):
        backups.restore(acme, "acme", history(acme)[-1].published_at, into="from_damage")
    assert "from_damage" not in [t.slug for t in tenants.list_tenants(acme)]


def test_backups_go_to_s3_when_configured(acme, aws_env, moto_endpoint):
    import boto3

    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket="atspark-backups"
    )
    settings = replace(
        acme.platform.settings,
        backup_url="s3://atspark-backups/prod",
        aws_endpoint_url=moto_endpoint,
    )
    platform = Platform(settings)
    try:
        s3 = ServiceContext(platform, Operator("test"))
        assert backups.backup(s3, "acme")[0].snapshots == 4
        assert backups.verify(s3, "acme") == 8
    finally:
        dispose(platform)


def test_only_the_operator_backs_up_and_restores(acme):
    owner = acting_as(acme, "ana@acme.io")
    for call in (
        lambda: backups.backup(owner, "acme"),
        lambda: backups.restorable(owner, "acme"),
        lambda: backups.restore(owner, "acme", history(acme)[-1].published_at, into="x"),
    ):
        with pytest.raises(AtsparkError):
            call()


def test_prune_keeps_every_second_of_the_window_restorable(acme):
    backups.backup(acme, "acme")
    snapshots = history(acme)
    # the window starts between the 2nd and 3rd publishes: the 2nd is current at its start
    start = snapshots[1].published_at + (snapshots[2].published_at - snapshots[1].published_at) / 2
    tenants.set_tenant(acme, "acme", backup_retention_days=1)
    [pruned] = backups.prune(acme, "acme", now=start + timedelta(days=1))
    assert (pruned.backups, pruned.snapshots) == (1, 1)
    assert backups.restorable(acme, "acme").moments == [s.published_at for s in snapshots[1:]]
    assert history(acme) == snapshots[1:]
    backups.restore(acme, "acme", start, into="at_start")  # the start itself: the 2nd snapshot
    assert rows(acme, "at_start", "ana@acme.io") == []
    with pytest.raises(NotFoundError):
        backups.restore(acme, "acme", snapshots[1].published_at - timedelta(seconds=1), "gone")
    assert backups.verify(acme, "acme") == 2 * 3


@pytest.mark.parametrize("days", [0, 31, -1])
def test_retention_is_one_to_thirty_days(acme, days):
    with pytest.raises(AtsparkError, match="1 to 30 days"):
        tenants.set_tenant(acme, "acme", backup_retention_days=days)
