"""Backup targets: a private local directory written atomically, and S3 on moto's real server
with versioning and Object Lock."""

import base64
import hashlib
import os
import stat
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from governance.audit_sinks.s3 import S3Destination
from governance.backups import FileTarget, S3Target, target_from_url
from governance.errors import AtsparkError, NotFoundError
from tests.fixtures.services import free_port

SEALED = "acme/objects/ab12cd"
MANIFEST = "acme/manifests/2024-05-01T00-00-00Z.json"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def near_now(moment: datetime) -> bool:
    return moment.tzinfo == UTC and abs(datetime.now(UTC) - moment) < timedelta(minutes=1)


# --- a local directory ---------------------------------------------------------------------


@pytest.fixture
def files(tmp_path) -> FileTarget:
    return FileTarget(tmp_path / "backups")


def test_a_directory_round_trips_objects(files):
    files.put(SEALED, b"sealed bytes", retain_until=datetime.now(UTC) + timedelta(days=1))
    files.put(MANIFEST, b"{}")
    assert files.get(SEALED) == b"sealed bytes"
    assert files.exists(SEALED) and not files.exists("acme/objects/ab12")
    listed = files.list()
    assert [(o.name, o.size, o.retain_until) for o in listed] == [
        (MANIFEST, 2, None),
        (SEALED, 12, None),
    ]
    assert all(near_now(o.modified) for o in listed)
    assert files.locks is False
    files.delete(SEALED)
    files.delete(SEALED)  # already gone: no error
    assert not files.exists(SEALED)
    with pytest.raises(NotFoundError, match=f"has no {SEALED}$"):
        files.get(SEALED)
    assert [o.name for o in files.list()] == [MANIFEST]


def test_a_directory_lists_by_prefix_and_nothing_under_a_missing_one(files):
    for name in ("acme/objects/ab1", "acme/objects/ab2", "acme/objects/cd", "acme2/objects/ab"):
        files.put(name, b"x")
    assert [o.name for o in files.list("acme/objects/ab")] == [
        "acme/objects/ab1",
        "acme/objects/ab2",
    ]
    assert [o.name for o in files.list("acme/")] == [
        "acme/objects/ab1",
        "acme/objects/ab2",
        "acme/objects/cd",
    ]
    assert files.list("globex/") == []
    assert FileTarget(files.root / "never-written").list() == []


def test_a_directory_replaces_an_object_whole_or_not_at_all(files, monkeypatch):
    files.put(SEALED, b"first")
    first = (files.root / SEALED).stat().st_ino
    files.put(SEALED, b"second")
    assert files.get(SEALED) == b"second"
    assert (files.root / SEALED).stat().st_ino != first  # a new file renamed over the old

    def disk_full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(AtsparkError, match=r"cannot write .* \(No space left on device\)$"):
        files.put(SEALED, b"third")
    monkeypatch.undo()
    assert files.get(SEALED) == b"second"
    assert os.listdir(files.root / "acme/objects") == ["ab12cd"]  # no temporary file left


def test_a_directory_is_private_to_its_owner(files):
    previous = os.umask(0o022)
    try:
        files.put(SEALED, b"x")
        files.put(SEALED, b"y")
    finally:
        os.umask(previous)
    for directory in (files.root, files.root / "acme", files.root / "acme/objects"):
        assert mode(directory) == 0o700
    assert mode(files.root / SEALED) == 0o600


@pytest.mark.parametrize(
    "name",
    [
        "../escaped",
        "acme/../../escaped",
        "/etc/passwd",
        "acme\\objects",
        "acme/objects/a b",
        "acme/objects/é",
        "acme//objects",
        "acme/",
        ".hidden",
        "acme/./objects",
        "",
    ],
)
def test_a_directory_refuses_names_that_could_leave_it_or_mean_two_things(files, name):
    for call in (files.get, files.exists, files.delete, lambda name: files.put(name, b"x")):
        with pytest.raises(AtsparkError, match="a backup object name is /-separated"):
            call(name)
    assert not files.root.exists()


@pytest.mark.parametrize("prefix", ["../", "/", "acme\\", "acme//"])
def test_a_directory_refuses_prefixes_no_name_starts_with(files, prefix):
    with pytest.raises(AtsparkError, match="a backup object name"):
        files.list(prefix)


# --- S3 on moto ------------------------------------------------------------------------------


@pytest.fixture
def aws_settings(settings, aws_env):
    return replace(settings, aws_endpoint_url=aws_env)


@pytest.fixture
def s3(aws_env):
    return boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")


def new_bucket(s3, **options) -> str:
    bucket = f"backups-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, **options)
    return bucket


def s3_target(aws_settings, bucket: str, prefix: str = "atspark", **options) -> S3Target:
    return S3Target(S3Destination(bucket, prefix), aws_settings, **options)


def test_s3_round_trips_objects_under_its_prefix(s3, aws_settings):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="elsewhere/acme/objects/zz", Body=b"not ours")
    target = s3_target(aws_settings, bucket)
    target.put(SEALED, b"sealed bytes")
    target.put(MANIFEST, b"{}")
    assert target.url == f"s3://{bucket}/atspark"
    assert target.get(SEALED) == b"sealed bytes"
    assert target.exists(SEALED) and not target.exists("acme/objects/ab12")
    stored = s3.get_object(Bucket=bucket, Key=f"atspark/{SEALED}")["Body"].read()
    assert stored == b"sealed bytes"
    listed = target.list("acme/")
    assert [(o.name, o.size, o.retain_until) for o in listed] == [
        (MANIFEST, 2, None),
        (SEALED, 12, None),
    ]
    assert all(near_now(o.modified) for o in listed)
    assert target.locks is False and target.versioned is False
    target.delete(SEALED)
    target.delete(SEALED)
    assert not target.exists(SEALED)
    with pytest.raises(NotFoundError, match=f"^s3://{bucket}/atspark has no {SEALED}$"):
        target.get(SEALED)
    assert [o.name for o in target.list()] == [MANIFEST]
    assert target.list("globex/") == []


def test_s3_asks_s3_to_check_each_upload_against_its_sha256(s3, aws_settings):
    bucket = new_bucket(s3)
    s3_target(aws_settings, bucket, prefix="").put(SEALED, b"sealed bytes")
    head = s3.head_object(Bucket=bucket, Key=SEALED, ChecksumMode="ENABLED")
    assert (
        head["ChecksumSHA256"]
        == base64.b64encode(hashlib.sha256(b"sealed bytes").digest()).decode()
    )


def test_s3_lists_every_page(s3, aws_settings):
    bucket = new_bucket(s3)
    target = s3_target(aws_settings, bucket, page_size=2)
    names = [f"acme/objects/{n:02d}" for n in range(5)]
    for name in reversed(names):
        target.put(name, name.encode())
    assert [o.name for o in target.list()] == names
    assert [o.name for o in target.list("acme/objects/0")] == names


def test_a_versioned_bucket_keeps_what_an_overwrite_replaced(s3, aws_settings):
    bucket = new_bucket(s3)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    target = s3_target(aws_settings, bucket)
    target.put(MANIFEST, b"old")
    target.put(MANIFEST, b"new")
    assert target.versioned is True
    assert target.get(MANIFEST) == b"new"
    versions = s3.list_object_versions(Bucket=bucket, Prefix=f"atspark/{MANIFEST}")["Versions"]
    kept = [
        s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        for v in versions
    ]
    assert sorted(kept) == [b"new", b"old"]
    target.delete(MANIFEST)  # every version, not just a delete marker over them
    assert "Versions" not in s3.list_object_versions(Bucket=bucket, Prefix="atspark/")


@pytest.fixture
def locked_bucket(s3) -> str:
    bucket = new_bucket(s3, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    )
    return bucket


def test_an_object_lock_bucket_retains_in_compliance_mode(s3, aws_settings, locked_bucket):
    target = s3_target(aws_settings, locked_bucket)
    until = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    target.put(SEALED, b"sealed bytes", retain_until=until)
    assert target.locks is True and target.versioned is True
    head = s3.head_object(Bucket=locked_bucket, Key=f"atspark/{SEALED}")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    [listed] = target.list()
    assert listed.retain_until == until
    with pytest.raises(
        AtsparkError,
        match=f"^cannot delete {SEALED} from s3://{locked_bucket}/atspark: Object Lock retains "
        f"it until {until:%Y-%m-%d %H:%M:%S} UTC$",
    ):
        target.delete(SEALED)
    assert target.get(SEALED) == b"sealed bytes"


def test_an_object_put_without_retention_in_a_lock_bucket_can_go(aws_settings, locked_bucket):
    target = s3_target(aws_settings, locked_bucket)
    target.put(MANIFEST, b"{}")
    target.delete(MANIFEST)
    assert not target.exists(MANIFEST)


def test_retention_is_not_asked_of_a_bucket_without_object_lock(s3, aws_settings):
    bucket = new_bucket(s3)
    target = s3_target(aws_settings, bucket)
    target.put(SEALED, b"x", retain_until=datetime.now(UTC) + timedelta(days=7))
    assert "ObjectLockMode" not in s3.head_object(Bucket=bucket, Key=f"atspark/{SEALED}")
    [listed] = target.list()
    assert listed.retain_until is None


def test_s3_without_its_bucket_is_one_clear_line(aws_settings):
    target = s3_target(aws_settings, "no-such-bucket")
    for call in (lambda: target.put(SEALED, b"x"), lambda: target.get(SEALED), target.list):
        with pytest.raises(NotFoundError, match=r"s3://no-such-bucket/atspark: no such bucket$"):
            call()


def test_an_unreachable_endpoint_is_one_clear_line(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "very-secret")
    nowhere = replace(settings, aws_endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AtsparkError, match=r"^cannot reach AWS to .* s3://backups/atspark$") as e:
        s3_target(nowhere, "backups").put(SEALED, b"x")
    assert "very-secret" not in str(e.value) and "AKIA" not in str(e.value)


# --- configuration ---------------------------------------------------------------------------


def test_the_default_target_is_a_directory_under_home(settings):
    target = target_from_url(None, settings)
    assert isinstance(target, FileTarget)
    assert target.root == (settings.home / "backups").resolve()
    assert target.url == f"file://{target.root}"


@pytest.mark.parametrize(
    "url", ["file:///srv/backups", "FILE:///srv/backups", " file:///srv/backups/ "]
)
def test_a_file_url_names_a_directory(settings, url):
    target = target_from_url(url, settings)
    assert isinstance(target, FileTarget) and target.url == "file:///srv/backups"


def test_an_s3_url_names_a_bucket_and_prefix(settings):
    target = target_from_url("s3://backup-bucket/atspark/prod/", settings)
    assert isinstance(target, S3Target)
    assert (target.bucket, target.prefix) == ("backup-bucket", "atspark/prod")
    assert target.url == "s3://backup-bucket/atspark/prod"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/srv/backups", "a backup target looks like file:///PATH or s3://BUCKET/PREFIX"),
        ("ftp://host/backups", "a backup target looks like"),
        ("user:secret@host://x", "a backup target looks like"),
        ("file://backups", "file:// needs an absolute path"),
        ("file:///srv/../etc", "file:// needs an absolute path without '..'"),
        ("s3://", "s3:// names no bucket"),
        ("s3://AKIAXXXX:secret@bucket/x", "the S3 bucket name is not valid"),
    ],
)
def test_a_bad_url_is_one_line_that_never_echoes_it(settings, url, message):
    with pytest.raises(AtsparkError, match=message) as refused:
        target_from_url(url, settings)
    assert "\n" not in str(refused.value) and "secret" not in str(refused.value)
