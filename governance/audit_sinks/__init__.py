"""Where ``audit export`` sends a tenant's trail as JSON Lines: a file, S3 or CloudWatch Logs.

A destination is written as ``file://PATH``, ``s3://BUCKET/PREFIX`` or
``cloudwatch://GROUP/STREAM`` and shows as that text again. None carries credentials: AWS's come
from its default chain, and the clients use the platform's AWS endpoint and region.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from governance.audit_sinks.cloudwatch import CloudWatchDestination
from governance.audit_sinks.s3 import S3Destination
from governance.errors import AtsparkError

EXPECTED = "file://PATH, s3://BUCKET/PREFIX or cloudwatch://GROUP/STREAM"
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,19}")


@dataclass(frozen=True)
class FileDestination:
    """A local file; the caller checks where it may be, and writes it whole."""

    path: Path

    def __str__(self) -> str:
        return f"file://{self.path}"


Destination = FileDestination | S3Destination | CloudWatchDestination


def parse_destination(text: str) -> Destination:
    """The destination ``text`` names; a mistake is one line that never echoes the text whole."""
    scheme, separator, rest = text.partition("://")
    scheme = scheme.lower()
    if not separator or not _SCHEME.fullmatch(scheme):
        raise AtsparkError(f"an export destination looks like {EXPECTED}")
    if scheme == "file":
        if not rest.strip():
            raise AtsparkError("file:// names no file (expected file://PATH)")
        return FileDestination(Path(rest).expanduser())
    if scheme == "s3":
        return S3Destination.parse(rest)
    if scheme == "cloudwatch":
        return CloudWatchDestination.parse(rest)
    raise AtsparkError(f"cannot export to {scheme}://: expected {EXPECTED}")
