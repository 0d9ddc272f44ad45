"""The offline AI Assist engine: accuracy on the question set, and throughput.

Accuracy: tests/assist/questions.yaml, every question answered against the built-in catalog at
the set's fixed today; exact answers (target >= 90%) and wrong ones (answered but not as
expected, or answered when it must decline: target 0).

Throughput: questions understood per second over the whole set, the catalog's lexicon built;
questions answered per second (understood and compiled to the SQL that then runs governed); and
the first question on a catalog, which builds its lexicon (patterns and phrase tables).
"""

import time
from dataclasses import replace
from pathlib import Path

from assist.offline import Understanding, understand
from assist.offline.evaluation import evaluate, load_question_set
from assist.semantic.catalog import load_catalog
from assist.semantic.compile import compile_metric
from bench.report import emit

QUESTIONS = Path(__file__).resolve().parents[1] / "tests" / "assist" / "questions.yaml"
ROUNDS = 20
STRIPE_TABLES = {
    f"stripe.{stream}": f"stripe_{stream}"
    for stream in ("customers", "subscriptions", "invoices", "charges", "refunds", "disputes",
                   "products")
}  # fmt: skip


def accuracy() -> None:
    today, entries = load_question_set(QUESTIONS)
    score = evaluate(entries, load_catalog(), today)
    total = len(entries)
    emit("assist_offline_exact_ratio", score.exact / total, ">= 0.9", questions=total)
    emit("assist_offline_wrong_answers", len(score.wrong), "0", questions=total)


def throughput() -> None:
    today, entries = load_question_set(QUESTIONS)
    questions = [entry["question"] for entry in entries]
    catalog = load_catalog()
    started = time.perf_counter()
    understand(questions[0], replace(catalog), today)  # a new catalog object: a new lexicon
    emit("assist_offline_first_question_ms", (time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for question in questions:
            understand(question, catalog, today)
    elapsed = time.perf_counter() - started
    emit(
        "assist_offline_questions_per_s",
        ROUNDS * len(questions) / elapsed,
        ">= 1000",
        questions=ROUNDS * len(questions),
    )
    started = time.perf_counter()
    for question in questions:
        understood = understand(question, catalog, today)
        if isinstance(understood, Understanding):
            compile_metric(understood.query, catalog, STRIPE_TABLES, today)
    elapsed = time.perf_counter() - started
    emit("assist_offline_answers_per_s", len(questions) / elapsed, questions=len(questions))


if __name__ == "__main__":
    accuracy()
    throughput()
