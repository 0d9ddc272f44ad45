"""The catalog's words as patterns, built once per catalog: metrics, dimensions, groupings
("by plan and country"), rankings ("top 10 customers", "which plan has the most") and grains.

Every metric is named by its catalog name, title and synonyms, so a metric added to the YAML is
understood with no change here.
"""

import re
import threading
from dataclasses import dataclass

from assist.offline import dates
from assist.offline.text import NUMBER, NUMBERS, alternation, normalise, words_pattern
from assist.offline.vocabulary import (
    COUNTRIES,
    CURRENCIES,
    FLOW_VERBS,
    MEANING_CHANGERS,
    STOP_WORDS,
)
from assist.semantic.catalog import Catalog
from assist.semantic.query import GRAINS

POPULATION_DIMENSION = "customer"
"""The dimension whose words also name who a question is about ('revenue from UK customers')."""
RANKS = {
    "top": "desc",
    "biggest": "desc",
    "largest": "desc",
    "highest": "desc",
    "most": "desc",
    "bottom": "asc",
    "smallest": "asc",
    "lowest": "asc",
    "least": "asc",
    "fewest": "asc",
}
_RANKED_FIRST = "top biggest largest highest bottom smallest lowest".split()
_WHICH_VERBS = (
    "has have had brings bring brought in generates generated generate pays paid pay made makes"
    " make is was with saw sees see".split()
)
_GROUP_LEADS = (
    "broken down by|break down by|breakdown by|split by|grouped by|group by|for each|for every"
    "|by|per|each|every|across"
)
_ADVERBS = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}
GRAIN_PHRASES = {
    **{
        f"{lead} {grain}{plural}": grain
        for grain in GRAINS
        for plural in ("", "s")
        for lead in _GROUP_LEADS.split("|")
    },
    **{f"{grain} by {grain}": grain for grain in GRAINS},
    **{adverb: grain for grain, adverb in _ADVERBS.items()},
    "yearly": "year",
    "annually": "year",
}
_GRAIN_NOUNS = {f"{grain}{plural}": grain for grain in GRAINS for plural in ("", "s")}


@dataclass(frozen=True)
class Lexicon:
    """One catalog's phrases, and the patterns that find them in a question's words."""

    metric_phrases: dict[str, frozenset[str]]
    """Each phrase and the metrics it names (more than one: the phrase is ambiguous)."""
    dimension_phrases: dict[str, str]
    metrics: re.Pattern[str]
    """Phrases that name only metrics."""
    population_metrics: re.Pattern[str] | None
    """Phrases that name a metric and the population dimension too ('customers')."""
    population: re.Pattern[str]
    grain: re.Pattern[str]
    grouping: re.Pattern[str]
    ranking: re.Pattern[str]
    which: re.Pattern[str]
    dimension: re.Pattern[str]
    known_words: frozenset[str]
    """Every word any pattern knows: none of them is read as a plan's name."""

    def ranked(self, phrase: str) -> tuple[str, str]:
        """What a ranking ranks: ('dimension', name) or ('grain', grain)."""
        if phrase in _GRAIN_NOUNS:
            return "grain", _GRAIN_NOUNS[phrase]
        return "dimension", self.dimension_phrases[phrase]


def _phrases(name: str, title: str, synonyms: tuple[str, ...]) -> set[str]:
    return {normalise(p) for p in (name.replace("_", " "), title, *synonyms)} - {""}


def _build(catalog: Catalog) -> Lexicon:
    dimension_phrases = {
        phrase: name
        for name, dimension in catalog.dimensions.items()
        for phrase in _phrases(name, dimension.title, dimension.synonyms)
    }
    metric_phrases: dict[str, set[str]] = {}
    for name, metric in catalog.metrics.items():
        for phrase in _phrases(name, metric.title, metric.synonyms):
            metric_phrases.setdefault(phrase, set()).add(name)
    shared = set(metric_phrases) & set(dimension_phrases)
    population = [p for p, name in dimension_phrases.items() if name == POPULATION_DIMENSION]
    dimension = alternation(dimension_phrases)
    ranked = f"{dimension}|{alternation(_GRAIN_NOUNS)}"
    phrase_words = [*metric_phrases, *dimension_phrases, *GRAIN_PHRASES, *RANKS, *_WHICH_VERBS]
    place_words = [*(n for names in (*COUNTRIES.values(), *CURRENCIES.values()) for n in names)]
    return Lexicon(
        metric_phrases={phrase: frozenset(names) for phrase, names in metric_phrases.items()},
        dimension_phrases=dimension_phrases,
        metrics=words_pattern(alternation(set(metric_phrases) - shared)),
        population_metrics=words_pattern(alternation(shared)) if shared else None,
        population=words_pattern(alternation(population)),
        grain=words_pattern(alternation(GRAIN_PHRASES)),
        grouping=words_pattern(
            rf"(?:{_GROUP_LEADS})(?: all)?(?: the| our)? "
            rf"(?P<dimensions>{dimension}(?:(?: ,| and| , and)(?: by)? {dimension})*)"
        ),
        ranking=words_pattern(
            rf"(?:(?P<before>{NUMBER}) )?(?P<rank>{'|'.join(_RANKED_FIRST)})"
            rf"(?: (?P<after>{NUMBER}))? (?P<ranked>{ranked})"
        ),
        which=words_pattern(
            rf"which (?P<ranked>{ranked})(?: (?:{'|'.join(_WHICH_VERBS)}))* (?:the )?"
            rf"(?P<rank>{'|'.join(RANKS)})"
        ),
        dimension=words_pattern(dimension),
        known_words=frozenset(
            word for phrase in (*phrase_words, *place_words, *CURRENCIES) for word in phrase.split()
        )
        | STOP_WORDS
        | FLOW_VERBS
        | set(MEANING_CHANGERS)
        | dates.WORDS
        | set(NUMBERS),
    )


_BUILT: dict[int, tuple[Catalog, Lexicon]] = {}
_BUILDING = threading.Lock()
_KEPT = 8
"""Lexicons kept, the most recently built: a process uses one catalog or a few."""


def lexicon(catalog: Catalog) -> Lexicon:
    """``catalog``'s lexicon, built on first use (a catalog is unhashable: kept by identity)."""
    with _BUILDING:
        built = _BUILT.get(id(catalog))
        if built is None or built[0] is not catalog:
            if len(_BUILT) >= _KEPT:
                del _BUILT[next(iter(_BUILT))]
            built = _BUILT[id(catalog)] = (catalog, _build(catalog))
        return built[1]
