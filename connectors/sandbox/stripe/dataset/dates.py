"""Calendar arithmetic on epoch seconds (UTC): billing periods, midnights, day labels."""

import time
from datetime import UTC, date, datetime

MINUTE = 60
HOUR = 3600
DAY = 86400

_CAL_BASE_YEAR = 2000


def _month_table() -> list[tuple[int, int]]:
    """Month index (from January 2000) -> (epoch day of the 1st, days in the month)."""
    epoch = date(1970, 1, 1).toordinal()
    months = []
    for year in range(_CAL_BASE_YEAR, 2100):
        for month in range(1, 13):
            first = date(year, month, 1)
            following = date(year + (month == 12), month % 12 + 1, 1)
            months.append((first.toordinal() - epoch, (following - first).days))
    return months


_MONTHS = _month_table()


class Anchor:
    """A billing cycle anchor: periods start on the anchor's day of month (clamped)."""

    __slots__ = ("day", "month_index", "months", "second_of_day")

    def __init__(self, ts: int, interval: str) -> None:
        d = datetime.fromtimestamp(ts, UTC)
        self.month_index = (d.year - _CAL_BASE_YEAR) * 12 + d.month - 1
        self.day = d.day
        self.second_of_day = ts % DAY
        self.months = 12 if interval == "year" else 1

    def boundary(self, k: int) -> int:
        """Start of period ``k`` (period 0 starts at the anchor)."""
        first, days = _MONTHS[self.month_index + k * self.months]
        return (first + min(self.day, days) - 1) * DAY + self.second_of_day


def add_months(ts: int, months: int) -> int:
    return Anchor(ts, "month").boundary(months)


def midnight_after(ts: int, days: int = 0) -> int:
    return (ts // DAY + 1 + days) * DAY


def day_label(ts: int) -> str:
    return time.strftime("%d %b %Y", time.gmtime(ts))
