"""Equality filters a question names: a country, a currency or a plan ("UK customers", "in EUR",
"on the Pro plan"), each as (dimension, value) in the catalog's spelling (GB, eur, Pro)."""

import re

from assist.offline.lexicon import Lexicon
from assist.offline.text import Words, alternation, words_pattern
from assist.offline.vocabulary import (
    COUNTRIES,
    CURRENCIES,
    PLAN_PREPOSITIONS,
    PLAN_WORDS,
    POPULATION_NOUNS,
    SANDBOX_TIERS,
)

_COUNTRY_NAMES = {name: code for code, names in COUNTRIES.items() for name in names}
_CURRENCY_NAMES = {name: code for code, names in CURRENCIES.items() for name in names}
_TIER = alternation(SANDBOX_TIERS)
_AFTER_PLAN_PREPOSITION = "|".join(f"(?<={p} )" for p in PLAN_PREPOSITIONS)
_CURRENCY = words_pattern(
    rf"(?P<code>{alternation(CURRENCIES)})"
    rf"|(?:(?<=in )|(?<=for ))(?P<name>{alternation(_CURRENCY_NAMES)})"
)
_COUNTRY = words_pattern(
    rf"(?P<name>{alternation(_COUNTRY_NAMES)})"
    rf"|(?:(?<=in )|(?<=for )|(?<=from ))(?P<code>{alternation(c.lower() for c in COUNTRIES)})"
)
_PLAN = words_pattern(
    rf"(?P<before>[a-z]+) {PLAN_WORDS}|{PLAN_WORDS} (?P<after>[a-z]+)"
    rf"|(?:{_AFTER_PLAN_PREPOSITION})(?:the )?(?P<tier>{_TIER})(?! {PLAN_WORDS}(?!\S))"
    rf"|(?P<named>{_TIER})(?= {POPULATION_NOUNS}(?!\S))"
)


def _currency(match: re.Match[str], words: Words) -> str | None:
    return match["code"] or _CURRENCY_NAMES[match["name"]]


def _country(match: re.Match[str], words: Words) -> str | None:
    if match["name"]:
        return _COUNTRY_NAMES[match["name"]]
    written = words.source(match, "code")
    return written if written.isupper() else None  # 'in' and 'it' are words: 'IN' and 'IT' are not


def _plan(match: re.Match[str], words: Words, known_words: frozenset[str]) -> str | None:
    tier = match["tier"] or match["named"]
    if tier:
        return tier.title()
    name, group = (match["before"], "before") if match["before"] else (match["after"], "after")
    if name in SANDBOX_TIERS:
        return name.title()
    written = words.source(match, group)
    capitalised = group == "before" or written[0].isupper()  # "plan details" names no plan
    return written.title() if capitalised and name not in known_words else None


def extract(words: Words, lexicon: Lexicon) -> list[tuple[str, str]]:
    """Every filter ``words`` name, consumed, in the order: currency, country, plan."""
    found = []
    for dimension, pattern, value_of in (
        ("currency", _CURRENCY, _currency),
        ("country", _COUNTRY, _country),
        ("plan", _PLAN, lambda m, w: _plan(m, w, lexicon.known_words)),
    ):
        for match, value in words.accepted(pattern, lambda m, v=value_of: v(m, words)):
            words.consume(match, "filter")
            found.append((dimension, value))
    return found
