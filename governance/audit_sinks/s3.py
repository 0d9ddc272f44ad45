"""S3: a trail as one JSON Lines object, its key naming the tenant and the time range."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from governance.audit_sinks.aws import aws_errors, client
from governance.audit_sinks.records import json_lines, span
from governance.errors import AtsparkError
from governance.settings import Settings
from governance.store.models import AuditEvent

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class S3Destination:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, location: str) -> "S3Destination":
        """``BUCKET/PREFIX`` (the prefix may be empty)."""
        bucket, _, prefix = location.partition("/")
        if not bucket:
            raise AtsparkError("s3:// names no bucket (expected s3://BUCKET/PREFIX)")
        if not _BUCKET.fullmatch(bucket):
            raise AtsparkError(
                "the S3 bucket name is not valid: 3 to 63 lowercase letters, digits, dots "
                "and hyphens"
            )
        return cls(bucket, prefix.strip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, tenant: str, start: datetime, end: datetime) -> str:
        name = f"atspark-audit-{tenant}-{start:{_STAMP}}-{end:{_STAMP}}.jsonl"
        return f"{self.prefix}/{name}" if self.prefix else name

    def write(
        self,
        settings: Settings,
        tenant: str,
        events: Sequence[AuditEvent],
        since: datetime | None,
    ) -> str:
        """Put ``events`` as one object under the prefix; returns its ``s3://`` address."""
        key = self.key(tenant, *span(events, since))
        body = json_lines(events).encode()
        s3 = client(settings, "s3")
        with aws_errors(str(self)):
            s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/x-ndjson"
            )
        return f"s3://{self.bucket}/{key}"
