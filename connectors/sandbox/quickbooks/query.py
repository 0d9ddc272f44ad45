"""The QuickBooks query language, as much of it as the sandbox answers, parsed strictly.

    SELECT * FROM <Entity>
      [WHERE <condition> [AND <condition>]...]
      [ORDERBY <field> [ASC|DESC]]
      [STARTPOSITION <n>] [MAXRESULTS <m>]

Keywords in any case, the entity's name as Intuit spells it. Conditions: ``MetaData.
LastUpdatedTime`` or ``MetaData.CreateTime`` compared (``= < > <= >=``) with a quoted date or
date-time; ``Id = 'n'`` or ``Id IN ('n', ...)``; ``Active = true|false`` or ``Active IN (...)``
on name lists. Ordering by those times or ``Id``. A statement outside this answers a
``ValidationFault`` as Intuit's does: 4000 for what does not parse, 4001 for a property the
entity cannot be queried on. As Intuit does, a query of a name list without an ``Active``
condition answers only active entities, ``MAXRESULTS`` is at most 1000 (100 when not given) and
``STARTPOSITION`` counts from 1.
"""

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.sandbox.quickbooks.dataset import ENTITIES, NAME_LISTS, TAX_LISTS, ZONE

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
TIMES = {"MetaData.LastUpdatedTime": "LastUpdatedTime", "MetaData.CreateTime": "CreateTime"}
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<number>\d+)|(?P<word>[A-Za-z_][\w.]*)"
    r"|(?P<symbol><=|>=|=|<|>|\(|\)|,|\*))"
)


class QueryError(Exception):
    """A statement Intuit refuses: its ``Fault`` error's code, message and detail."""

    def __init__(self, code: str, message: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.message, self.detail = code, message, detail


@dataclass(frozen=True)
class Condition:
    field: str
    test: Callable[[Any], bool]

    def holds(self, record: dict[str, Any]) -> bool:
        return self.test(value_of(record, self.field))


@dataclass(frozen=True)
class Query:
    entity: str
    conditions: tuple[Condition, ...] = ()
    order: str | None = None
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_RESULTS

    def answer(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The page of ``records`` (an entity's) this query selects, in its order."""
        chosen = [r for r in records if all(c.holds(r) for c in self.conditions)]
        if self.entity in NAME_LISTS and not any(c.field == "Active" for c in self.conditions):
            chosen = [record for record in chosen if record.get("Active", True)]
        field = self.order or "Id"
        chosen.sort(key=lambda r: (value_of(r, field), int(r["Id"])), reverse=self.descending)
        return chosen[self.start - 1 : self.start - 1 + self.max_results]


def value_of(record: dict[str, Any], field: str) -> Any:
    if field in TIMES:
        return datetime.fromisoformat(record["MetaData"][TIMES[field]])
    if field == "Id":
        return int(record["Id"])
    return record.get(field, True)


def parse(statement: str) -> Query:
    return _Parser(statement).query()


class _Parser:
    def __init__(self, statement: str) -> None:
        self.statement = statement
        self.tokens: list[tuple[str, str, int]] = []
        at = 0
        while at < len(statement.rstrip()):
            match = _TOKEN.match(statement, at)
            if match is None or match.end() == at:
                raise self._unexpected(statement[at:].split()[0], at)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            at = match.end()
        self.position = 0

    # ---- the grammar ------------------------------------------------------------------------

    def query(self) -> Query:
        self._keyword("select")
        self._symbol("*")
        self._keyword("from")
        entity = self._word()
        if entity not in ENTITIES:
            raise QueryError(
                "4000", "Error parsing query", f"QueryParserError: Invalid entity {entity!r}"
            )
        conditions: list[Condition] = []
        if self._next_is("where"):
            conditions.append(self._condition(entity))
            while self._next_is("and"):
                conditions.append(self._condition(entity))
        order, descending = None, False
        if self._next_is("orderby"):
            order = self._field(entity, ("MetaData.LastUpdatedTime", "MetaData.CreateTime", "Id"))
            if self._next_is("desc"):
                descending = True
            else:
                self._next_is("asc")
        start = self._number() if self._next_is("startposition") else 1
        results = self._number() if self._next_is("maxresults") else DEFAULT_RESULTS
        if self.position < len(self.tokens):
            raise self._unexpected(*self.tokens[self.position][1:])
        if start < 1:
            raise QueryError("4000", "Error parsing query", "STARTPOSITION must be 1 or more")
        limited = min(results, MAX_RESULTS)
        return Query(entity, tuple(conditions), order, descending, start, limited)

    def _condition(self, entity: str) -> Condition:
        field = self._field(entity, (*TIMES, "Id", "Active"))
        if field in TIMES:
            compare = COMPARISONS.get(self._take("symbol"))
            if compare is None:
                raise self._unexpected(*self.tokens[self.position - 1][1:])
            bound = self._moment()
            return Condition(field, lambda value: compare(value, bound))
        kind = self._literal_kind(field)
        if self._next_is("in"):
            self._symbol("(")
            values = {self._literal(kind)}
            while self._peek("symbol", ","):
                self._symbol(",")
                values.add(self._literal(kind))
            self._symbol(")")
            return Condition(field, lambda value: value in values)
        self._symbol("=")
        wanted = self._literal(kind)
        return Condition(field, lambda value: value == wanted)

    def _field(self, entity: str, allowed: tuple[str, ...]) -> str:
        field = self._word()
        unsupported = (field in TIMES and entity in TAX_LISTS) or (
            field == "Active" and entity not in NAME_LISTS | TAX_LISTS
        )
        if field not in allowed or unsupported:
            raise QueryError(
                "4001",
                "Invalid query",
                f"QueryValidationError: property '{field}' is not queryable",
            )
        return field

    # ---- tokens -----------------------------------------------------------------------------

    def _peek(self, kind: str, text: str | None = None) -> bool:
        if self.position >= len(self.tokens):
            return False
        found_kind, found, _ = self.tokens[self.position]
        return found_kind == kind and (text is None or found.lower() == text)

    def _take(self, kind: str) -> str:
        if not self._peek(kind):
            if self.position >= len(self.tokens):
                raise self._unexpected("<EOF>", len(self.statement))
            raise self._unexpected(*self.tokens[self.position][1:])
        self.position += 1
        return self.tokens[self.position - 1][1]

    def _next_is(self, keyword: str) -> bool:
        if self._peek("word", keyword):
            self.position += 1
            return True
        return False

    def _keyword(self, keyword: str) -> None:
        if not self._next_is(keyword):
            self._take("<keyword>")

    def _symbol(self, symbol: str) -> None:
        if not self._peek("symbol", symbol):
            self._take("<symbol>")
        self.position += 1

    def _word(self) -> str:
        return self._take("word")

    def _number(self) -> int:
        return int(self._take("number"))

    def _moment(self) -> datetime:
        text = self._take("string")[1:-1]
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise QueryError(
                "4000", "Error parsing query", f"QueryParserError: invalid date-time '{text}'"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=ZONE)

    @staticmethod
    def _literal_kind(field: str) -> str:
        return "word" if field == "Active" else "string"

    def _literal(self, kind: str) -> Any:
        text = self._take(kind)
        if kind == "string":
            return int(text[1:-1]) if text[1:-1].isdigit() else text[1:-1]
        if text.lower() not in ("true", "false"):
            raise self._unexpected(text, self.tokens[self.position - 1][2])
        return text.lower() == "true"

    def _unexpected(self, text: str, at: int) -> QueryError:
        return QueryError(
            "4000",
            "Error parsing query",
            f'QueryParserError: Encountered " "{text}" " at line 1, column {at + 1}.',
        )
