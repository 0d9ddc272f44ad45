"""What every language-model provider returns and raises."""

from dataclasses import dataclass
from typing import Protocol

from assist.prompt import PromptContext, Repair
from governance.errors import AtsparkError

KINDS = ("timeout", "rate_limited", "unavailable", "rejected", "no_sql", "declined")
"""declined: the provider could not map the question (the offline engine says why)."""


@dataclass(frozen=True)
class Generation:
    """The model's SQL, its one-sentence explanation if it gave one, and the model that answered."""

    sql: str
    explanation: str | None
    model: str


class ProviderError(AtsparkError):
    """The model gave no usable SQL. ``kind`` is one of ``KINDS``; the message is safe to show:
    it never holds the API key or the prompt."""

    def __init__(self, message: str, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown provider error kind {kind!r} (known: {', '.join(KINDS)})")
        super().__init__(message)
        self.kind = kind


class Provider(Protocol):
    """A language model that turns a question (and metadata) into SQL text, and nothing else."""

    name: str
    model: str

    def generate(
        self, context: PromptContext, question: str, repair: Repair | None = None
    ) -> Generation: ...
