import pytest

from assist.providers.base import ProviderError
from assist.sql_text import EXPLANATION_LIMIT, extract_sql

SQL = "SELECT count(*) AS customers FROM customers"


@pytest.mark.parametrize(
    "content",
    [
        SQL,
        f"  {SQL};\n",
        f"{SQL} ;;",
        f"```sql\n{SQL}\n```",
        f"```\n{SQL};\n```",
        f"```SQL\n{SQL}\n```",
        f"```duckdb\n{SQL}\n```",
    ],
)
def test_sql_alone_has_no_explanation(content):
    assert extract_sql(content) == (SQL, None)


def test_text_around_a_fence_is_the_explanation():
    content = f"Here is the query.\n\n```sql\n{SQL}\n```\n\nIt counts   every\ncustomer."
    assert extract_sql(content) == (SQL, "Here is the query. It counts every customer.")


def test_a_long_explanation_is_clipped():
    sql, explanation = extract_sql(f"```sql\n{SQL}\n```\n" + "word " * 200)
    assert sql == SQL
    assert len(explanation) == EXPLANATION_LIMIT
    assert explanation.endswith("…")


def test_the_first_sql_fence_wins_over_other_languages():
    content = f"```python\nprint('no')\n```\n```sql\n{SQL}\n```\n```sql\nSELECT 2\n```"
    assert extract_sql(content)[0] == SQL


def test_an_unclosed_fence_still_gives_its_sql():
    assert extract_sql(f"```sql\n{SQL}") == (SQL, None)


@pytest.mark.parametrize(
    "content",
    [
        f'{{"sql": "{SQL};", "explanation": "Counts customers."}}',
        f'```json\n{{"sql": "{SQL}", "explanation": "Counts customers."}}\n```',
    ],
)
def test_json_object_form(content):
    assert extract_sql(content) == (SQL, "Counts customers.")


def test_json_without_explanation():
    assert extract_sql(f'{{"sql": "{SQL}"}}') == (SQL, None)


def test_multiline_with_query():
    sql = "WITH paid AS (\n  SELECT * FROM invoices WHERE paid\n)\nSELECT count(*) FROM paid"
    assert extract_sql(sql + ";") == (sql, None)


def test_thinking_is_ignored():
    content = f"<think>\nMaybe ```sql\nSELECT 1\n``` ... no.\n</think>\n\n```sql\n{SQL}\n```"
    assert extract_sql(content) == (SQL, None)


@pytest.mark.parametrize(
    ("content", "quoted"),
    [
        ("With these tables I cannot tell you the headcount.", "I cannot tell you the headcount"),
        ("Selecting employees is impossible: no such table.", "no such table"),
        ('{"sql": null, "explanation": "No table holds employees."}', "No table holds employees."),
        ("```sql\n\n```\nNo table holds employees.", "No table holds employees."),
    ],
)
def test_prose_only_is_no_sql_and_quotes_the_model(content, quoted):
    with pytest.raises(ProviderError) as raised:
        extract_sql(content)
    assert raised.value.kind == "no_sql"
    assert quoted in str(raised.value)


@pytest.mark.parametrize("content", ["", "   \n", "<think>hmm</think>"])
def test_empty_is_no_sql(content):
    with pytest.raises(ProviderError) as raised:
        extract_sql(content)
    assert raised.value.kind == "no_sql"
