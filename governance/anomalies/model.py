"""What the anomaly detectors read (audit events) and what they find."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """One audit event as the detectors see it (``tenant`` is the slug; None: the platform's)."""

    tenant: str | None
    sequence: int
    occurred_at: datetime
    actor: str
    action: str
    outcome: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """Something unusual: ``detector`` found it about ``subject`` (an account, an address, a
    connection, a user, or the tenant) over ``window`` (start, end)."""

    tenant: str | None
    detector: str
    subject: str
    severity: str  # low | medium | high
    window: tuple[datetime, datetime]
    evidence: Mapping[str, Any]

    def document(self) -> dict[str, Any]:
        """As JSON (times in ISO 8601)."""
        return {
            "tenant": self.tenant,
            "detector": self.detector,
            "subject": self.subject,
            "severity": self.severity,
            "window": [moment.isoformat() for moment in self.window],
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class Thresholds:
    """What counts as unusual; every field can be set (``ATSPARK_ANOMALY_THRESHOLDS``)."""

    signin_window_minutes: int = 15
    signin_failures_per_account: int = 10
    signin_failures_per_address: int = 20
    signin_accounts_per_address: int = 5
    bulk_read_baseline_days: int = 14
    bulk_read_factor: float = 10.0
    bulk_read_min_rows: int = 100_000

    @classmethod
    def parse(cls, text: str) -> "Thresholds":
        """``name=value,name=value`` over the defaults; an unknown name or bad value is refused."""
        known = {f.name: f.type for f in fields(cls)}
        given: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in known:
                raise ValueError(
                    f"must set known thresholds, not {name!r} (known: {', '.join(known)})"
                )
            convert = float if known[name] in (float, "float") else int
            try:
                number = convert(value.strip())
            except ValueError:
                number = 0
            if not number > 0:
                raise ValueError(f"must set {name} to a number above zero, not {value!r}")
            given[name] = number
        return cls(**given)


Detector = Callable[[Sequence[Event], Thresholds], list[Finding]]
"""A detector: findings in events (every chain's, oldest first) under thresholds."""
