import time
from datetime import date

import pytest

from assist.prompt import Column, PromptContext, Repair, Table, messages
from assist.providers.base import ProviderError
from assist.providers.openai_compatible import PLACEHOLDER_API_KEY, OpenAICompatible
from assist.semantic.catalog import load_catalog
from tests.fixtures.llm_server import DEFAULT_SQL, Reply, failure, running_llm_server, slow
from tests.fixtures.services import free_port

KEY = "sk-test-8f3a1c9e7d"
MODEL = "test-model"
SQL = "SELECT count(*) AS n FROM stripe.customers"
QUESTION = "How many customers do we have?"
CONTEXT = PromptContext(
    "duckdb",
    (Table("stripe.customers", (Column("id", "text"), Column("created", "bigint"))),),
    load_catalog(),
    date(2025, 3, 14),
)


@pytest.fixture(scope="module")
def llm_server():
    with running_llm_server() as server:
        yield server


@pytest.fixture
def llm(llm_server):
    llm_server.reset()
    return llm_server


def provider(base_url: str, api_key: str | None = KEY, timeout: float = 5.0) -> OpenAICompatible:
    return OpenAICompatible(base_url=base_url, model=MODEL, api_key=api_key, timeout=timeout)


def failure_of(model: OpenAICompatible) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        model.generate(CONTEXT, QUESTION)
    assert KEY not in str(raised.value)
    return raised.value


def test_bare_sql(llm):
    llm.reply(SQL + ";")
    generation = provider(llm.base_url).generate(CONTEXT, QUESTION)
    assert (generation.sql, generation.explanation, generation.model) == (SQL, None, MODEL)


def test_fenced_sql_with_explanation(llm):
    llm.reply(f"```sql\n{SQL}\n```\nCounts every customer.")
    generation = provider(llm.base_url).generate(CONTEXT, QUESTION)
    assert (generation.sql, generation.explanation) == (SQL, "Counts every customer.")


def test_json_object_and_the_configured_model_whatever_the_server_names(llm):
    llm.reply(Reply(f'{{"sql": "{SQL}", "explanation": "Counts."}}', model="test-model-2025"))
    generation = provider(llm.base_url).generate(CONTEXT, QUESTION)
    assert (generation.sql, generation.explanation) == (SQL, "Counts.")
    assert generation.model == MODEL


def test_the_request_is_a_plain_chat_completion(llm):
    provider(llm.base_url).generate(CONTEXT, QUESTION)
    (request,) = llm.requests
    assert request.body["model"] == MODEL
    assert request.body["messages"] == messages(CONTEXT, QUESTION)
    assert request.body["temperature"] == 0
    assert not {"tools", "functions", "tool_choice", "response_format"} & request.body.keys()
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_a_repair_carries_the_refused_sql_and_the_reason(llm):
    repair = Repair("SELECT * FROM hr.payroll", "table hr.payroll is not readable")
    generation = provider(llm.base_url).generate(CONTEXT, QUESTION, repair)
    assert generation.sql == DEFAULT_SQL
    sent = "\n".join(m["content"] for m in llm.requests[0].body["messages"])
    assert repair.sql in sent and repair.refusal in sent


def test_a_local_server_without_key_gets_a_placeholder_not_the_environment(llm, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    provider(llm.base_url, api_key=None).generate(CONTEXT, QUESTION)
    assert llm.requests[0].headers["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


def test_no_key_and_no_server_is_unavailable_when_asked_before_anything_is_sent():
    with pytest.raises(ProviderError) as raised:
        OpenAICompatible(base_url=None, model=MODEL, api_key=None).generate(CONTEXT, QUESTION)
    assert raised.value.kind == "unavailable"
    assert "ATSPARK_LLM_API_KEY" in str(raised.value)


def test_rate_limit_reaches_the_user_at_once(llm):
    llm.reply(failure(429, retry_after=20))
    started = time.monotonic()
    error = failure_of(provider(llm.base_url))
    assert error.kind == "rate_limited"
    assert "429" in str(error) and "20 s" in str(error)
    assert len(llm.requests) == 1
    assert time.monotonic() - started < 2


def test_server_error_is_unavailable(llm):
    llm.reply(failure(500))
    error = failure_of(provider(llm.base_url))
    assert (error.kind, str(error)) == ("unavailable", "The AI model's server answered HTTP 500.")
    assert len(llm.requests) == 1


def test_a_refused_key_is_rejected_and_never_quoted(llm):
    llm.reply(failure(401, message=f"Incorrect API key provided: {KEY}"))
    error = failure_of(provider(llm.base_url))
    assert error.kind == "rejected" and "401" in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_an_unknown_model_is_rejected(llm):
    llm.reply(failure(404, message="model not found"))
    error = failure_of(provider(llm.base_url))
    assert error.kind == "rejected" and "404" in str(error)


def test_a_slow_model_times_out(llm):
    llm.reply(slow(3.0))
    started = time.monotonic()
    error = failure_of(provider(llm.base_url, timeout=0.5))
    assert error.kind == "timeout" and "0.5 s" in str(error)
    assert time.monotonic() - started < 2.5


def test_an_unreachable_server_is_unavailable_and_named_without_credentials():
    port = free_port()
    error = failure_of(provider(f"http://admin:hunter2@127.0.0.1:{port}/v1"))
    assert error.kind == "unavailable"
    assert f"127.0.0.1:{port}" in str(error)
    assert "hunter2" not in str(error)


def test_prose_only_is_no_sql(llm):
    llm.reply("No table here holds employees, so I cannot answer that.")
    error = failure_of(provider(llm.base_url))
    assert error.kind == "no_sql" and "No table here holds employees" in str(error)


@pytest.mark.parametrize("raw", ["<html>Welcome</html>", {"status": "ok"}, {"choices": []}])
def test_a_server_that_is_no_model_is_unavailable(llm, raw):
    llm.respond_with(lambda request: Reply(raw=raw))
    error = failure_of(provider(llm.base_url))
    assert error.kind == "unavailable" and "chat completion" in str(error)
