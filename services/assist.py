"""AI Assist: a tenant user's plain-English question, answered with governed SQL, audited.

The model (``ATSPARK_LLM_PROVIDER``) sees only the question and the metadata of what the asking
user may read; the SQL it returns is compiled for that user by the governance compiler like every
other read, and a refusal goes back to the model once for a repair. Every question is audited
(``assist.ask``): the question, the SQL the model returned and the SQL executed, the row count,
the provider, the model, the latency and the outcome.
"""

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from assist.prompt import Column, PromptContext, Repair, Table
from assist.providers.base import Generation, Provider, ProviderError
from assist.providers.offline import Offline
from assist.semantic.catalog import load_catalog
from assist.semantic.compile import compile_metric
from assist.semantic.query import MetricQuery
from connectors.registry import get_connector
from governance import audit
from governance.errors import AtsparkError
from governance.governed_query import Compilation, GovernedReads, QueryResult
from governance.names import table_name
from governance.readers import reader_for
from governance.rls.context import QueryRefused, Reader
from governance.settings import Settings
from governance.store.models import Connection
from services.context import ServiceContext
from services.exports import plain
from services.operations import Work, operation, unit_of_work
from services.queries import governed_reads, reading_user, run_query

MAX_QUESTION_LENGTH = 2_000
RECENT_QUESTIONS = 10


@dataclass(frozen=True)
class Answer:
    """What a question got: the result of the SQL run for the asker, or why there is none."""

    question: str
    provider: str
    model: str
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    explanation: str | None = None
    outcome: str = "ok"
    """ok; declined (the question maps to nothing); refused (governance said no); failed."""
    reason: str | None = None
    kind: str | None = None
    """Without rows, what went wrong: declined, refused, a provider's failure (timeout,
    rate_limited, unavailable, rejected, no_sql), or failed (the query itself)."""
    truncated: bool = False

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def document(self) -> dict[str, Any]:
        """The answer as JSON: the same fields for the CLI and the serving app."""
        document = {
            "question": self.question,
            "sql": self.sql,
            "columns": self.columns,
            "rows": [[plain(value) for value in row] for row in self.rows],
            "row_count": self.row_count,
            "provider": self.provider,
            "model": self.model,
            "outcome": self.outcome,
        }
        if self.explanation:
            document["explanation"] = self.explanation
        if self.reason is not None:
            document.update(reason=self.reason, kind=self.kind)
        if self.truncated:
            document["truncated"] = True
        return document


@lru_cache(maxsize=8)
def provider_for(settings: Settings) -> Provider:
    """The model ``settings`` name: the offline engine, or an OpenAI-compatible server."""
    if settings.llm_provider == "openai":
        # imported when chosen: the SDK takes most of a second to import, every command would pay
        from assist.providers.openai_compatible import OpenAICompatible

        return OpenAICompatible(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_seconds,
        )
    return Offline(load_catalog())


def ask(ctx: ServiceContext, tenant: str, question: str, today: date | None = None) -> Answer:
    """Answer ``question`` for the context's user (needs ``assist.use`` and ``data.read``).

    A question the provider declines, SQL governance refuses (after one repair) and a provider
    that fails all give an ``Answer`` without rows and with the reason; permission refusals raise.
    """
    question = _checked_question(question)
    provider = provider_for(ctx.platform.settings)
    today = today or datetime.now(UTC).date()
    started = time.perf_counter()
    with operation(ctx, "assist.ask", tenant) as op:
        op.note(question=question, provider=provider.name, model=provider.model)
        with op.unit("assist.use", records=False) as work:
            work.require("data.read")
            reader = reader_for(work.session, work.tenant_row, reading_user(work))
            tenant_id = work.tenant_row.id
            connections = _connections(work)
        reads = governed_reads(ctx.platform)
        context = _prompt_context(reads, tenant_id, reader, connections, today)
        attempt = _Attempt(provider, context, question, reads, tenant_id, reader)
        answer = attempt.run()
        op.note(**attempt.noted, latency_ms=round((time.perf_counter() - started) * 1000, 3))
        op.record_outcome(answer.outcome, row_count=answer.row_count)
    return answer


@dataclass
class _Attempt:
    """One question through the provider and governance, and what the audit event says of it."""

    provider: Provider
    context: PromptContext
    question: str
    reads: GovernedReads
    tenant_id: str
    reader: Reader
    noted: dict[str, Any] = field(default_factory=dict)

    def run(self) -> Answer:
        answer = Answer(self.question, self.provider.name, self.provider.model)
        try:
            generation, compilation = self._compiled()
            answer = replace(
                answer, sql=generation.sql, model=generation.model,
                explanation=generation.explanation,
            )  # fmt: skip
            self.noted.update(model=generation.model, sql_executed=compilation.query.sql)
            result = self.reads.execute(compilation)
        except AtsparkError as error:
            self.noted["reason"] = str(error)
            outcome = _outcome_of(error)
            kind = error.kind if isinstance(error, ProviderError) else outcome
            return replace(answer, outcome=outcome, reason=str(error), kind=kind)
        return replace(answer, columns=result.columns, rows=result.rows, truncated=result.truncated)

    def _compiled(self) -> tuple[Generation, Compilation]:
        """The provider's SQL compiled for the reader; a refusal goes back to it once."""
        generation = self._generate(None)
        try:
            return generation, self.reads.compile(self.tenant_id, self.reader, generation.sql)
        except QueryRefused as refusal:
            self.noted["refused_first"] = str(refusal)
            generation = self._generate(Repair(generation.sql, str(refusal)))
            return generation, self.reads.compile(self.tenant_id, self.reader, generation.sql)

    def _generate(self, repair: Repair | None) -> Generation:
        generation = self.provider.generate(self.context, self.question, repair)
        if repair is not None:
            self.noted["sql_before_repair"] = repair.sql
        self.noted["sql"] = generation.sql
        return generation


def run_metric(
    ctx: ServiceContext, tenant: str, query: MetricQuery, today: date | None = None
) -> QueryResult:
    """A catalog metric, compiled to SQL and run as ``run_query`` runs SQL (needs ``data.read``)."""
    with unit_of_work(ctx, tenant, "data.read") as work:
        connections = _connections(work)
    tables = _catalog_tables(connections, None)
    sql = compile_metric(query, load_catalog(), tables, today or datetime.now(UTC).date())
    return run_query(ctx, tenant, sql)


def recent_questions(ctx: ServiceContext, tenant: str, limit: int = RECENT_QUESTIONS) -> list[str]:
    """The context's user's latest distinct questions, newest first (needs ``assist.use``)."""
    with unit_of_work(ctx, tenant, "assist.use") as work:
        reading_user(work)
        asked = audit.events(
            work.session, work.tenant_row.id, actor=work.actor, action="assist.ask",
            limit=limit * 5, newest_first=True,
        )  # fmt: skip
    questions: list[str] = []
    for event in asked:
        question = (event.context or {}).get("question")
        if isinstance(question, str) and question not in questions:
            questions.append(question)
    return questions[:limit]


def _checked_question(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise AtsparkError("ask a question: it is empty")
    if len(question) > MAX_QUESTION_LENGTH:
        raise AtsparkError(f"a question is at most {MAX_QUESTION_LENGTH} characters")
    return question


def _connections(work: Work) -> list[tuple[str, str]]:
    """The tenant's connections as (name, connector), by name."""
    rows = work.session.execute(
        select(Connection.name, Connection.connector)
        .where(Connection.tenant_id == work.tenant_row.id)
        .order_by(Connection.name)
    )
    return [(name, connector) for name, connector in rows]


def _catalog_tables(
    connections: list[tuple[str, str]], readable: dict[str, dict[str, str]] | None
) -> dict[str, str]:
    """``connector.stream`` -> the tenant's table, for the first connection of each connector
    (and, given ``readable``, only the tables in it)."""
    tables: dict[str, str] = {}
    for name, connector in connections:
        try:
            streams = get_connector(connector).streams()
        except AtsparkError:  # a connector no longer installed
            continue
        for stream in streams:
            table = table_name(name, stream.name)
            key = f"{connector}.{stream.name}"
            if key not in tables and (readable is None or table in readable):
                tables[key] = table
    return tables


def _prompt_context(
    reads: GovernedReads,
    tenant_id: str,
    reader: Reader,
    connections: list[tuple[str, str]],
    today: date,
) -> PromptContext:
    """What the model may know: the tables this reader may read, their columns and types."""
    readable = reads.readable_schema(tenant_id, reader)
    sources = _catalog_tables(connections, readable)
    described = {table: key for key, table in sources.items()}
    tables = tuple(
        Table(
            name,
            tuple(Column(column, kind) for column, kind in columns.items()),
            f"{described[name].replace('.', ' ')} (from a connection)" if name in described else "",
        )
        for name, columns in sorted(readable.items())
    )
    return PromptContext("duckdb", tables, load_catalog(), today, sources)


def _outcome_of(error: AtsparkError) -> str:
    if isinstance(error, QueryRefused):
        return "refused"
    if isinstance(error, ProviderError) and error.kind == "declined":
        return "declined"
    return "failed"
