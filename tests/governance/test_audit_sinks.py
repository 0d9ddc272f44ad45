"""Audit export destinations: parsed in one clear line each, and the AWS ones written to moto's
real server and read back."""

import json
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from governance import audit
from governance.audit_sinks import (
    CloudWatchDestination,
    FileDestination,
    S3Destination,
    parse_destination,
)
from governance.audit_sinks.cloudwatch import MAX_BATCH_BYTES, MAX_EVENTS, batches
from governance.audit_sinks.records import record
from governance.errors import AtsparkError, NotFoundError
from governance.store.models import utcnow
from tests.governance.audit_chains import add_events

CHAIN = "a" * 32


@pytest.mark.parametrize(
    ("text", "destination"),
    [
        ("file:///tmp/trail.jsonl", FileDestination(Path("/tmp/trail.jsonl"))),
        ("FILE://trail.jsonl", FileDestination(Path("trail.jsonl"))),
        ("s3://audit-bucket", S3Destination("audit-bucket", "")),
        ("s3://audit-bucket/trails/acme/", S3Destination("audit-bucket", "trails/acme")),
        ("cloudwatch://atspark/acme", CloudWatchDestination("atspark", "acme")),
        ("cloudwatch:///aws/atspark/acme", CloudWatchDestination("/aws/atspark", "acme")),
    ],
)
def test_destinations_parse(text, destination):
    assert parse_destination(text) == destination


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/tmp/trail.jsonl", "an export destination looks like file://PATH, s3://"),
        ("ftp://host/trail", "cannot export to ftp://: expected file://PATH"),
        ("AKIA:secret@host://x", "an export destination looks like"),
        ("file://", "file:// names no file"),
        ("s3://", "s3:// names no bucket"),
        ("s3:///trails", "s3:// names no bucket"),
        ("s3://AKIAXXXX:secret@bucket/x", "the S3 bucket name is not valid"),
        ("cloudwatch://group-only", "cloudwatch:// needs a log group and a stream"),
        ("cloudwatch://group/", "cloudwatch:// needs a log group and a stream"),
        ("cloudwatch://gr oup/stream", "the log group name is not valid"),
        ("cloudwatch://group/str:eam", "the log stream name is not valid"),
    ],
)
def test_a_bad_destination_is_one_line_that_never_echoes_it(text, message):
    with pytest.raises(AtsparkError, match=message) as refused:
        parse_destination(text)
    assert "\n" not in str(refused.value) and "secret" not in str(refused.value)


def log_events(count: int, size: int = 10, start_ms: int = 0, step_ms: int = 1) -> list:
    return [{"timestamp": start_ms + n * step_ms, "message": "x" * size} for n in range(count)]


def test_batches_keep_to_putlogevents_limits_in_time_order():
    assert [len(batch) for batch in batches(log_events(MAX_EVENTS * 2 + 1))] == [
        MAX_EVENTS,
        MAX_EVENTS,
        1,
    ]
    # 1 MiB a batch, counting 26 bytes for each event besides its message
    assert [len(batch) for batch in batches(log_events(11, size=100_000 - 26))] == [10, 1]
    # never spanning 24 hours
    day = 24 * 60 * 60 * 1000
    assert [len(batch) for batch in batches(log_events(5, step_ms=day // 2))] == [2, 2, 1]
    shuffled = log_events(3, step_ms=5)[::-1]
    [batch] = batches(shuffled)
    assert [event["timestamp"] for event in batch] == [0, 5, 10]
    with pytest.raises(AtsparkError, match="larger than CloudWatch Logs takes"):
        batches(log_events(1, size=256 * 1024))


@pytest.fixture
def aws_settings(settings, aws_env):
    """The test's settings, with boto3 pointed at moto's server."""
    return replace(settings, aws_endpoint_url=aws_env)


def chain_events(platform, count: int, **extra) -> list:
    """A chain of ``count`` events in ``platform``'s control plane, oldest first."""
    with platform.control_plane.session() as session:
        add_events(session, CHAIN, count, **extra)
        return audit.events(session, CHAIN)


def test_s3_gets_one_json_lines_object_named_for_tenant_and_time_range(
    platform, aws_settings, aws_env
):
    events = chain_events(platform, 3)
    bucket = f"audit-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    since = utcnow() - timedelta(hours=1)
    written = S3Destination(bucket, "trails").write(aws_settings, "acme", events, since)
    [listed] = s3.list_objects_v2(Bucket=bucket, Prefix="trails/")["Contents"]
    start, end = f"{since:%Y%m%dT%H%M%SZ}", f"{audit.as_utc(events[-1].occurred_at):%Y%m%dT%H%M%SZ}"
    assert listed["Key"] == f"trails/atspark-audit-acme-{start}-{end}.jsonl"
    assert written == f"s3://{bucket}/{listed['Key']}"
    body = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read().decode()
    assert [json.loads(line) for line in body.splitlines()] == [record(e) for e in events]


def test_s3_without_its_bucket_is_one_clear_line(platform, aws_settings):
    with pytest.raises(
        NotFoundError, match=r"^cannot write s3://no-such-bucket/x: no such bucket$"
    ):
        S3Destination("no-such-bucket", "x").write(aws_settings, "acme", [], None)


def read_stream(logs, destination: CloudWatchDestination) -> list[dict]:
    names = {"logGroupName": destination.group, "logStreamName": destination.stream}
    found, token = [], None
    while True:
        page = logs.get_log_events(
            **names, startFromHead=True, **({"nextToken": token} if token else {})
        )
        found += page["events"]
        if not page["events"] or page["nextForwardToken"] == token:
            return found
        token = page["nextForwardToken"]


def puts(logs, destination: CloudWatchDestination) -> int:
    """How many PutLogEvents calls the stream took (moto counts them as its upload token)."""
    [stream] = logs.describe_log_streams(
        logGroupName=destination.group, logStreamNamePrefix=destination.stream
    )["logStreams"]
    return int(stream["uploadSequenceToken"])


@pytest.fixture
def logs(aws_env):
    return boto3.client("logs", endpoint_url=aws_env, region_name="us-east-1")


def test_cloudwatch_creates_group_and_stream_and_fills_each_call_up_to_a_mebibyte(
    platform, aws_settings, logs
):
    """Audit events are larger than 104 bytes, so 1 MiB binds before 10,000 events do."""
    events = chain_events(platform, 3_500)
    destination = CloudWatchDestination(f"/atspark/{uuid.uuid4().hex[:12]}", "acme")
    assert destination.write(aws_settings, "acme", events, None) == str(destination)
    stored = read_stream(logs, destination)
    assert [json.loads(event["message"]) for event in stored] == [record(e) for e in events]
    size = sum(len(event["message"]) + 26 for event in stored)
    assert size > MAX_BATCH_BYTES and puts(logs, destination) == -(-size // MAX_BATCH_BYTES)


def test_cloudwatch_takes_at_most_a_mebibyte_a_call_and_writes_to_a_stream_again(
    platform, aws_settings, logs
):
    events = chain_events(platform, 6, context={"blob": "x" * 200_000})
    destination = CloudWatchDestination(f"/atspark/{uuid.uuid4().hex[:12]}", "acme")
    destination.write(aws_settings, "acme", events[:1], None)
    destination.write(aws_settings, "acme", events, None)
    stored = read_stream(logs, destination)
    assert [json.loads(event["message"]) for event in stored] == [
        record(event) for event in [events[0], *events]
    ]
    assert puts(logs, destination) == 1 + 2


def test_cloudwatch_refuses_events_older_than_14_days_before_writing(platform, aws_settings, logs):
    events = chain_events(platform, 2, at=utcnow() - timedelta(days=15))
    destination = CloudWatchDestination(f"/atspark/{uuid.uuid4().hex[:12]}", "acme")
    with pytest.raises(AtsparkError, match="no events older than 14 days"):
        destination.write(aws_settings, "acme", events, None)
    assert logs.describe_log_groups(logGroupNamePrefix=destination.group)["logGroups"] == []
