"""Time ranges in questions, resolved against a given today: calendar boundaries, leap years,
Monday weeks, and the most recent month or quarter that has started."""

from datetime import date

import pytest

from assist.offline.dates import DateError, parse


def span(phrase: str, today: date) -> tuple[date, date]:
    resolved = parse(phrase, today)
    assert resolved is not None, phrase
    return resolved.start, resolved.end


@pytest.mark.parametrize(
    ("phrase", "today", "start", "end"),
    [
        # the previous complete period, across a year's boundary
        ("last month", date(2026, 1, 1), date(2025, 12, 1), date(2026, 1, 1)),
        ("last quarter", date(2026, 1, 31), date(2025, 10, 1), date(2026, 1, 1)),
        ("last quarter", date(2026, 4, 1), date(2026, 1, 1), date(2026, 4, 1)),
        ("this quarter", date(2026, 12, 31), date(2026, 10, 1), date(2027, 1, 1)),
        ("this quarter", date(2026, 11, 15), date(2026, 10, 1), date(2026, 11, 16)),
        ("this year", date(2026, 11, 15), date(2026, 1, 1), date(2026, 11, 16)),
        ("Q4 2026", date(2026, 11, 15), date(2026, 10, 1), date(2026, 11, 16)),
        ("last year", date(2026, 1, 1), date(2025, 1, 1), date(2026, 1, 1)),
        # weeks start on Monday: 2026-11-09 is one, 2026-11-15 a Sunday
        ("this week", date(2026, 11, 9), date(2026, 11, 9), date(2026, 11, 10)),  # up to today
        ("this week", date(2026, 11, 15), date(2026, 11, 9), date(2026, 11, 16)),
        ("last week", date(2026, 11, 9), date(2026, 11, 2), date(2026, 11, 9)),
        ("last 2 weeks", date(2026, 11, 11), date(2026, 10, 26), date(2026, 11, 9)),
        # leap years
        ("yesterday", date(2024, 3, 1), date(2024, 2, 29), date(2024, 3, 1)),
        ("in February", date(2024, 3, 1), date(2024, 2, 1), date(2024, 3, 1)),
        ("February 2023", date(2024, 3, 1), date(2023, 2, 1), date(2023, 3, 1)),
        ("last 30 days", date(2024, 3, 1), date(2024, 2, 1), date(2024, 3, 2)),
        ("last 12 months", date(2024, 2, 29), date(2023, 2, 1), date(2024, 2, 1)),
        ("2024-02-29", date(2024, 3, 1), date(2024, 2, 29), date(2024, 3, 1)),
        # a month or quarter without a year: the most recent one that has started
        ("in March", date(2026, 1, 15), date(2025, 3, 1), date(2025, 4, 1)),
        ("in March", date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 2)),
        ("in March", date(2026, 4, 10), date(2026, 3, 1), date(2026, 4, 1)),
        ("Q3", date(2026, 8, 1), date(2026, 7, 1), date(2026, 8, 2)),
        ("Q3", date(2026, 5, 1), date(2025, 7, 1), date(2025, 10, 1)),
        ("since January", date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 2)),
        # ranges between two points, inclusive of both
        ("between Jan 2025 and March 2025", date(2026, 11, 15), date(2025, 1, 1), date(2025, 4, 1)),
        ("from January to June 2025", date(2026, 11, 15), date(2025, 1, 1), date(2025, 7, 1)),
        ("from November to February", date(2026, 5, 1), date(2025, 11, 1), date(2026, 3, 1)),
        ("from Nov 2025 to Feb", date(2026, 5, 1), date(2025, 11, 1), date(2026, 3, 1)),
        ("from 2024 to 2025", date(2026, 5, 1), date(2024, 1, 1), date(2026, 1, 1)),
        ("between 2025-03-01 and 2025-03-31", date(2026, 5, 1), date(2025, 3, 1), date(2025, 4, 1)),
        # to date, and periods ending today
        ("year to date", date(2026, 11, 15), date(2026, 1, 1), date(2026, 11, 16)),
        ("YTD", date(2026, 11, 15), date(2026, 1, 1), date(2026, 11, 16)),
        ("this year so far", date(2026, 11, 15), date(2026, 1, 1), date(2026, 11, 16)),
        ("mtd", date(2026, 11, 15), date(2026, 11, 1), date(2026, 11, 16)),
        ("past 7 days", date(2026, 11, 15), date(2026, 11, 9), date(2026, 11, 16)),
        ("last three months", date(2026, 11, 15), date(2026, 8, 1), date(2026, 11, 1)),
        ("since 2025-03-01", date(2026, 11, 15), date(2025, 3, 1), date(2026, 11, 16)),
        ("since March 2025", date(2026, 11, 15), date(2025, 3, 1), date(2026, 11, 16)),
        ("Q3 2025", date(2026, 11, 15), date(2025, 7, 1), date(2025, 10, 1)),
        ("2025 Q4", date(2026, 11, 15), date(2025, 10, 1), date(2026, 1, 1)),
        ("during 2025", date(2026, 11, 15), date(2025, 1, 1), date(2026, 1, 1)),
    ],
)
def test_a_phrase_resolves_to_its_days(phrase, today, start, end):
    assert span(phrase, today) == (start, end)


def test_may_is_a_month_only_with_a_year_or_after_a_preposition():
    today = date(2026, 11, 15)
    assert span("in May", today) == (date(2026, 5, 1), date(2026, 6, 1))
    assert span("May 2024", today) == (date(2024, 5, 1), date(2024, 6, 1))
    assert parse("may", today) is None


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("in 2027", "in the future"),
        ("December 2026", "in the future"),
        ("Q1 2027", "in the future"),
        ("since 2026-12-01", "in the future"),
        ("2025-02-30", "not a date"),
        ("last 0 days", "covers no time"),
        ("from June 2025 to March 2025", "ends before it starts"),
    ],
)
def test_a_range_that_cannot_be_answered_is_refused(phrase, message):
    with pytest.raises(DateError, match=message):
        parse(phrase, date(2026, 11, 15))
