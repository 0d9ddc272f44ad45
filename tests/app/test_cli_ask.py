"""``atspark ask`` as people run it: the JSON contract, exit statuses, and the model's settings."""

import json
import os
import subprocess

import pytest

from governance.platform import Platform
from governance.settings import ENV_PREFIX, Settings
from tests.app.test_cli import ATSPARK
from tests.fixtures.assist import OWNER, VIEWER, stripe_world
from tests.fixtures.llm_server import running_llm_server
from tests.fixtures.platform import dispose

CONTRACT = {"question", "sql", "columns", "rows", "row_count", "provider", "model"}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    platform = Platform(Settings(home=tmp_path_factory.mktemp("ask") / "home"))
    stripe_world(platform)
    yield platform.settings.home
    dispose(platform)


def ask(home, *args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env |= {"ATSPARK_HOME": str(home), **environment}
    command = [ATSPARK, "ask", "acme", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_an_answer_as_json_carries_the_contracts_fields(home):
    done = ask(home, "--as", OWNER, "--format", "json", "MRR by month in 2025")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert CONTRACT <= set(answer) and answer["provider"] == "offline"
    assert answer["columns"] == ["period", "mrr"] and answer["row_count"] == 12
    assert [row[0] for row in answer["rows"]][:2] == ["2025-01-01", "2025-02-01"]
    assert answer["question"] == "MRR by month in 2025" and "stripe_invoices" in answer["sql"]
    assert "2025" in answer["explanation"]


def test_an_answer_as_a_table_says_what_was_understood(home):
    done = ask(home, "--as", OWNER, "--show-sql", "top 3 customers by revenue in 2025")
    assert done.returncode == 0, done.stderr
    assert "Net revenue" in done.stdout and "customer" in done.stdout
    assert "stripe_charges" in done.stdout  # --show-sql


def test_a_declined_question_exits_1_with_its_reason_and_no_rows(home):
    done = ask(home, "--as", OWNER, "--format", "json", "how many employees do we have")
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert (answer["outcome"], answer["rows"], answer["row_count"]) == ("declined", [], 0)
    assert "employees" in answer["reason"]
    plain = ask(home, "--as", OWNER, "how many employees do we have")
    assert plain.returncode == 1 and "declined:" in plain.stderr and plain.stdout == ""


def test_a_user_without_assist_use_is_refused_with_status_2(home):
    done = ask(home, "--as", VIEWER, "What was MRR last month?")
    assert done.returncode == 2 and "assist.use" in done.stderr


@pytest.mark.parametrize(
    ("question", "message"), [("   ", "it is empty"), ("x" * 2001, "at most 2000 characters")]
)
def test_a_question_that_is_no_question_is_a_user_mistake(home, question, message):
    done = ask(home, "--as", OWNER, question)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_the_openai_provider_is_chosen_by_the_environment_with_openai_api_key_as_fallback(home):
    with running_llm_server() as llm:
        llm.reply("SELECT count(*) AS notes FROM crm_notes")
        done = ask(
            home, "--as", OWNER, "--format", "json", "how many notes?",
            ATSPARK_LLM_PROVIDER="openai", ATSPARK_LLM_BASE_URL=llm.base_url,
            ATSPARK_LLM_MODEL="local-sql-7b", OPENAI_API_KEY="sk-fallback-key",
        )  # fmt: skip
        request = llm.requests[0]
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["provider"], answer["model"], answer["rows"]) == (
        "openai",
        "local-sql-7b",
        [[1]],
    )
    assert request.headers["authorization"] == "Bearer sk-fallback-key"
    assert request.body["model"] == "local-sql-7b"


def test_a_bad_provider_setting_is_one_clear_line(home):
    done = ask(home, "--as", OWNER, "mrr", ATSPARK_LLM_PROVIDER="gpt")
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "error: ATSPARK_LLM_PROVIDER must be 'offline' or 'openai', not 'gpt'"
    )
