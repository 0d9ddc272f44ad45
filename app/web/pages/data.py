"""Home (the tenant's connections and readable tables) and the SQL page."""

from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.deps import Acting, CurrentCaller, Require
from app.web.pages.render import page_router, render
from services import ingestion, queries
from services.auth import Caller

router = page_router()


@router.get("/")
def home(request: Request, ctx: Acting, caller: CurrentCaller) -> HTMLResponse:
    readable = "data.read" in caller.permissions
    return render(
        request,
        "home.html",
        "Home",
        connections=ingestion.connection_status(ctx, caller.tenant) if readable else None,
        tables=queries.readable_tables(ctx, caller.tenant) if readable else None,
    )


@router.get("/sql")
def sql(
    request: Request, ctx: Acting, caller: Annotated[Caller, Require("data.read")]
) -> HTMLResponse:
    tables = queries.readable_tables(ctx, caller.tenant)
    return render(request, "sql.html", "SQL", tables=tables)
