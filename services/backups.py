"""Backups of each tenant: every published snapshot and the tenant's control-plane rows, sealed
under the tenant's own ``backups`` key, with an authenticated manifest; verified by decrypting
and re-counting; restored to any moment they cover.

A target (``ATSPARK_BACKUP_URL``: a directory, or S3 with versioning and Object Lock) holds,
per tenant id: ``snapshots/<sequence>`` (the snapshot file, already encrypted by DuckDB, sealed
again), ``control-plane/<sequence>`` (users, roles, groups, policies, connections with their
sealed secrets, wrapped keys) and ``manifests/<sequence>`` (times, sizes, checksums, and each
table's row count and checksum). A moment is restorable when a manifest covers it: the newest
snapshot published at or before it. Backing up, restoring and verifying are the operator's.
"""

import json
import os
import random
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from governance import audit
from governance.backups.control_plane import export_tenant, import_access
from governance.backups.manifest import (
    Manifest,
    ManifestEntry,
    open_manifest,
    seal_manifest,
    table_checksums,
)
from governance.backups.sealed import open_bytes, open_stream, seal_bytes, seal_stream
from governance.backups.targets import BackupTarget, target_from_url
from governance.crypto.purposes import PURPOSE_BACKUPS
from governance.errors import AtsparkError, DecryptionError, NotFoundError
from governance.platform import Platform
from governance.store.models import Tenant
from governance.warehouse.duckdb_files import (
    WAREHOUSE_CATALOG,
    attach_encrypted,
    identifier,
    new_connection,
    string_literal,
)
from governance.warehouse.snapshots import Snapshot
from services import tenants
from services.context import ServiceContext
from services.operations import Operation, operation, unit_of_work

SNAPSHOT, CONTROL_PLANE = "snapshot", "control-plane"
_MANIFEST_NAME = re.compile(r"\d{12}")
ORPHAN_AGE = timedelta(hours=1)
"""How old an object no manifest names must be before prune deletes it (a run may be writing)."""
RESTORED = "restored"
"""The alias a backed-up snapshot is attached under while it is copied."""


@dataclass(frozen=True)
class BackupRun:
    tenant: str
    snapshots: int
    """Snapshots backed up by this run (those backed up before are skipped)."""
    bytes_written: int


@dataclass(frozen=True)
class Pruned:
    tenant: str
    window_start: datetime
    backups: int
    """Backups (snapshot, rows and manifest) deleted: none a moment of the window needs."""
    snapshots: int
    """Published snapshots deleted from the warehouse, every one of them backed up first."""


@dataclass(frozen=True)
class Restorable:
    """The moments a tenant's backups can bring back: each published snapshot's time."""

    tenant: str
    moments: list[datetime]

    @property
    def oldest(self) -> datetime | None:
        return self.moments[0] if self.moments else None

    @property
    def newest(self) -> datetime | None:
        return self.moments[-1] if self.moments else None


def backup(ctx: ServiceContext, tenant: str | None = None) -> list[BackupRun]:
    """Back up every published snapshot not yet in the target, of one tenant or every one."""
    with unit_of_work(ctx, tenant) as work:
        work.require_operator()
        slugs = [tenant] if tenant else [t.slug for t in tenants.list_tenants(ctx)]
    return [_backup_tenant(ctx, slug) for slug in slugs]


def prune(
    ctx: ServiceContext, tenant: str | None = None, now: datetime | None = None
) -> list[Pruned]:
    """Keep each tenant's retention window (``tenant set --backup-retention-days``) restorable
    to the second and delete what no moment of it needs: backups, and the warehouse's own past
    snapshots once backed up. The snapshot current at the window's start is kept."""
    now = now or datetime.now(UTC)
    with unit_of_work(ctx, tenant) as work:
        work.require_operator()
        slugs = [tenant] if tenant else [t.slug for t in tenants.list_tenants(ctx)]
    return [_prune_tenant(ctx, slug, now) for slug in slugs]


def _prune_tenant(ctx: ServiceContext, slug: str, now: datetime) -> Pruned:
    _backup_tenant(ctx, slug)  # nothing leaves the warehouse before it is in a backup
    with operation(ctx, "backup.prune", slug) as op, _tenant_backups(ctx, slug, op) as found:
        row, key, target = found
        start = now - timedelta(days=row.backup_retention_days)
        manifests = sorted(
            (m for _, m in _manifests(target, row.id, key)), key=lambda m: m.published_at
        )
        needed = [m for m in manifests if m.published_at <= start][-1:]
        gone = [m for m in manifests if m.published_at < start and m not in needed]
        for manifest in gone:
            target.delete(_name(row.id, "manifests", manifest.sequence))  # first: the commit point
            for entry in manifest.objects:
                target.delete(entry.name)
        _delete_orphans(target, row.id, [m for m in manifests if m not in gone], now)
        removed = ctx.platform.warehouse(row.id, row.slug).snapshots.prune(start)
        op.note(
            window_start=start.isoformat(), backups=len(gone),
            deleted=[m.sequence for m in gone], snapshots=len(removed),
        )  # fmt: skip
        return Pruned(slug, start, len(gone), len(removed))


def pending(ctx: ServiceContext) -> list[tuple[str, int]]:
    """(tenant, snapshot) for each tenant whose current snapshot is not backed up yet."""
    with unit_of_work(ctx) as work:
        work.require_operator()
    waiting = []
    for tenant in tenants.list_tenants(ctx):
        current = ctx.platform.warehouse(tenant.id, tenant.slug).snapshots.current()
        with _tenant_backups(ctx, tenant.slug) as (row, _, target):
            done = _backed_up(target, row.id)
        if current is not None and current.sequence not in done:
            waiting.append((tenant.slug, current.sequence))
    return waiting


@dataclass(frozen=True)
class Check:
    """A scheduled check of one tenant's backups: what was restored and compared, and the
    problem found (None: every object decrypted and matched its manifest)."""

    tenant: str
    restored: list[int]
    problem: str | None


def check(ctx: ServiceContext, tenant: str, rng: random.Random, max_age: timedelta) -> Check:
    """Restore the newest backup and one random moment of the window into a scratch file and
    compare every table's rows and checksum with the manifest; stale when the current
    snapshot has waited longer than ``max_age`` for a backup. Audited ``backup.check``."""
    with operation(ctx, "backup.check", tenant) as op, _tenant_backups(ctx, tenant, op) as found:
        row, key, target = found
        try:
            manifests = [m for _, m in _manifests(target, row.id, key)]
            if not manifests:
                raise DecryptionError("no backup at all")
            picked = {manifests[-1].sequence: manifests[-1], **_random_one(manifests, rng)}
            for manifest in picked.values():
                with _opened(ctx.platform, row, key, target, manifest):
                    pass
            _check_fresh(ctx, row, manifests[-1], max_age)
        except DecryptionError as problem:
            op.note(restored=[], problem=str(problem))
            op.record_outcome("failed")
            return Check(tenant, [], str(problem))
        op.note(restored=sorted(picked))
        return Check(tenant, sorted(picked), None)


def _random_one(manifests: list[Manifest], rng: random.Random) -> dict[int, Manifest]:
    chosen = rng.choice(manifests)
    return {chosen.sequence: chosen}


def _check_fresh(ctx: ServiceContext, row: Tenant, newest: Manifest, max_age: timedelta) -> None:
    current = ctx.platform.warehouse(row.id, row.slug).snapshots.current()
    waiting = current is not None and current.sequence > newest.sequence
    if waiting and datetime.now(UTC) - current.published_at > max_age:
        raise DecryptionError(
            f"the newest backup is of snapshot {newest.sequence}: snapshot {current.sequence}, "
            f"published {current.published_at:%Y-%m-%d %H:%M} UTC, is not backed up"
        )


def restorable(ctx: ServiceContext, tenant: str) -> Restorable:
    """Every moment the tenant's backups cover, oldest first (each manifest authenticated)."""
    with _tenant_backups(ctx, tenant) as (row, key, target):
        manifests = [m for _, m in _manifests(target, row.id, key)]
    return Restorable(tenant, [m.published_at for m in manifests])


def verify(ctx: ServiceContext, tenant: str) -> int:
    """Decrypt every backup object of ``tenant`` and check it against its manifest (sizes,
    checksums, and each table's rows and checksum); the number checked. The first bad object
    raises a ``DecryptionError`` naming it."""
    with operation(ctx, "backup.verify", tenant) as op, _tenant_backups(ctx, tenant, op) as found:
        row, key, target = found
        _check_none_missing(ctx, row, target)
        checked = 0
        for _, manifest in _manifests(target, row.id, key):
            with _opened(ctx.platform, row, key, target, manifest):
                checked += len(manifest.objects)
        op.note(objects=checked)
        return checked


def restore(
    ctx: ServiceContext,
    tenant: str,
    at: datetime,
    into: str | None = None,
    confirmed: bool = False,
) -> Manifest:
    """Bring ``tenant`` back as it was at ``at``: into a new tenant ``into`` (its warehouse,
    roles, groups, users and policies), or in place (its warehouse; needs ``confirmed``)."""
    if into is not None and not into.strip():
        raise AtsparkError("--into is empty: name the new tenant, or restore in place with --yes")
    if into is None and not confirmed:
        raise AtsparkError("restoring in place replaces the tenant's data: confirm with --yes")
    with operation(ctx, "backup.restore", tenant) as op, _tenant_backups(ctx, tenant, op) as found:
        row, key, target = found
        _check_none_missing(ctx, row, target)
        manifest = _manifest_at(target, row.id, key, at)
        op.note(at=at.isoformat(), snapshot=manifest.sequence, into=into or tenant)
        with _opened(ctx.platform, row, key, target, manifest) as (snapshot_file, exported):
            destination = (row.id, row.slug) if into is None else _new_tenant(ctx, into, exported)
            _copy_warehouse(ctx.platform, row, snapshot_file, destination)
        return manifest


def _new_tenant(ctx: ServiceContext, slug: str, exported: dict) -> tuple[str, str]:
    """A new tenant with the exported roles, groups, users and policies."""
    created = tenants.create_tenant(ctx, slug)
    with unit_of_work(ctx, slug, writes=True) as work:
        import_access(work.session, work.tenant_row, exported)
    return created.id, created.slug


def _copy_warehouse(
    platform: Platform, source: Tenant, snapshot_file: Path, destination: tuple[str, str]
) -> None:
    """Publish the backed-up snapshot's tables as the destination's new snapshot, replacing
    what it holds (the destination's own key encrypts them)."""
    tenant_id, schema = destination
    key = platform.keys.warehouse_key(source.id)
    with platform.warehouse(tenant_id, schema).write() as connection:
        attach_encrypted(connection, snapshot_file, key, read_only=True, alias=RESTORED)
        for (table,) in _tables(connection, WAREHOUSE_CATALOG, schema):
            connection.execute(f"DROP TABLE {identifier(schema)}.{identifier(table)}")
        for (table,) in _tables(connection, RESTORED, source.slug):
            connection.execute(
                f"CREATE TABLE {identifier(schema)}.{identifier(table)} AS "
                f"SELECT * FROM {RESTORED}.{identifier(source.slug)}.{identifier(table)}"
            )
        connection.execute(f"DETACH {RESTORED}")


def _tables(connection, database: str, schema: str) -> list[tuple[str]]:
    return connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = "
        f"{string_literal(database)} AND schema_name = {string_literal(schema)}"
    ).fetchall()


def _backup_tenant(ctx: ServiceContext, slug: str) -> BackupRun:
    with operation(ctx, "backup.run", slug) as op, _tenant_backups(ctx, slug, op) as found:
        row, key, target = found
        done = _backed_up(target, row.id)
        warehouse = ctx.platform.warehouse(row.id, row.slug)
        with unit_of_work(ctx, slug) as work:
            exported = json.dumps(export_tenant(work.session, work.tenant_row)).encode()
        written, sequences = 0, []
        for snapshot in warehouse.snapshots.history():
            if snapshot.sequence not in done:
                written += _backup_snapshot(ctx, row, key, target, snapshot, exported)
                sequences.append(snapshot.sequence)
        op.note(snapshots=len(sequences), sequences=sequences, bytes=written, target=target.url)
        return BackupRun(slug, len(sequences), written)


def _backup_snapshot(
    ctx: ServiceContext,
    row: Tenant,
    key: bytes,
    target: BackupTarget,
    snapshot: Snapshot,
    exported: bytes,
) -> int:
    warehouse = ctx.platform.warehouse(row.id, row.slug)
    with warehouse.read(snapshot) as connection:
        tables = table_checksums(connection, row.slug)
    run = secrets.token_hex(4)  # runs at once each write their own objects
    names = {
        kind: f"{_name(row.id, kind, snapshot.sequence)}-{run}"
        for kind in (SNAPSHOT, CONTROL_PLANE)
    }
    sealed = BytesIO()
    with snapshot.path.open("rb") as source:
        snapshot_info = seal_stream(key, source, sealed, aad=_aad(row.id, names[SNAPSHOT]))
    rows_sealed, rows_info = seal_bytes(key, exported, aad=_aad(row.id, names[CONTROL_PLANE]))
    retain = snapshot.published_at + timedelta(days=row.backup_retention_days)
    lock = {"retain_until": retain} if target.locks else {}
    target.put(names[SNAPSHOT], sealed.getvalue(), **lock)
    target.put(names[CONTROL_PLANE], rows_sealed, **lock)
    manifest = Manifest(
        row.id, snapshot.sequence, snapshot.published_at, datetime.now(UTC),
        (ManifestEntry.of(names[SNAPSHOT], SNAPSHOT, snapshot_info),
         ManifestEntry.of(names[CONTROL_PLANE], CONTROL_PLANE, rows_info)),
        tables,
    )  # fmt: skip
    sealed_manifest = seal_manifest(key, manifest)
    target.put(_name(row.id, "manifests", snapshot.sequence), sealed_manifest, **lock)
    return len(sealed.getvalue()) + len(rows_sealed) + len(sealed_manifest)


@contextmanager
def _tenant_backups(
    ctx: ServiceContext, slug: str, op: Operation | None = None
) -> Iterator[tuple[Tenant, bytes, BackupTarget]]:
    """The tenant's row, its backups key and the target (the operator only); within ``op``,
    whose audit event then goes to the tenant's chain."""
    with op.unit(records=False) if op else unit_of_work(ctx, slug) as work:
        work.require_operator()
        row = work.tenant_row
    key = ctx.platform.keys.data_key(row.id, PURPOSE_BACKUPS)
    yield row, key, target_from_url(ctx.platform.settings.backup_url, ctx.platform.settings)


def _backed_up(target: BackupTarget, tenant_id: str) -> set[int]:
    """The sequences of the snapshots the target has a manifest of; anything else among the
    manifests is refused by name."""
    return {_sequence(o.name) for o in target.list(f"{tenant_id}/manifests/")}


def _sequence(name: str) -> int:
    last = name.rsplit("/", 1)[1]
    if not _MANIFEST_NAME.fullmatch(last):
        raise DecryptionError(f"backup object {name!r} is not one atspark wrote")
    return int(last)


def _check_none_missing(ctx: ServiceContext, row: Tenant, target: BackupTarget) -> None:
    """Refuse when a backup the audit trail says was made, and no prune deleted, is gone: the
    target alone cannot show a deleted (rolled back) backup; the trail can."""
    made: set[int] = set()
    with ctx.platform.control_plane.read_session() as session:
        for event in audit.events(session, row.id, action="backup.run"):
            made.update((event.context or {}).get("sequences", []))
        for event in audit.events(session, row.id, action="backup.prune"):
            made.difference_update((event.context or {}).get("deleted", []))
    missing = sorted(made - _backed_up(target, row.id))
    if missing:
        raise DecryptionError(
            f"the backup of snapshot {missing[0]} of {row.slug} is missing from {target.url}"
        )


def _delete_orphans(
    target: BackupTarget, tenant_id: str, kept: list[Manifest], now: datetime
) -> None:
    """Objects no kept manifest names, left by a run that did not finish, once an hour old."""
    named = {entry.name for manifest in kept for entry in manifest.objects}
    for folder in ("snapshots", "control-plane"):
        for stored in target.list(f"{tenant_id}/{folder}/"):
            if stored.name not in named and now - stored.modified > ORPHAN_AGE:
                target.delete(stored.name)


def _name(tenant_id: str, kind: str, sequence: int) -> str:
    folder = {SNAPSHOT: "snapshots", CONTROL_PLANE: "control-plane"}.get(kind, kind)
    return f"{tenant_id}/{folder}/{sequence:012d}"


def _aad(tenant_id: str, name: str) -> dict[str, str]:
    return {"tenant": tenant_id, "name": name, "kind": name.split("/")[1]}


def _manifests(target: BackupTarget, tenant_id: str, key: bytes) -> Iterator[tuple[str, Manifest]]:
    """Each manifest of the tenant, opened (authenticated), oldest first."""
    for stored in target.list(f"{tenant_id}/manifests/"):
        sequence = _sequence(stored.name)
        manifest = open_manifest(
            key, target.get(stored.name), tenant_id=tenant_id, sequence=sequence
        )
        yield stored.name, manifest


def _manifest_at(target: BackupTarget, tenant_id: str, key: bytes, at: datetime) -> Manifest:
    covering = [m for _, m in _manifests(target, tenant_id, key) if m.published_at <= at]
    if not covering:
        raise NotFoundError(f"no backup covers {at.isoformat()}")
    return max(covering, key=lambda m: m.published_at)


@contextmanager
def _opened(
    platform: Platform, row: Tenant, key: bytes, target: BackupTarget, manifest: Manifest
) -> Iterator[tuple[Path, dict]]:
    """The manifest's objects decrypted and checked: the snapshot as a private file (removed
    after), and the exported rows. A bad object raises ``DecryptionError`` naming it."""
    names = {entry.kind: entry.name for entry in manifest.objects}
    platform.settings.runs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, path = tempfile.mkstemp(dir=platform.settings.runs_dir, suffix=".duckdb")
    snapshot_file = Path(path)
    try:
        with os.fdopen(descriptor, "wb") as sink:
            info = open_stream(key, BytesIO(_get(target, names[SNAPSHOT])), sink,
                               aad=_aad(row.id, names[SNAPSHOT]))  # fmt: skip
        manifest.entry(names[SNAPSHOT]).verify(info)
        sealed_rows = _get(target, names[CONTROL_PLANE])
        plain_rows = open_bytes(key, sealed_rows, aad=_aad(row.id, names[CONTROL_PLANE]))
        _check_tables(platform, row, snapshot_file, manifest, names[SNAPSHOT])
        yield snapshot_file, json.loads(plain_rows)
    finally:
        snapshot_file.unlink(missing_ok=True)


def _get(target: BackupTarget, name: str) -> bytes:
    try:
        return target.get(name)
    except NotFoundError:
        raise DecryptionError(f"backup object {name!r} is missing") from None


def _check_tables(
    platform: Platform, row: Tenant, snapshot_file: Path, manifest: Manifest, name: str
) -> None:
    with _attached(platform, row, snapshot_file) as connection:
        found = table_checksums(connection, row.slug)
    if found != dict(manifest.tables):
        raise DecryptionError(
            f"backup object {name!r} does not match its manifest's table row counts and checksums"
        )


@contextmanager
def _attached(platform: Platform, row: Tenant, path: Path):
    connection = new_connection()
    try:
        attach_encrypted(connection, path, platform.keys.warehouse_key(row.id), read_only=True)
        yield connection
    finally:
        connection.close()
