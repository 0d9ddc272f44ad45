"""AI Assist end to end: the latency ``ask`` adds to the model's own.

A local OpenAI-compatible server (the tests' fake) answers every request at once with a governed
aggregate over a 1,000-row table, a different literal each time so no answer comes from the result
cache. Baselines, in the same run and the same rounds: the same chat completion (the prompt
``ask`` sends) asked directly with the official SDK, the model's own latency here; and the same
kind of SQL run by ``run_query``, the governed read every caller pays. ``ask`` adds the unit of
work (the asker, their permissions and policies), the prompt, the model, the compilation for the
asker, the read in an isolated worker and the audit event: its overhead is its latency minus the
model's in the same round (p50 and p99 over rounds), and the part that is AI Assist's own is
what remains after the governed read's.
"""

import itertools
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from openai import OpenAI

from bench.report import emit
from governance.platform import Platform
from governance.settings import Settings
from services import assist, identity, tenants
from services.context import Operator, ServiceContext, TenantUser
from services.queries import run_query
from tests.fixtures.llm_server import running_llm_server

ROUNDS = 200
WARM_UP = 10
OWNER = "owner@acme.io"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def seeded(home: Path, base_url: str) -> ServiceContext:
    settings = Settings(home=home, llm_provider="openai", llm_base_url=base_url,
                        llm_model="bench", llm_api_key="sk-bench")  # fmt: skip
    operator = ServiceContext(Platform(settings), Operator("bench"))
    tenant = tenants.create_tenant(operator, "acme")
    with operator.platform.warehouse(tenant.id, "acme").write() as connection:
        connection.execute(
            "CREATE TABLE acme.deals AS SELECT i AS id,"
            " ['emea', 'apac', 'us'][i % 3 + 1] AS region, i * 7 % 1000 AS amount"
            " FROM range(1000) AS t(i)"
        )
    identity.add_user(operator, "acme", OWNER, ["owner"])
    return operator.acting_as(TenantUser(OWNER))


def where(counter: itertools.count) -> str:
    """A filter never asked before, so the result cache does not answer."""
    n = next(counter)
    return f"WHERE id >= {n % 500} AND amount >= {n % 400} GROUP BY 1"


def prompt(llm, ctx: ServiceContext) -> list[dict[str, str]]:
    """The messages ``ask`` sends, as the model server received them."""
    assist.ask(ctx, "acme", "sales by region", date.today())
    return llm.requests[-1].body["messages"]


def timed_ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    counter = itertools.count()
    with tempfile.TemporaryDirectory() as tmp, running_llm_server() as llm:
        llm.respond_with(lambda _: f"SELECT region, sum(amount) FROM deals {where(counter)}")
        ctx = seeded(Path(tmp) / "home", llm.base_url)
        client = OpenAI(base_url=llm.base_url, api_key="sk-bench", max_retries=0)
        messages = prompt(llm, ctx)
        samples: dict[str, list[float]] = {"model": [], "query": [], "ask": []}
        calls = {
            "model": lambda: client.chat.completions.create(model="bench", messages=messages),
            "query": lambda: run_query(
                ctx, "acme", f"SELECT region, sum(amount) FROM deals {where(counter)}"
            ),
            "ask": lambda: assist.ask(ctx, "acme", "sales by region", date.today()),
        }
        for round_ in range(WARM_UP + ROUNDS):
            for name, call in calls.items():
                elapsed = timed_ms(call)
                if round_ >= WARM_UP:
                    samples[name].append(elapsed)
        answer = assist.ask(ctx, "acme", "sales by region")
        assert answer.outcome == "ok" and answer.row_count == 3, answer
    rounds = list(zip(samples["model"], samples["query"], samples["ask"], strict=True))
    overhead = [ask - model for model, _, ask in rounds]
    own = [ask - model - query for model, query, ask in rounds]
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        emit(
            f"assist_ask_{name}_ms",
            percentile(samples["ask"], fraction),
            model_ms=round(percentile(samples["model"], fraction), 3),
            governed_query_ms=round(percentile(samples["query"], fraction), 3),
            rounds=ROUNDS,
        )
        emit(f"assist_overhead_{name}_ms", percentile(overhead, fraction))
        emit(f"assist_own_overhead_{name}_ms", percentile(own, fraction))
    emit("assist_ask_mean_ms", statistics.fmean(samples["ask"]))


if __name__ == "__main__":
    main()
