"""A question as words: lower-cased tokens that phrase patterns match and consume as understood.

Patterns run over the words joined by single spaces; a consumed word is masked (underscores of
its length), so later patterns cannot match it and offsets stay put. What is left unconsumed at
the end is what the engine did not understand.
"""

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

_TOKEN = re.compile(
    r"\d{4}-\d{2}(?:-\d{2})?(?![\d-])"  # ISO dates and months
    r"|(?:[A-Za-z]\.){2,}"  # initialisms: U.S., U.K.
    r"|[A-Za-z0-9]+(?:'[A-Za-z]+)?"  # words, with their contraction
    r"|\S"  # any other symbol, on its own
)
T = TypeVar("T")
_PUNCTUATION = frozenset("?!.;:\"'`()[]{}-")
NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
}
NUMBER = rf"(?:\d{{1,4}}|{'|'.join(NUMBERS)})"
"""A count written in digits or as a word (``three``); ``number()`` reads it."""


def number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBERS[text]


def _normal(token: str) -> str:
    if token.endswith("."):  # an initialism
        return token.replace(".", "")
    if token.lower().endswith("'s"):
        token = token[:-2]
    return "percent" if token == "%" else token.replace("'", "")


def alternation(phrases: Iterable[str]) -> str:
    """A regex alternative of ``phrases`` (already normalised), longest first."""
    return "(?:" + "|".join(re.escape(p) for p in sorted(set(phrases), key=lambda p: -len(p))) + ")"


def words_pattern(source: str) -> re.Pattern[str]:
    """``source`` compiled to match whole words only."""
    return re.compile(rf"(?<!\S)(?:{source})(?!\S)")


def normalise(phrase: str) -> str:
    """``phrase`` as the words of a question are written: lower case, single spaces."""
    return " ".join(Words(phrase).remaining())


class Words:
    """The words of one question, each consumed at most once, with a tag saying what took it."""

    def __init__(self, question: str) -> None:
        tokens = [_normal(raw) for raw in _TOKEN.findall(question.replace("\u2019", "'"))]
        self.original = [t for t in tokens if t and t not in _PUNCTUATION]
        self._words = [t.lower() for t in self.original]
        self._masked = list(self._words)
        self._tags: list[str | None] = [None] * len(self._words)
        self._starts, offset = [], 0
        for word in self._words:
            self._starts.append(offset)
            offset += len(word) + 1

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Where ``pattern`` matches words not consumed yet (as they were when called)."""
        return pattern.finditer(" ".join(self._masked))

    def accepted(
        self, pattern: re.Pattern[str], value_of: Callable[[re.Match[str]], T | None]
    ) -> Iterator[tuple[re.Match[str], T]]:
        """Where ``pattern`` matches with a value (``value_of`` is None for a match it rejects,
        and the search goes on from the next character, so a shorter match there may be found)."""
        text, position = " ".join(self._masked), 0
        while match := pattern.search(text, position):
            value = value_of(match)
            if value is None:
                position = match.start() + 1
            else:
                yield match, value
                position = match.end()

    def indexes(self, match: re.Match[str], group: int | str = 0) -> range:
        """The positions of the words ``match`` (or one of its groups) covers."""
        first = bisect_right(self._starts, match.start(group)) - 1
        return range(first, bisect_right(self._starts, match.end(group) - 1))

    def consume(self, match: re.Match[str], tag: str) -> None:
        for index in self.indexes(match):
            self._masked[index] = "_" * len(self._words[index])
            self._tags[index] = tag

    def source(self, match: re.Match[str], group: int | str = 0) -> str:
        """The words ``match`` covers as the question wrote them."""
        return " ".join(self.original[i] for i in self.indexes(match, group))

    def word(self, index: int) -> str | None:
        return self._words[index] if 0 <= index < len(self._words) else None

    def tag(self, index: int) -> str | None:
        return self._tags[index] if 0 <= index < len(self._tags) else None

    def remaining(self) -> list[str]:
        """The words nothing has consumed, in order."""
        return [w for w, tag in zip(self._words, self._tags, strict=True) if tag is None]
