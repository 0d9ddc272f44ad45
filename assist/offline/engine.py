"""The offline AI Assist engine: a plain-English question mapped onto the metric catalog as a
``MetricQuery``, deterministically, with no model and no network.

Patterns consume the question's words in a fixed order: rankings ("top 10 customers"), time
ranges, metrics (longest phrase first), count words ("how many"), grains, groupings ("by plan"),
filters ("in the US"). Every word left must be a filler ("what", "was", "our"), or the engine
declines, naming the words it did not understand: it never guesses. It declines too when a
question names two metrics, a dimension or filter its metric does not have, or a range in the
future.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

from assist.offline import dates, filters
from assist.offline.lexicon import GRAIN_PHRASES, RANKS, Lexicon, lexicon
from assist.offline.text import T, Words, number, words_pattern
from assist.offline.vocabulary import (
    AMOUNT_MARKERS,
    COUNT_MARKERS,
    END_MARKERS,
    FLOW_VERBS,
    MEANING_CHANGERS,
    PERIOD_COMPARISON,
    STOP_PHRASES,
    STOP_WORDS,
)
from assist.semantic.catalog import Catalog, Metric
from assist.semantic.query import MetricQuery, TimeRange

DEFAULT_LIMIT = 10
"""Rows a ranking keeps when the question gives no number ('top customers')."""
_COMPARISON = words_pattern(PERIOD_COMPARISON)
_MARKERS = words_pattern(
    rf"(?P<count>{COUNT_MARKERS})|(?P<amount>{AMOUNT_MARKERS})|(?P<end>{END_MARKERS})"
    rf"|{STOP_PHRASES}"
)
_QUOTED_WORDS = 8
"""Words of the question a decline quotes back, at most."""
_POPULATION_LEADS = frozenset({"from", "for", "of", "among", "with"})
_POPULATION_ARTICLES = frozenset({"our", "the", "all", "my"})


@dataclass(frozen=True)
class Understanding:
    query: MetricQuery
    explanation: str
    """What was understood, in plain English: "MRR at the end of October 2026 (last month)"."""


@dataclass(frozen=True)
class Declined:
    reason: str
    """What was not understood and what can be asked instead."""


class _Decline(Exception):
    pass


@dataclass
class _Reading:
    """What the patterns found in a question, before it is checked against the catalog."""

    metrics: set[str] = field(default_factory=set)
    markers: set[str] = field(default_factory=set)
    grains: set[str] = field(default_factory=set)
    dimensions: list[str] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)
    rankings: list[tuple[str, int]] = field(default_factory=list)
    ranges: list[TimeRange] = field(default_factory=list)


def understand(question: str, catalog: Catalog, today: date) -> Understanding | Declined:
    """``question`` as a query on ``catalog``, with relative dates read against ``today``."""
    try:
        reading = _read(Words(question), lexicon(catalog), catalog, today)
        query, defaulted = _query(reading, catalog, today)
    except (_Decline, dates.DateError) as declined:
        return Declined(str(declined))
    return Understanding(query, _explain(query, catalog, today, defaulted))


def _read(words: Words, lexicon: Lexicon, catalog: Catalog, today: date) -> _Reading:
    if comparison := next(words.matches(_COMPARISON), None):
        raise _Decline(f"{MEANING_CHANGERS['compare']} ('{comparison[0]}').")
    reading = _Reading()
    _read_rankings(words, lexicon, reading)
    reading.ranges = dates.extract(words, today)
    reading.metrics = _read_metrics(words, lexicon, lexicon.metrics)
    for match in words.matches(_MARKERS):
        words.consume(match, "marker")
        reading.markers |= {name for name in ("count", "amount", "end") if match[name]}
    for match in words.matches(lexicon.grain):
        words.consume(match, "grain")
        reading.grains.add(GRAIN_PHRASES[match[0]])
    for match in words.matches(lexicon.grouping):
        words.consume(match, "dimension")
        for phrase in lexicon.dimension.findall(match["dimensions"]):
            reading.dimensions.append(lexicon.dimension_phrases[phrase])
    reading.filters = filters.extract(words, lexicon)
    if reading.metrics:
        _read_population(words, lexicon)
    elif lexicon.population_metrics is not None:  # "how many customers": the metric after all
        reading.metrics = _read_metrics(words, lexicon, lexicon.population_metrics)
    _check_leftovers(words, reading, catalog)
    return reading


def _read_rankings(words: Words, lexicon: Lexicon, reading: _Reading) -> None:
    for pattern in (lexicon.ranking, lexicon.which):
        for match in words.matches(pattern):
            words.consume(match, "ranking")
            kind, name = lexicon.ranked(match["ranked"])
            if kind == "grain":
                reading.grains.add(name)
            else:
                reading.dimensions.append(name)
            written = match.groupdict().get("before") or match.groupdict().get("after")
            plural = match["ranked"].endswith("s")
            limit = number(written) if written else DEFAULT_LIMIT if plural else 1
            reading.rankings.append((RANKS[match["rank"]], limit))


def _read_metrics(words: Words, lexicon: Lexicon, pattern: re.Pattern[str]) -> set[str]:
    names: set[str] = set()
    for match in words.matches(pattern):
        words.consume(match, "metric")
        names |= lexicon.metric_phrases[match[0]]
    return names


def _read_population(words: Words, lexicon: Lexicon) -> None:
    """Consume the customer words that only say whose figures are asked for, once a metric is
    found: "revenue from customers in Germany", "MRR of UK customers"."""
    for match in words.matches(lexicon.population):
        before = words.indexes(match)[0] - 1
        while words.word(before) in _POPULATION_ARTICLES:
            before -= 1
        if words.word(before) in _POPULATION_LEADS or words.tag(before) == "filter":
            words.consume(match, "population")


def _check_leftovers(words: Words, reading: _Reading, catalog: Catalog) -> None:
    left = [word for word in words.remaining() if word not in STOP_WORDS]
    if len(reading.metrics) == 1:
        (metric,) = reading.metrics
        if catalog.metrics[metric].kind == "flow":
            left = [word for word in left if word not in FLOW_VERBS]
    if changer := next((word for word in left if word in MEANING_CHANGERS), None):
        raise _Decline(f"{MEANING_CHANGERS[changer]} ('{changer}').")
    if not reading.metrics:
        unmatched = _quoted(left) if left else "anything in the question"
        raise _Decline(f"I could not match {unmatched} to a metric. {_offer(catalog)}")
    if len(reading.metrics) > 1:
        titles = " and ".join(sorted(catalog.metrics[name].title for name in reading.metrics))
        raise _Decline(
            f"The question names more than one metric ({titles}); I answer one at a time: "
            "ask about each separately."
        )
    if left:
        raise _Decline(
            f"I did not understand {_quoted(left)}, so I will not guess. {_offer(catalog)}"
        )


def _quoted(words: list[str]) -> str:
    shown = " ".join(words[:_QUOTED_WORDS])
    return f"'{shown} ...'" if len(words) > _QUOTED_WORDS else f"'{shown}'"


def _offer(catalog: Catalog) -> str:
    titles = ", ".join(metric.title for metric in catalog.metrics.values())
    dimensions = ", ".join(catalog.dimensions)
    return (
        f"I can answer about: {titles}; split or filtered by {dimensions}; by day, week, month,"
        " quarter or year; over ranges such as 'last month', 'Q3 2025' or 'since January'."
    )


def _query(reading: _Reading, catalog: Catalog, today: date) -> tuple[MetricQuery, bool]:
    (name,) = reading.metrics
    metric = catalog.metrics[name]
    _check_markers(metric, reading.markers)
    grain = _one(reading.grains, "grain")
    time_range = _one(reading.ranges, "time range")
    order, limit = _one(reading.rankings, "ranking") or (None, None)
    if limit is not None and limit < 1:
        raise _Decline("A ranking keeps at least one row: ask for the top 1 or more.")
    dimensions = tuple(dict.fromkeys(reading.dimensions))
    _check_dimensions(metric, dimensions, "split")
    filter_values = dict(reading.filters)
    if len(filter_values) < len(set(reading.filters)):
        raise _Decline("The question names two values for one filter; I filter by one value each.")
    _check_dimensions(metric, tuple(filter_values), "filtered")
    defaulted = (
        time_range is None and metric.kind != "flow" and bool(grain or metric.kind == "movement")
    )
    if defaulted:
        count, label = (12, "last 12 months") if grain else (1, "last month")
        time_range = TimeRange(*dates.complete_periods("month", count, today), label)
    query = MetricQuery(
        metric=name,
        grain=grain,
        dimensions=dimensions,
        time_range=time_range,
        filters=tuple(sorted(filter_values.items())),
        order=order,
        limit=limit,
    )
    return query, defaulted


def _one(found: Collection[T], what: str) -> T | None:
    if len(set(found)) > 1:
        raise _Decline(f"The question names more than one {what}; I answer with one at a time.")
    return next(iter(found), None)


def _check_markers(metric: Metric, markers: set[str]) -> None:
    unit = {"currency": "an amount", "count": "a count", "ratio": "a rate"}[metric.unit]
    if "count" in markers and metric.unit != "count":
        raise _Decline(f"'How many' asks for a count, but {metric.title} is {unit}.")
    if "amount" in markers and metric.unit == "count":
        raise _Decline(f"'How much' asks for an amount, but {metric.title} is a count.")
    if "end" in markers and metric.kind != "stock":
        raise _Decline(
            f"'At the end of' and 'as of' read a level at a moment, but {metric.title} is"
            " measured over a period: ask for it in or over a range instead."
        )


def _check_dimensions(metric: Metric, dimensions: tuple[str, ...], how: str) -> None:
    unsupported = [d for d in dimensions if d not in metric.dimensions]
    if unsupported:
        supported = ", ".join(metric.dimensions) or "nothing"
        raise _Decline(
            f"{metric.title} cannot be {how} by {' or '.join(unsupported)};"
            f" it can be {how} by {supported}."
        )


def _explain(query: MetricQuery, catalog: Catalog, today: date, defaulted: bool) -> str:
    metric = catalog.metrics[query.metric]
    head = metric.title
    if query.grain:
        head += f" by {query.grain}"
    if query.dimensions:
        head += " by " + " and ".join(query.dimensions)
    extras = []
    if query.filters:
        extras.append("for " + " and ".join(f"{d} {value}" for d, value in query.filters))
    if query.limit is not None:
        extras.append(f"{'top' if query.order == 'desc' else 'bottom'} {query.limit}")
    when = _when(query, metric, today, defaulted)
    return f"{head}, {', '.join(extras)}, {when}" if extras else f"{head} {when}"


def _when(query: MetricQuery, metric: Metric, today: date, defaulted: bool) -> str:
    time_range = query.time_range
    if time_range is None:
        return (
            "over all time" if metric.kind == "flow" else f"as of today ({dates.day_text(today)})"
        )
    note = f" ({time_range.label}{': the default when no range is asked' if defaulted else ''})"
    last = time_range.end - timedelta(days=1)
    if metric.kind == "stock" and not query.grain:
        return f"at the end of {dates.period_name(time_range) or dates.day_text(last)}{note}"
    if time_range.start == last:
        return f"on {dates.day_text(last)}{note}"
    return f"from {dates.day_text(time_range.start)} to {dates.day_text(last)}{note}"
