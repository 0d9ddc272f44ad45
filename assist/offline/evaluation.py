"""The engine scored on a question set with expected answers (tests/assist/questions.yaml).

An answer is exact when its query equals the expected one (range labels aside); it is wrong when
the engine answered but differs, or answered a question that must be declined. A decline is never
wrong: it is only not exact.
"""

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assist.offline.engine import Declined, Understanding, understand
from assist.semantic.catalog import Catalog
from assist.semantic.query import MetricQuery, TimeRange


@dataclass(frozen=True)
class Outcome:
    question: str
    expected: MetricQuery | None
    """None: the question must be declined."""
    answer: Understanding | Declined

    @property
    def answered(self) -> MetricQuery | None:
        if isinstance(self.answer, Declined):
            return None
        time_range = self.answer.query.time_range
        unlabelled = time_range and replace(time_range, label="")
        return replace(self.answer.query, time_range=unlabelled)

    @property
    def exact(self) -> bool:
        return self.answered == self.expected

    @property
    def wrong(self) -> bool:
        return self.answered is not None and self.answered != self.expected


@dataclass(frozen=True)
class Score:
    outcomes: tuple[Outcome, ...]

    @property
    def exact(self) -> int:
        return sum(outcome.exact for outcome in self.outcomes)

    @property
    def wrong(self) -> tuple[Outcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.wrong)

    def __str__(self) -> str:
        total = len(self.outcomes)
        return (
            f"{self.exact}/{total} exact ({self.exact / total:.1%}), {len(self.wrong)} wrong,"
            f" {sum(isinstance(o.answer, Declined) for o in self.outcomes)} declined"
        )


def load_question_set(path: Path) -> tuple[date, list[dict[str, Any]]]:
    """The set's ``today`` and its entries."""
    spec = yaml.safe_load(path.read_text())
    return spec["today"], spec["questions"]


def expected_query(entry: dict[str, Any]) -> MetricQuery | None:
    """The query an entry expects (keys left out: no grain, range, dimension, filter or order)."""
    if entry.get("decline"):
        return None
    start, end = entry.get("start"), entry.get("end")
    return MetricQuery(
        metric=entry["metric"],
        grain=entry.get("grain"),
        dimensions=tuple(entry.get("dimensions", ())),
        time_range=TimeRange(start, end) if start or end else None,
        filters=tuple(tuple(pair) for pair in entry.get("filters", ())),
        order=entry.get("order"),
        limit=entry.get("limit"),
    )


def evaluate(entries: list[dict[str, Any]], catalog: Catalog, today: date) -> Score:
    return Score(
        tuple(
            Outcome(
                entry["question"],
                expected_query(entry),
                understand(entry["question"], catalog, today),
            )
            for entry in entries
        )
    )
