"""Backups and restore attacked from outside: someone who can write to the backup target, a
tenant admin, a careless operator. A test that fails names a hole still open."""

import contextlib
import random
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from governance.backups.manifest import open_manifest
from governance.crypto.purposes import PURPOSE_BACKUPS
from governance.errors import AtsparkError, DecryptionError, NotFoundError
from governance.platform import Platform
from governance.store.models import DataKey
from services import audit, backups, connections, identity, tenants
from services.context import Operator, ServiceContext
from services.queries import run_query
from tests.app.test_cli import run
from tests.fixtures.platform import acting_as, dispose, tenant_with_deals

TEXT_CANARY = "CANARY-text-5d1a"
NUMBER_CANARY = 918_273_645_546_372
EMAIL_CANARY = "canary.user@acme.io"
SECRET_CANARY = "sk_test_CANARYSECRET42"
CANARIES = (
    TEXT_CANARY.encode(),
    str(NUMBER_CANARY).encode(),
    NUMBER_CANARY.to_bytes(8, "little"),
    NUMBER_CANARY.to_bytes(8, "big"),
    EMAIL_CANARY.encode(),
    SECRET_CANARY.encode(),
)
IDS = "SELECT id FROM deals ORDER BY id"


def write(ctx: ServiceContext, slug: str, sql: str) -> None:
    tenant = tenants.get_tenant(ctx, slug)
    with ctx.platform.warehouse(tenant.id, slug).write() as connection:
        connection.execute(sql)


@pytest.fixture
def acme(operator: ServiceContext) -> ServiceContext:
    """acme in three published snapshots, holding every canary, backed up."""
    tenant_with_deals(operator)
    canary_table = f"SELECT '{TEXT_CANARY}' AS t, {NUMBER_CANARY}::BIGINT AS n"
    write(operator, "acme", f"CREATE TABLE acme.canary AS {canary_table}")
    identity.add_user(operator, "acme", EMAIL_CANARY, ["owner"])
    connections.add_connection(operator, "acme", "stripe", {}, {"api_key": SECRET_CANARY})
    backups.backup(operator, "acme")
    return operator


def folder(ctx: ServiceContext, slug: str) -> Path:
    return ctx.platform.settings.home / "backups" / tenants.get_tenant(ctx, slug).id


def stored(ctx: ServiceContext, slug: str, kind: str) -> list[Path]:
    """The tenant's backup files of one kind (snapshots, control-plane, manifests), oldest first."""
    return sorted((folder(ctx, slug) / kind).iterdir())


def slugs(ctx: ServiceContext) -> list[str]:
    return [t.slug for t in tenants.list_tenants(ctx)]


def ids(ctx: ServiceContext, tenant: str, who: str) -> list[tuple]:
    return run_query(acting_as(ctx, who), tenant, IDS).rows


def refused_everywhere(ctx: ServiceContext, slug: str) -> None:
    """verify and a restore of the newest moment both refuse; nothing was created."""
    with pytest.raises(AtsparkError):  # a DecryptionError, or a path refused before reading
        backups.verify(ctx, slug)
    with pytest.raises(AtsparkError):
        backups.restore(ctx, slug, datetime.now(UTC), into="from_attack")
    assert "from_attack" not in slugs(ctx)


# --- attacks that are stopped -------------------------------------------------------------


def test_no_canary_value_is_in_any_backup_object(acme):
    files = [p for p in (acme.platform.settings.home / "backups").rglob("*") if p.is_file()]
    assert len(files) == 9
    assert [c for c in CANARIES for p in files if c in p.read_bytes()] == []


def test_another_tenants_objects_under_the_same_names_are_refused(acme):
    tenant_with_deals(acme, "beta")
    backups.backup(acme, "beta")
    for kind in ("snapshots", "control-plane", "manifests"):
        theirs = stored(acme, "acme", kind)  # acme has more backups than beta
        for index, ours in enumerate(stored(acme, "beta", kind)):
            shutil.copyfile(theirs[index], ours)  # acme's objects under beta's names
    refused_everywhere(acme, "beta")


def test_an_older_backup_replayed_under_the_newest_name_is_refused(acme):
    for kind in ("snapshots", "control-plane", "manifests"):
        older, newest = stored(acme, "acme", kind)[-2:]
        shutil.copyfile(older, newest)
    refused_everywhere(acme, "acme")


def test_a_symlinked_object_pointing_outside_is_refused(acme, tmp_path):
    outside = tmp_path / "outside"
    outside.write_bytes(b"not a backup")
    newest = stored(acme, "acme", "snapshots")[-1]
    newest.unlink()
    newest.symlink_to(outside)
    refused_everywhere(acme, "acme")


def test_a_shredded_tenants_backups_can_be_neither_read_nor_restored(acme):
    tenant_id = tenants.get_tenant(acme, "acme").id
    target = acme.platform.settings.home / "backups" / tenant_id
    tenants.delete_tenant(acme, "acme")
    with pytest.raises(DecryptionError):
        acme.platform.keys.data_key(tenant_id, PURPOSE_BACKUPS)
    for call in (backups.verify, backups.restorable, backups.prune):
        with pytest.raises(NotFoundError):
            call(acme, "acme")
    with pytest.raises(NotFoundError):
        backups.restore(acme, "acme", datetime.now(UTC), into="acme_back")
    files = [p.read_bytes() for p in target.rglob("*") if p.is_file()]
    assert files and not any(c in data for c in CANARIES for data in files)


@pytest.mark.parametrize("into", ["beta", "acme", "../evil", "Not Valid"])
def test_restore_into_an_existing_or_invalid_tenant_is_refused_and_changes_nothing(acme, into):
    tenant_with_deals(acme, "beta")
    write(acme, "beta", "DELETE FROM beta.deals WHERE id > 1")
    before = slugs(acme)
    with pytest.raises(AtsparkError):
        backups.restore(acme, "acme", datetime.now(UTC), into=into)
    assert slugs(acme) == before
    with acme.platform.warehouse(tenants.get_tenant(acme, "beta").id, "beta").read() as db:
        assert db.execute("SELECT count(*) FROM beta.deals").fetchone() == (1,)


def test_moments_outside_the_backups_restore_the_newest_or_nothing(acme):
    far_future = datetime(9999, 1, 1, tzinfo=UTC)
    restored = backups.restore(acme, "acme", far_future, into="later")
    assert restored.published_at == backups.restorable(acme, "acme").newest
    with pytest.raises(NotFoundError):
        backups.restore(acme, "acme", datetime(1970, 1, 1, tzinfo=UTC), into="earlier")
    assert "earlier" not in slugs(acme)


def test_a_tenant_owner_can_do_nothing_with_backups(acme):
    owner = acting_as(acme, EMAIL_CANARY)
    for call in (
        lambda: backups.verify(owner, "acme"),
        lambda: backups.prune(owner, "acme"),
        lambda: backups.pending(owner),
        lambda: backups.check(owner, "acme", random.Random(1), timedelta(days=1)),
        lambda: backups.restore(owner, "acme", datetime.now(UTC), confirmed=True),
    ):
        with pytest.raises(AtsparkError):
            call()
    assert len(stored(acme, "acme", "manifests")) == 3


def test_restoring_in_place_is_audited_and_a_refused_restore_too(acme):
    backups.restore(acme, "acme", datetime.now(UTC), confirmed=True)
    stored(acme, "acme", "manifests")[-1].write_bytes(b"garbage")
    with pytest.raises(DecryptionError):
        backups.restore(acme, "acme", datetime.now(UTC), confirmed=True)
    events = audit.list_events(acme, "acme", action="backup.restore")
    assert [(e.outcome, e.context.get("into")) for e in events] == [
        ("ok", "acme"),
        ("failed", None),
    ]


# --- holes still open: these fail until they are closed -----------------------------------


@pytest.mark.parametrize("which", ["the newest", "one in the middle"])
def test_a_deleted_backup_is_detected(acme, which):
    """Rollback: the attacker deletes a whole backup (manifest and objects). The target alone
    cannot show it, so verify must compare with what the control plane knows was backed up."""
    index = -1 if which == "the newest" else 1
    for kind in ("snapshots", "control-plane", "manifests"):
        stored(acme, "acme", kind)[index].unlink()
    with pytest.raises(DecryptionError, match="missing"):
        backups.verify(acme, "acme")


@pytest.mark.parametrize("command", ["list", "verify", "run"])
def test_odd_names_in_the_target_fail_in_one_line_without_a_traceback(acme, settings, command):
    for odd in ("README.txt", "000000000002.bak"):
        (folder(acme, "acme") / "manifests" / odd).write_bytes(b"planted")
    done = run("backup", command, "acme")
    assert "Traceback" not in done.stderr and done.stderr.count("\n") <= 1, done.stderr[-200:]


def test_a_far_away_relative_moment_fails_in_one_line_without_a_traceback(acme, settings):
    done = run("restore", "acme", "--at", "-999999d", "--into", "ancient")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-200:]


def test_an_empty_into_does_not_restore_in_place_without_yes(acme, settings):
    write(acme, "acme", "DELETE FROM acme.deals")
    done = run("restore", "acme", "--at", "-0s", "--into", "")
    assert done.returncode != 0 and "--yes" in done.stderr, done.stdout
    assert ids(acme, "acme", EMAIL_CANARY) == []


class PausingTarget:
    """The real target, except that the first snapshot object put pauses its run until
    ``resume``: two backup runs interleave as two processes may."""

    def __init__(self, target, paused: threading.Event, resume: threading.Event) -> None:
        self.target, self.paused, self.resume = target, paused, resume

    def put(self, name: str, data: bytes, **lock) -> None:
        self.target.put(name, data, **lock)
        if "/snapshots/" in name and not self.paused.is_set():
            self.paused.set()
            self.resume.wait(30)

    def __getattr__(self, attribute: str):
        return getattr(self.target, attribute)


def test_two_backup_runs_at_once_leave_a_verifiable_backup(operator, settings, monkeypatch):
    tenant_with_deals(operator)
    paused, resume = threading.Event(), threading.Event()
    real = backups.target_from_url
    monkeypatch.setattr(
        backups, "target_from_url", lambda *a: PausingTarget(real(*a), paused, resume)
    )
    first = threading.Thread(target=backups.backup, args=(operator, "acme"))
    first.start()
    assert paused.wait(30)
    second = Platform(settings)
    try:
        backups.backup(ServiceContext(second, Operator("cron")), "acme")
    finally:
        resume.set()
        first.join(30)
        dispose(second)
    assert backups.verify(operator, "acme") == 4


def test_a_shredded_tenants_wrapped_keys_are_gone_from_the_platforms_files(acme):
    """Crypto-shred deletes the wrapped data keys, but SQLite keeps deleted rows in its WAL and
    free pages: with the master key (on the same host) the backups would open again."""
    tenant_id = tenants.get_tenant(acme, "acme").id
    mine = select(DataKey).where(DataKey.tenant_id == tenant_id, DataKey.purpose == PURPOSE_BACKUPS)
    with acme.platform.control_plane.session() as session:
        keys = [(k.wrapped_key, k.master_key_id) for k in session.scalars(mine)]
    manifest = stored(acme, "acme", "manifests")[0].read_bytes()
    tenants.delete_tenant(acme, "acme")
    home = acme.platform.settings.home
    files = [p for p in home.rglob("*") if p.is_file() and "backups" not in p.parts]
    reopened = []
    for wrapped, master_key_id in keys:
        for path in (p for p in files if wrapped in p.read_bytes()):
            context = {"tenant": tenant_id, "purpose": PURPOSE_BACKUPS}
            key = acme.platform.keys.key_manager.unwrap(wrapped, master_key_id, context)
            open_manifest(key, manifest, tenant_id=tenant_id, sequence=1)
            reopened.append(path.name)
    assert reopened == []


def test_a_symlinked_folder_does_not_lead_backups_out_of_the_target(operator, tmp_path):
    tenant = tenant_with_deals(operator)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    tenant_folder = operator.platform.settings.home / "backups" / tenant.id
    tenant_folder.mkdir(parents=True)
    (tenant_folder / "control-plane").symlink_to(outside)
    with contextlib.suppress(AtsparkError):  # refusing is fine; writing outside is not
        backups.backup(operator, "acme")
    assert list(outside.iterdir()) == []
