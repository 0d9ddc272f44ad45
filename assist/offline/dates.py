"""Time ranges a question names, resolved against ``today`` as half-open ranges of days.

Relative periods are calendar ones: weeks start on Monday; "last month" is the previous complete
one; "last 30 days" ends today (inclusive); "last 6 months" are the complete months before this
one. A month or quarter named without a year ("in March", "Q3") is the most recent one that has
started. A range that starts after today is refused: nothing happened in it yet; one that ends
after today ("this month") ends today.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from assist.offline.text import NUMBER, Words, alternation, number, words_pattern
from assist.semantic.query import GRAINS, TimeRange

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WORDS = frozenset(
    {*MONTHS, *GRAINS, *(f"{unit}s" for unit in GRAINS)}
    | set(
        "today yesterday this last past previous current since between from to until till through"
        " thru so far date ytd qtd mtd wtd".split()
    )
)
"""Every word the time ranges below are written with."""
_ONE_DAY = timedelta(days=1)
_YEAR = r"(?:19|20)\d\d"
_MONTH = alternation(MONTHS)
# "may" is a month only with a year or after a preposition: "may I see..." is not May.
_BARE_MONTH = alternation(set(MONTHS) - {"may"}) + r"|(?:(?<=in )|(?<=for )|(?<=during ))may"
_UNIT = alternation(GRAINS)
_OTHER_POINTS = (
    rf"q[1-4](?: (?:of )?{_YEAR})?|{_YEAR} q[1-4]|\d{{4}}-\d\d-\d\d|\d{{4}}-\d\d|{_YEAR}"
)
_POINT = rf"(?:{_MONTH}(?: (?:of )?{_YEAR})?|{_OTHER_POINTS})"
"""A day, month, quarter or year, with or without its year: "March", "Q3 2025", "2025-03-01"."""
_BARE_POINT = rf"(?:{_MONTH} (?:of )?{_YEAR}|{_BARE_MONTH}|{_OTHER_POINTS})"


class DateError(ValueError):
    """A named range that cannot be answered: in the future, empty, or not a date."""


def period_start(unit: str, day: date) -> date:
    """The first day of the ``unit`` (a grain) that contains ``day``."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    month = {"month": day.month, "quarter": (day.month - 1) // 3 * 3 + 1, "year": 1}[unit]
    return date(day.year, month, 1)


def shift(unit: str, start: date, periods: int) -> date:
    """The first day of the ``unit`` ``periods`` after (or before) the one starting on ``start``."""
    if unit in ("day", "week"):
        return start + timedelta(days=periods * (7 if unit == "week" else 1))
    months = (
        start.year * 12 + start.month - 1 + periods * {"month": 1, "quarter": 3, "year": 12}[unit]
    )
    return date(months // 12, months % 12 + 1, 1)


@dataclass(frozen=True)
class _Point:
    """A day, month, quarter or year as written; ``year`` is None when the question left it out."""

    unit: str
    number: int
    year: int | None
    day: date | None = None

    def bounds(self, year: int) -> tuple[date, date]:
        if self.day is not None:
            return self.day, self.day + _ONE_DAY
        if self.unit == "year":
            start = date(year, 1, 1)
        else:
            start = date(year, self.number if self.unit == "month" else self.number * 3 - 2, 1)
        return start, shift(self.unit, start, 1)

    def latest_year(self, today: date) -> int:
        """Its year as written, or else the year of the most recent one that has started."""
        if self.year is not None:
            return self.year
        return today.year if self.bounds(today.year)[0] <= today else today.year - 1


def _point(text: str) -> _Point:
    words = text.replace(" of ", " ").split()
    year = next((int(w) for w in words if re.fullmatch(_YEAR, w)), None)
    first = words[0]
    if re.fullmatch(r"\d{4}-\d\d(-\d\d)?", first):
        try:
            day = date.fromisoformat(first if len(first) == 10 else f"{first}-01")
        except ValueError:
            raise DateError(f"'{text}' is not a date") from None
        if len(first) == 10:
            return _Point("day", 0, day.year, day)
        return _Point("month", day.month, day.year)
    quarter = next((w for w in words if w.startswith("q")), None)
    if quarter:
        return _Point("quarter", int(quarter[1]), year)
    if first in MONTHS:
        return _Point("month", MONTHS[first], year)
    return _Point("year", 0, year)


def _between(match: re.Match[str], today: date) -> tuple[date, date]:
    first, last = _point(match["a"] or match["c"]), _point(match["b"] or match["d"])
    if first.year is not None and last.year is None:  # "from March 2025 to June": June after it
        first_year = first.year
        last_year = first_year + (last.bounds(first_year)[0] < first.bounds(first_year)[0])
    else:  # "from January to June 2025", or no year at all: up to the latest June
        last_year = last.latest_year(today)
        first_year = first.year
        if first_year is None:
            first_year = last_year - (first.bounds(last_year)[0] > last.bounds(last_year)[0])
    return first.bounds(first_year)[0], last.bounds(last_year)[1]


def _since(match: re.Match[str], today: date) -> tuple[date, date]:
    point = _point(match["point"])
    return point.bounds(point.latest_year(today))[0], today + _ONE_DAY


def _to_date(match: re.Match[str], today: date) -> tuple[date, date]:
    abbreviated = {"y": "year", "q": "quarter", "m": "month", "w": "week"}.get(match["abbr"])
    unit = abbreviated or match["unit"] or match["this"] or match["far"]
    return period_start(unit, today), today + _ONE_DAY


def _last_n(match: re.Match[str], today: date) -> tuple[date, date]:
    count, unit = number(match["n"]), match["unit"]
    if count < 1:
        raise DateError(f"'{match[0]}' covers no time")
    if unit == "day":  # ending today, inclusive
        return today - timedelta(days=count - 1), today + _ONE_DAY
    return complete_periods(unit, count, today)


def complete_periods(unit: str, count: int, today: date) -> tuple[date, date]:
    """The ``count`` complete ``unit`` (a grain) before the one ``today`` is in."""
    current = period_start(unit, today)
    return shift(unit, current, -count), current


def _relative(match: re.Match[str], today: date) -> tuple[date, date]:
    if match["day"]:
        day = today - _ONE_DAY * (match["day"] == "yesterday")
        return day, day + _ONE_DAY
    start = period_start(match["unit"], today)
    if match["which"] in ("last", "previous"):
        start = shift(match["unit"], start, -1)
    return start, shift(match["unit"], start, 1)


def _bare(match: re.Match[str], today: date) -> tuple[date, date]:
    point = _point(match[0])
    return point.bounds(point.latest_year(today))


_Resolver = Callable[[re.Match[str], date], tuple[date, date]]
_FORMS: tuple[tuple[re.Pattern[str], _Resolver], ...] = (
    (
        words_pattern(
            rf"between (?P<a>{_POINT}) and (?P<b>{_POINT})"
            rf"|from (?P<c>{_POINT}) (?:to|until|till|through|thru) (?P<d>{_POINT})"
        ),
        _between,
    ),
    (words_pattern(rf"since (?P<point>{_POINT})"), _since),
    (
        words_pattern(
            rf"(?P<abbr>[yqmw])td|(?P<unit>{_UNIT}) to date"
            rf"|this (?P<this>{_UNIT}) so far|so far this (?P<far>{_UNIT})"
        ),
        _to_date,
    ),
    (words_pattern(rf"(?:last|past|previous) (?P<n>{NUMBER}) (?P<unit>{_UNIT})s?"), _last_n),
    (
        words_pattern(
            rf"(?P<which>this|current|last|previous) (?P<unit>{_UNIT})|(?P<day>today|yesterday)"
        ),
        _relative,
    ),
    (words_pattern(_BARE_POINT), _bare),
)


def _checked(start: date, end: date, label: str, today: date) -> TimeRange:
    """The range, up to today at most: nothing after it can be measured yet (a stock read at the
    end of "this month" is read today, a movement over it compares its start with today)."""
    if start > today:
        raise DateError(f"'{label}' is in the future (today is {day_text(today)})")
    if end <= start:
        raise DateError(f"'{label}' ends before it starts")
    return TimeRange(start, min(end, today + _ONE_DAY), label)


def extract(words: Words, today: date) -> list[TimeRange]:
    """Every time range ``words`` name, consumed; raises ``DateError`` for one that cannot be."""
    ranges = []
    for pattern, resolve in _FORMS:
        for match in words.matches(pattern):
            words.consume(match, "time")
            ranges.append(_checked(*resolve(match, today), words.source(match), today))
    return ranges


def parse(phrase: str, today: date) -> TimeRange | None:
    """The one time range ``phrase`` is (after a preposition); None if it is something else."""
    words = Words(phrase)
    ranges = extract(words, today)
    wholly = set(words.remaining()) <= {"in", "for", "during", "on", "of", "over", "the"}
    return ranges[0] if len(ranges) == 1 and wholly else None


def day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def period_name(time_range: TimeRange) -> str | None:
    """ "October 2026", "Q3 2026" or "2026" when the range is exactly that period, else None."""
    start = time_range.start
    for unit, name in (
        ("month", f"{start:%B %Y}"),
        ("quarter", f"Q{(start.month + 2) // 3} {start.year}"),
        ("year", str(start.year)),
    ):
        if period_start(unit, start) == start and shift(unit, start, 1) == time_range.end:
            return name
    return None
