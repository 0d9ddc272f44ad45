"""Governed reads over HTTP: the same service, refusals and audit as ``atspark sql``."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.web.deps import Acting, Require
from app.web.problems import documented
from services import ingestion, queries
from services.auth import Caller
from services.exports import plain
from services.ingestion import LoadRecord

router = APIRouter(tags=["data"], responses=documented(401, 403, 404))
DataReader = Annotated[Caller, Require("data.read")]


class Query(BaseModel):
    sql: str = Field(min_length=1, max_length=100_000)


class QueryAnswer(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool


class LastLoad(BaseModel):
    finished_at: datetime
    duration_s: float
    rows: dict[str, int]
    row_count: int


class ConnectionStatus(BaseModel):
    name: str
    connector: str
    last_load: LastLoad | None


class Table(BaseModel):
    name: str
    columns: list[str]


@router.post("/query")
def query(body: Query, ctx: Acting, caller: DataReader) -> QueryAnswer:
    """Run a read-only SQL query as the signed-in user, filtered by their row policies."""
    result = queries.run_query(ctx, caller.tenant, body.sql)
    rows = [[plain(value) for value in row] for row in result.rows]
    return QueryAnswer(
        columns=result.columns, rows=rows, row_count=result.row_count, truncated=result.truncated
    )


@router.get("/tables")
def tables(ctx: Acting, caller: DataReader) -> list[Table]:
    """The tables and columns the signed-in user may read (nothing about the others)."""
    readable = queries.readable_tables(ctx, caller.tenant)
    return [Table(name=name, columns=columns) for name, columns in sorted(readable.items())]


@router.get("/connections")
def connection_status(ctx: Acting, caller: DataReader) -> list[ConnectionStatus]:
    """The tenant's connections with their last load: when, how long, and rows per table."""
    return [
        ConnectionStatus(name=s.name, connector=s.connector, last_load=_last_load(s.last_load))
        for s in ingestion.connection_status(ctx, caller.tenant)
    ]


def _last_load(load: LoadRecord | None) -> LastLoad | None:
    if load is None:
        return None
    return LastLoad(
        finished_at=load.finished_at,
        duration_s=load.duration_s,
        rows=load.rows,
        row_count=sum(load.rows.values()),
    )
