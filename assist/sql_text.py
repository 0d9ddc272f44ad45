"""Pull the SQL, and a short explanation, out of a model's answer.

Accepted forms: bare SQL; SQL in a ```sql (or bare ```) fence, the text around it being the
explanation; a JSON object ``{"sql": ..., "explanation": ...}``, bare or in a ```json fence.
Reasoning models' ``<think>...</think>`` blocks are ignored.
"""

import json
import re

from assist.providers.base import ProviderError

EXPLANATION_LIMIT = 300
"""Characters of explanation kept; a longer one is clipped with an ellipsis."""

_THINKING = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_SQL_FENCE_LANGUAGES = ("", "duckdb", "bigquery")
# A read, or a statement governance must see to refuse it (and say why, for a repair).
_BARE_SQL = re.compile(
    r"select\b|\(\s*select\b|with\s+(recursive\s+)?[\w\"`]+(\s*\([^)]*\))?\s+as\s*\("
    r"|(insert\s+into|delete\s+from|update\s+[\w\"`.]+\s+set"
    r"|(drop|create|alter|truncate)\s+(table|view|schema|database|macro|function|sequence)"
    r"|attach|detach|copy|pragma|install|load)\b",
    re.IGNORECASE,
)

Answer = tuple[str, str | None]


def _clip(text: str) -> str:
    """One line of at most ``EXPLANATION_LIMIT`` printable characters (a model's text reaches
    terminals and the audit trail)."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(text) <= EXPLANATION_LIMIT:
        return text
    return text[: EXPLANATION_LIMIT - 1].rstrip() + "…"


def _statement(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def _from_json(text: str) -> Answer | None:
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    sql, explanation = answer.get("sql"), answer.get("explanation")
    explanation = _clip(explanation) if isinstance(explanation, str) else ""
    return (_statement(sql) if isinstance(sql, str) else ""), explanation or None


def _from_fence(text: str) -> Answer | None:
    for fence in _FENCE.finditer(text):
        language, body = fence.group(1).lower(), fence.group(2)
        if language == "json":
            return _from_json(body)
        if "sql" in language or language in _SQL_FENCE_LANGUAGES:
            around = text[: fence.start()] + " " + text[fence.end() :]
            return _statement(body), _clip(around) or None
    return None


def extract_sql(content: str) -> Answer:
    """``(sql, explanation or None)`` from a completion's content, without a trailing ``;``.

    Raises ``ProviderError(kind="no_sql")`` when it holds no SQL (empty, or prose only, such as
    the model saying the tables cannot answer the question); the message quotes the prose.
    """
    text = _THINKING.sub("", content or "").strip()
    if not text:
        raise ProviderError("The AI model gave an empty answer.", kind="no_sql")
    answer = (_from_json(text) if text.startswith("{") else None) or _from_fence(text)
    if answer is None and _BARE_SQL.match(text):
        answer = _statement(text), None
    if answer is None or not answer[0]:
        prose = answer[1] if answer and answer[1] else _clip(text)
        raise ProviderError(f"The AI model answered without SQL: {prose}", kind="no_sql")
    return answer
