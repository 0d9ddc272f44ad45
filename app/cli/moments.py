"""Moments given on the command line: ISO 8601 (UTC unless it says), or relative to now."""

import re
from datetime import UTC, datetime, timedelta

from governance.errors import AtsparkError

MOMENT_HELP = (
    "an ISO date or date and time, UTC unless it says (2024-05-01, 2024-05-01T12:00:00Z), "
    "or a time ago (-30m, -2h, -7d)"
)
_AGO = re.compile(r"-\s*(\d{1,6})\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def moment(option: str, text: str | None) -> datetime | None:
    """``text`` as an aware moment; a clear error naming ``option`` when it is none."""
    if text is None:
        return None
    ago = _AGO.fullmatch(text.strip())
    if ago:
        try:
            return datetime.now(UTC) - timedelta(**{_UNITS[ago[2]]: int(ago[1])})
        except OverflowError:
            raise AtsparkError(f"{option} is too far in the past: {text.strip()}") from None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AtsparkError(f"{option} expects {MOMENT_HELP}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
