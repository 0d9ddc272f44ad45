"""Faults on schedule, shared by every simulator: which fault request number N gets, and a
connection dropped in the middle of a body. Each simulator answers a due fault in its vendor's
shape (a 429 body and headers, a 5xx body)."""

import collections
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["rate_limit", "error", "reset", "slow"]
KINDS: tuple[FaultKind, ...] = ("rate_limit", "error", "reset", "slow")


@dataclass(frozen=True)
class Faults:
    """Every Nth API request fails this way (0: never)."""

    rate_limit_every: int = 0
    error_every: int = 0
    reset_every: int = 0
    slow_every: int = 0
    slow_seconds: float = 2.0
    retry_after_seconds: int = 1
    max_each: int | None = None
    """Stop a kind of fault after this many (None: never stop)."""


class FaultSchedule:
    """Which fault, if any, each numbered request gets; counts what fired."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.fired: collections.Counter[str] = collections.Counter()

    def due(self, number: int) -> FaultKind | None:
        for kind in KINDS:
            every = getattr(self.faults, f"{kind}_every")
            if every and not number % every and self.fired[kind] != self.faults.max_each:
                self.fired[kind] += 1
                return kind
        return None


async def reset_mid_body(
    send: Any, start: bytes, content_type: bytes = b"application/json"
) -> None:
    """Start a 200 answer, send ``start`` of its body, and drop the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", content_type), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": start, "more_body": True})
    raise ConnectionResetError("sandbox: connection reset in the middle of a body")
