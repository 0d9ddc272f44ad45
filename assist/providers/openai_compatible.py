"""A provider for OpenAI, Azure OpenAI and any OpenAI-compatible server (vLLM, Ollama, LM Studio).

One plain chat completion per question, through the official SDK: no tools, no response format,
no retries (a rate limit reaches the user at once). The model only ever returns text.
"""

from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletion

from assist.prompt import PromptContext, Repair, messages
from assist.providers.base import Generation, ProviderError
from assist.sql_text import extract_sql

OPENAI_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_API_KEY = "none"
"""The key sent to a server given by URL without one: local servers often need no key, the SDK
always sends one."""


def _host(base_url: str) -> str:
    """The server's host and port, never the credentials a URL may carry."""
    parts = urlsplit(base_url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _retry_hint(error: openai.RateLimitError) -> str:
    seconds = error.response.headers.get("retry-after", "")
    return f"in {seconds} s" if seconds.isdigit() else "in a minute"


def _content(completion: object) -> str | None:
    """The first choice's text, or its refusal; None when ``completion`` is no chat completion.

    The SDK does not validate answers (compatible servers differ in details): a server that is
    not one may give text, or JSON without choices.
    """
    choices = getattr(completion, "choices", None)
    if not isinstance(completion, ChatCompletion) or not choices:
        return None
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None) or getattr(message, "refusal", None) or ""
    return content if isinstance(content, str) else None


class OpenAICompatible:
    """Chat completions from ``model`` at ``base_url`` (OpenAI's API when None)."""

    name = "openai"

    def __init__(
        self, *, base_url: str | None, model: str, api_key: str | None, timeout: float = 30.0
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url or OPENAI_BASE_URL
        self._timeout = timeout
        self._client = openai.OpenAI(
            base_url=self._base_url,
            api_key=api_key or PLACEHOLDER_API_KEY,
            timeout=timeout,
            max_retries=0,
        )

    def generate(
        self, context: PromptContext, question: str, repair: Repair | None = None
    ) -> Generation:
        if not self._api_key and self._base_url == OPENAI_BASE_URL:
            raise ProviderError("ATSPARK_LLM_API_KEY (or OPENAI_API_KEY) is not set", "unavailable")
        try:
            completion = self._client.chat.completions.create(
                model=self.model, messages=messages(context, question, repair), temperature=0
            )
        except openai.APIError as error:
            # ``from None``: the SDK's error may quote the server, which may quote the key.
            raise self._error(error) from None
        content = _content(completion)
        if content is None:
            raise self._not_a_completion()
        sql, explanation = extract_sql(self._redacted(content))
        return Generation(sql, explanation, self.model)

    def _redacted(self, text: str) -> str:
        """``text`` without the API key: a broken or hostile server may echo it."""
        return text.replace(self._api_key, "[redacted]") if self._api_key else text

    def _not_a_completion(self) -> ProviderError:
        return ProviderError(
            f"The AI model's server at {_host(self._base_url)} did not answer with a chat "
            "completion; check ATSPARK_LLM_BASE_URL.",
            "unavailable",
        )

    def _error(self, error: openai.APIError) -> ProviderError:
        host = _host(self._base_url)
        if isinstance(error, openai.APITimeoutError):
            return ProviderError(
                f"The AI model did not answer within {self._timeout:g} s (timeout); try again.",
                "timeout",
            )
        if isinstance(error, openai.APIConnectionError):
            return ProviderError(
                f"The AI model's server at {host} could not be reached.", "unavailable"
            )
        if isinstance(error, openai.RateLimitError):
            return ProviderError(
                f"The AI model is rate-limited (HTTP 429); try again {_retry_hint(error)}.",
                "rate_limited",
            )
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return ProviderError(
                f"The AI model's server at {host} refused the API key "
                f"(HTTP {error.status_code}); check ATSPARK_LLM_API_KEY.",
                "rejected",
            )
        if isinstance(error, openai.APIStatusError) and error.status_code < 500:
            return ProviderError(
                f"The AI model's server at {host} rejected the request (HTTP "
                f"{error.status_code}); check ATSPARK_LLM_MODEL and ATSPARK_LLM_BASE_URL.",
                "rejected",
            )
        if isinstance(error, openai.APIStatusError):
            return ProviderError(
                f"The AI model's server answered HTTP {error.status_code}.", "unavailable"
            )
        return self._not_a_completion()
