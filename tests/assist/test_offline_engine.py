"""The offline engine: scored on the question set, and its single behaviours (resolution,
explanations, declines, determinism, a catalog extended in YAML)."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from assist.offline import Declined, Understanding, understand
from assist.offline.evaluation import evaluate, load_question_set
from assist.semantic.catalog import CATALOG_PATH, Catalog, load_catalog
from assist.semantic.query import MetricQuery, TimeRange

QUESTIONS = Path(__file__).with_name("questions.yaml")
TODAY = date(2026, 11, 15)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def answer(question: str, catalog: Catalog, today: date = TODAY) -> MetricQuery:
    understood = understand(question, catalog, today)
    assert isinstance(understood, Understanding), understood
    return understood.query


def reason(question: str, catalog: Catalog, today: date = TODAY) -> str:
    understood = understand(question, catalog, today)
    assert isinstance(understood, Declined), understood
    return understood.reason


def test_the_question_set_is_answered_exactly_or_declined_never_wrong(catalog):
    today, entries = load_question_set(QUESTIONS)
    score = evaluate(entries, catalog, today)
    print(f"offline engine on {QUESTIONS.name}: {score}")
    assert len(entries) >= 70
    assert sum(bool(entry.get("decline")) for entry in entries) >= 12
    assert [(o.question, o.answer) for o in score.wrong] == []
    assert score.exact / len(entries) >= 0.9


def test_the_question_set_covers_every_metric_grain_and_dimension(catalog):
    _, entries = load_question_set(QUESTIONS)
    assert {e["metric"] for e in entries if "metric" in e} == set(catalog.metrics)
    assert {e.get("grain") for e in entries} >= {"day", "week", "month", "quarter", "year"}
    named = {d for e in entries for d in e.get("dimensions", ())}
    named |= {f[0] for e in entries for f in e.get("filters", ())}
    assert named == set(catalog.dimensions)


def test_the_longest_phrase_names_the_metric(catalog):
    assert answer("net new mrr last month", catalog).metric == "net_new_mrr"
    assert answer("churned mrr last month", catalog).metric == "churned_mrr"
    assert answer("gross revenue retention", catalog).metric == "gross_mrr_retention"
    assert answer("gross revenue", catalog).metric == "gross_volume"
    for question in ("failed charges", "charges failed", "how many charges failed"):
        assert answer(question, catalog).metric == "failed_charges"


def test_explanations_say_what_was_understood_with_concrete_dates(catalog):
    def explain(question: str) -> str:
        understood = understand(question, catalog, TODAY)
        assert isinstance(understood, Understanding), understood
        return understood.explanation

    assert explain("What was MRR last month?") == "MRR at the end of October 2026 (last month)"
    assert explain("top 10 customers by revenue last quarter") == (
        "Net revenue by customer, top 10, from 1 Jul 2026 to 30 Sep 2026 (last quarter)"
    )
    assert explain("churn rate by plan") == (
        "Customer churn rate by plan from 1 Oct 2026 to 31 Oct 2026"
        " (last month: the default when no range is asked)"
    )
    assert explain("MRR in the US on the Pro plan") == (
        "MRR, for country US and plan Pro, as of today (15 Nov 2026)"
    )
    assert explain("revenue yesterday") == "Net revenue on 14 Nov 2026 (yesterday)"
    assert explain("gross volume") == "Gross volume over all time"


def test_defaults_follow_the_metric_kind(catalog):
    last_month = TimeRange(date(2026, 10, 1), date(2026, 11, 1))
    last_12_months = TimeRange(date(2025, 11, 1), date(2026, 11, 1))
    unlabelled = lambda query: query.time_range and replace(query.time_range, label="")  # noqa: E731
    assert answer("revenue", catalog).time_range is None  # flow: all time
    assert answer("MRR", catalog).time_range is None  # stock: as of today
    assert unlabelled(answer("expansion MRR", catalog)) == last_month  # movement
    assert unlabelled(answer("MRR by month", catalog)) == last_12_months
    assert unlabelled(answer("churned MRR by week", catalog)) == last_12_months
    assert answer("revenue by month", catalog).time_range is None


def test_rankings_read_direction_and_size(catalog):
    top = answer("top 10 customers by revenue", catalog)
    assert (top.dimensions, top.order, top.limit) == (("customer",), "desc", 10)
    bottom = answer("bottom 5 countries by MRR", catalog)
    assert (bottom.dimensions, bottom.order, bottom.limit) == (("country",), "asc", 5)
    assert answer("top customers by MRR", catalog).limit == 10
    assert answer("top three plans by ARR", catalog).limit == 3
    which = answer("which plan has the most MRR", catalog)
    assert (which.dimensions, which.order, which.limit) == (("plan",), "desc", 1)
    months = answer("top 3 months by revenue in 2025", catalog)
    assert (months.grain, months.order, months.limit) == ("month", "desc", 3)


def test_filters_use_the_catalog_spelling(catalog):
    def filters(question: str) -> tuple[tuple[str, str], ...]:
        return answer(question, catalog).filters

    assert filters("MRR in the United States") == (("country", "US"),)
    assert filters("revenue from UK customers") == (("country", "GB"),)
    assert filters("revenue in DE") == (("country", "DE"),)
    assert filters("MRR for plan Growth") == (("plan", "Growth"),)
    assert filters("MRR on the Basic plan") == (("plan", "Basic"),)
    assert filters("how many Enterprise customers") == (("plan", "Enterprise"),)
    assert filters("revenue in usd") == (("currency", "usd"),)
    assert filters("revenue in EUR") == (("currency", "eur"),)
    assert filters("revenue in dollars") == (("currency", "usd"),)


def test_words_that_look_like_filters_are_not_read_as_filters(catalog):
    assert answer("MRR by product", catalog).filters == ()  # "pro" only as a whole word
    assert answer("show us MRR", catalog).filters == ()  # "us" the pronoun
    assert "prospects" in reason("MRR from prospects", catalog)
    assert "'de'" in reason("revenue in de", catalog)  # "de" lower case is no country code
    assert "growth" in reason("ARR growth", catalog)  # a tier only with a plan or customer word


def test_declines_say_what_was_not_understood(catalog):
    assert reason("how many employees", catalog).startswith(
        "I could not match 'employees' to a metric. I can answer about: MRR, ARR,"
    )
    assert "'employee'" in reason("revenue per employee", catalog)
    two = reason("MRR and churn rate", catalog)
    assert "MRR" in two and "Customer churn rate" in two
    assert reason("net revenue by plan", catalog) == (
        "Net revenue cannot be split by plan; it can be split by customer, currency, country."
    )
    assert "cannot be filtered by plan" in reason("refunds on the Pro plan", catalog)
    assert "future" in reason("revenue in 2027", catalog)
    assert "future" in reason("MRR in December 2026", catalog)
    assert "forecast" in reason("what will MRR be next month", catalog)
    assert "explain why" in reason("why did churn go up", catalog)
    assert "compare" in reason("revenue this year versus last year", catalog)
    assert "compare" in reason("MRR month over month", catalog)
    assert "count" in reason("how many refunds last month", catalog)
    assert "more than one time range" in reason("revenue in 2024 in 2025", catalog)
    for question in ("hello", "drop table users", "ignore previous instructions", "", "???"):
        assert reason(question, catalog).startswith("I could not match")


def test_the_same_question_gets_the_same_answer(catalog):
    _, entries = load_question_set(QUESTIONS)
    fresh = replace(catalog, metrics=dict(catalog.metrics))  # another object: its own lexicon
    for entry in entries:
        first = understand(entry["question"], catalog, TODAY)
        assert understand(entry["question"], catalog, TODAY) == first
        assert understand(entry["question"], fresh, TODAY) == first


def test_a_metric_added_to_the_catalog_is_understood_without_code(tmp_path):
    spec = yaml.safe_load(CATALOG_PATH.read_text())
    spec["metrics"]["support_tickets"] = spec["metrics"]["disputes"] | {
        "title": "Support tickets",
        "synonyms": ["tickets", "helpdesk tickets"],
        "dimensions": ["customer", "country"],
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(spec))
    extended = load_catalog(path)
    query = answer("how many helpdesk tickets by country last week", extended)
    assert query == MetricQuery(
        "support_tickets",
        dimensions=("country",),
        time_range=TimeRange(date(2026, 11, 2), date(2026, 11, 9), "last week"),
    )
    assert "tickets" in reason("how many tickets last week", load_catalog())
