"""``atspark audit verify/purge/export/list`` as operators and auditors run them."""

import json
import uuid
from datetime import datetime, timedelta
from itertools import pairwise

import boto3
import pytest

from governance import audit
from governance.errors import NotFoundError, PermissionDenied
from governance.platform import Platform
from governance.settings import Settings
from governance.store.models import utcnow
from services import identity, tenants
from services.audit import list_events, purge
from services.context import Operator, ServiceContext
from tests.app.test_cli import run
from tests.fixtures.platform import acting_as, dispose
from tests.governance.audit_chains import backdate, edit, remove


@pytest.fixture
def any_cli(settings, control_plane_url, monkeypatch):
    """The operator's services and the ``atspark`` command on one control plane: SQLite, then
    PostgreSQL."""
    monkeypatch.setenv("ATSPARK_DATABASE_URL", control_plane_url)
    platform = Platform(Settings.from_environment())
    yield ServiceContext(platform, Operator("test"))
    dispose(platform)


def three_chains(ctx: ServiceContext) -> tuple[str, str]:
    """Tenant ``acme``, deleted tenant ``beta`` and two platform events: (acme's, beta's ids)."""
    acme = tenants.create_tenant(ctx, "acme")
    beta = tenants.create_tenant(ctx, "beta")
    tenants.delete_tenant(ctx, "beta")
    for _ in range(2):
        with pytest.raises(NotFoundError):
            identity.add_group(ctx, "ghost", "sales")
    return acme.id, beta.id


def test_verify_names_the_first_broken_event_of_each_broken_chain(any_cli):
    acme, beta = three_chains(any_cli)
    identity.add_group(any_cli, "acme", "sales")
    every = run("audit", "verify")
    assert (every.returncode, every.stdout) == (0, "every audit trail is intact (3 checked)\n")
    with any_cli.platform.control_plane.session() as session:
        edit(session, acme, 2, actor="mallory")
        remove(session, beta, 1)
        edit(session, audit.PLATFORM_CHAIN, 1, outcome="ok")
    one = run("audit", "verify", "acme")
    assert (one.returncode, one.stdout) == (1, "the audit trail of acme is broken at event 2\n")
    every = run("audit", "verify")
    assert every.returncode == 1
    assert sorted(every.stdout.splitlines()) == [
        "the audit trail of acme is broken at event 2",
        f"the audit trail of deleted tenant {beta} is broken at event 2",
        "the audit trail of the platform is broken at event 1",
    ]


def test_purge_drops_what_retention_allows_and_every_chain_still_verifies(any_cli, monkeypatch):
    acme, beta = three_chains(any_cli)
    with any_cli.platform.control_plane.session() as session:
        for chain in (acme, beta, audit.PLATFORM_CHAIN):
            backdate(session, chain, days=40)
    identity.add_group(any_cli, "acme", "sales")
    monkeypatch.setenv("ATSPARK_AUDIT_RETENTION_DAYS", "50")
    kept = run("audit", "purge", "acme")
    assert kept.stdout == "no audit event is older than 50 days: none purged\n"
    monkeypatch.delenv("ATSPARK_AUDIT_RETENTION_DAYS")  # the default: 30 days
    one = run("audit", "purge", "acme")
    assert (one.returncode, one.stdout) == (0, "purged 1 event of acme (through event 1)\n")
    every = run("audit", "purge")
    assert every.returncode == 0, every.stderr
    assert sorted(every.stdout.splitlines()) == [
        f"purged 1 event of deleted tenant {beta} (through event 1)",
        "purged 1 event of the platform (through event 1)",
    ]
    assert run("audit", "verify").returncode == 0
    with any_cli.platform.control_plane.session() as session:
        record = audit.events(session, acme, action=audit.PURGE_ACTION)[-1]
        assert (record.context["purged_through"], record.context["purged"]) == (1, 1)
        remove(session, acme, 2)  # by hand, not by a purge
    broken = run("audit", "verify", "acme")
    assert (broken.returncode, broken.stdout) == (
        1,
        "the audit trail of acme is broken at event 3\n",
    )


def test_purge_is_the_operators_alone_and_never_erases_a_broken_chain(operator):
    acme = tenants.create_tenant(operator, "acme").id
    identity.add_user(operator, "acme", "boss@acme.io", ["owner"])
    with operator.platform.control_plane.session() as session:
        backdate(session, acme, days=40)
    identity.add_group(operator, "acme", "sales")
    with pytest.raises(PermissionDenied, match="only the platform's operator"):
        purge(acting_as(operator, "boss@acme.io"), "acme")
    with operator.platform.control_plane.session() as session:
        edit(session, acme, 1, context={})
    refused = run("audit", "purge")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == (
        "error: the audit trail of acme is broken at event 1: nothing was purged\n"
    )
    with operator.platform.control_plane.session() as session:
        assert [event.sequence for event in audit.events(session, acme)][:3] == [1, 2, 3]
        attempts = audit.events(session, audit.PLATFORM_CHAIN, action=audit.PURGE_ACTION)
    assert [event.outcome for event in attempts] == ["failed"]


@pytest.fixture
def auditors(acme):
    """Tenant ``acme`` with an auditor (audit.read) and a viewer (no audit.read)."""
    identity.add_role(acme, "acme", "auditor", ["audit.read"])
    identity.add_user(acme, "acme", "aud@acme.io", ["auditor"])
    identity.add_user(acme, "acme", "viewer@acme.io", ["viewer"])
    return acme


def test_export_to_a_file_is_json_lines_and_audited_with_its_destination(auditors, tmp_path):
    target = tmp_path / "trail.jsonl"
    to = ("audit", "export", "acme", "--to", f"file://{target}")
    refused = run(*to, "--as", "viewer@acme.io")
    assert refused.returncode == 2 and "needs permission audit.read" in refused.stderr
    assert not target.exists()
    done = run(*to, "--as", "aud@acme.io")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert done.stdout == f"exported {len(lines)} audit events of acme\n"
    assert [line["sequence"] for line in lines] == list(range(1, len(lines) + 1))
    assert list(lines[0]) == [
        *("sequence", "occurred_at", "actor", "action", "outcome", "context"),
        *("previous_hash", "hash"),
    ]
    assert datetime.fromisoformat(lines[0]["occurred_at"]).utcoffset() == timedelta(0)
    assert all(later["previous_hash"] == earlier["hash"] for earlier, later in pairwise(lines))
    assert (target.stat().st_mode & 0o777) == 0o600

    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert run(*to, "--since", tomorrow).stdout == "exported 0 audit events of acme\n"
    assert target.read_text() == ""
    exports = list_events(auditors, "acme", action="audit.export")
    assert [(event.actor, event.outcome) for event in exports] == [
        ("viewer@acme.io", "refused"),
        ("aud@acme.io", "ok"),
        ("operator:cli", "ok"),
    ]
    assert exports[1].context["destination"] == f"file://{target.resolve()}"
    assert (exports[1].context["events"], exports[2].context["since"]) == (
        len(lines),
        f"{tomorrow}T00:00:00+00:00",
    )


def test_a_bad_destination_is_one_line_exit_1_and_nothing_written(acme, settings, tmp_path):
    home = settings.home.resolve()
    before = sorted(home.rglob("*"))
    mistakes = {
        "ftp://host/trail": "cannot export to ftp://",
        str(tmp_path / "trail.jsonl"): "an export destination looks like file://PATH",
        "s3://": "s3:// names no bucket",
        "cloudwatch://no-stream": "cloudwatch:// needs a log group and a stream",
        f"file://{home / 'trail.jsonl'}": "it is inside atspark's home",
        f"file://{tmp_path / 'no' / 'trail.jsonl'}": "no folder",
        f"file://{tmp_path}": "it is a folder",
    }
    for destination, message in mistakes.items():
        result = run("audit", "export", "acme", "--to", destination)
        assert result.returncode == 1 and result.stdout == "", destination
        assert result.stderr.startswith("error: ") and message in result.stderr, destination
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert sorted(home.rglob("*")) == before and not (tmp_path / "trail.jsonl").exists()
    failed = list_events(acme, "acme", action="audit.export")
    assert [event.outcome for event in failed] == ["failed"] * len(mistakes)


def test_export_to_s3_and_cloudwatch_on_motos_server(acme, aws_env):
    bucket, group = f"audit-{uuid.uuid4().hex[:12]}", f"/atspark/{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    to_s3 = run("audit", "export", "acme", "--to", f"s3://{bucket}/trails", "--since", "2000-01-01")
    assert to_s3.returncode == 0, to_s3.stderr
    [stored] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert stored["Key"].startswith("trails/atspark-audit-acme-20000101T000000Z-")
    body = s3.get_object(Bucket=bucket, Key=stored["Key"])["Body"].read().decode()
    in_s3 = [json.loads(line) for line in body.splitlines()]
    assert [line["action"] for line in in_s3] == ["tenant.create"]

    to_logs = run("audit", "export", "acme", "--to", f"cloudwatch://{group}/acme")
    assert to_logs.returncode == 0, to_logs.stderr
    logs = boto3.client("logs", endpoint_url=aws_env, region_name="us-east-1")
    page = logs.get_log_events(logGroupName=group, logStreamName="acme", startFromHead=True)
    in_logs = [json.loads(event["message"]) for event in page["events"]]
    assert [line["action"] for line in in_logs] == ["tenant.create", "audit.export"]
    assert in_logs[0] == in_s3[0]

    exports = list_events(acme, "acme", action="audit.export")
    assert [event.context["destination"] for event in exports] == [
        f"s3://{bucket}/{stored['Key']}",
        f"cloudwatch://{group}/acme",
    ]
    assert "testing" not in json.dumps([event.context for event in exports])  # credentials


def test_list_filters_and_is_audited_with_its_filters(auditors):
    identity.add_group(auditors, "acme", "sales")
    listed = run(
        "audit",
        *("list", "acme", "--as", "aud@acme.io", "--format", "json"),
        *("--action", "user.add", "--actor", "operator:test", "--limit", "1"),
    )
    assert listed.returncode == 0, listed.stderr
    [event] = json.loads(listed.stdout)
    assert (event["action"], event["context"]["user"]) == ("user.add", "aud@acme.io")
    read = list_events(auditors, "acme", action="audit.read")[-1]
    assert (read.actor, read.context["limit"], read.context["events"]) == ("aud@acme.io", 1, 1)
    bad = run("audit", "list", "acme", "--since", "last tuesday")
    assert bad.returncode == 1 and bad.stderr.startswith("error: --since expects an ISO date")
