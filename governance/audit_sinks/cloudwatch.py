"""CloudWatch Logs: a trail as the log events of one stream, in time order, in the batches
PutLogEvents takes; the log group and stream are created when missing."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from governance.audit import as_utc
from governance.audit_sinks.aws import aws_errors, client
from governance.audit_sinks.records import line
from governance.errors import AtsparkError
from governance.settings import Settings
from governance.store.models import AuditEvent, utcnow

MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 256 * 1024
MAX_SPAN_MS = 24 * 60 * 60 * 1000
MAX_AGE = timedelta(days=14)
_GROUP = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
_STREAM = re.compile(r"[^:*]{1,512}")

LogEvent = dict[str, Any]


@dataclass(frozen=True)
class CloudWatchDestination:
    group: str
    stream: str

    @classmethod
    def parse(cls, location: str) -> "CloudWatchDestination":
        """``GROUP/STREAM``: the stream is what follows the last slash."""
        group, _, stream = location.rpartition("/")
        if not group or not stream:
            raise AtsparkError(
                "cloudwatch:// needs a log group and a stream (cloudwatch://GROUP/STREAM)"
            )
        if not _GROUP.fullmatch(group):
            raise AtsparkError(
                "the log group name is not valid: up to 512 letters, digits and . - _ / #"
            )
        if not _STREAM.fullmatch(stream):
            raise AtsparkError("the log stream name is not valid: up to 512 characters, no : or *")
        return cls(group, stream)

    def __str__(self) -> str:
        return f"cloudwatch://{self.group}/{self.stream}"

    def write(
        self,
        settings: Settings,
        tenant: str,
        events: Sequence[AuditEvent],
        since: datetime | None,
    ) -> str:
        """Put ``events`` in the stream, refusing before anything is written if CloudWatch
        would not take them all; returns the destination."""
        oldest = utcnow() - MAX_AGE
        if any(as_utc(event.occurred_at) < oldest for event in events):
            raise AtsparkError(
                "CloudWatch Logs takes no events older than 14 days: export with --since "
                "within the last 14 days, or to s3:// or file://"
            )
        planned = batches(
            [{"timestamp": _millis(e.occurred_at), "message": line(e)} for e in events]
        )
        logs = client(settings, "logs")
        with aws_errors(str(self)):
            _create(logs.create_log_group, logGroupName=self.group)
            _create(logs.create_log_stream, logGroupName=self.group, logStreamName=self.stream)
            for batch in planned:
                response = logs.put_log_events(
                    logGroupName=self.group, logStreamName=self.stream, logEvents=batch
                )
                if rejected := response.get("rejectedLogEventsInfo"):
                    raise AtsparkError(
                        f"CloudWatch Logs rejected events written to {self} ({', '.join(rejected)})"
                    )
        return str(self)


def batches(log_events: Sequence[LogEvent]) -> list[list[LogEvent]]:
    """``log_events`` in time order, cut into batches PutLogEvents takes: at most 10,000 events
    and 1 MiB (each message's UTF-8 bytes plus 26) each, spanning less than 24 hours."""
    planned: list[list[LogEvent]] = []
    batch: list[LogEvent] = []
    size = 0
    for event in sorted(log_events, key=lambda event: event["timestamp"]):
        cost = len(event["message"].encode()) + EVENT_OVERHEAD
        if cost > MAX_EVENT_BYTES:
            raise AtsparkError(
                f"an audit event of {cost} bytes is larger than CloudWatch Logs takes "
                f"({MAX_EVENT_BYTES})"
            )
        if batch and (
            len(batch) == MAX_EVENTS
            or size + cost > MAX_BATCH_BYTES
            or event["timestamp"] - batch[0]["timestamp"] >= MAX_SPAN_MS
        ):
            planned.append(batch)
            batch, size = [], 0
        batch.append(event)
        size += cost
    return [*planned, batch] if batch else planned


def _millis(moment: datetime) -> int:
    return int(as_utc(moment).timestamp() * 1000)


def _create(call: Callable[..., Any], **names: str) -> None:
    """Create a log group or stream, unless it exists already."""
    try:
        call(**names)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
            raise
