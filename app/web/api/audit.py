"""The tenant's audit log, for those allowed to read it."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.web.deps import Acting, Require
from app.web.problems import documented
from governance.audit import as_utc
from services import audit
from services.auth import Caller

router = APIRouter(tags=["audit"], responses=documented(401, 403, 404))
AuditReader = Annotated[Caller, Require("audit.read")]


class AuditEvent(BaseModel):
    sequence: int
    occurred_at: datetime
    actor: str
    action: str
    outcome: str
    context: dict[str, Any]
    hash: str


@router.get("/audit")
def audit_log(
    ctx: Acting,
    caller: AuditReader,
    actor: Annotated[str | None, Query(max_length=320)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEvent]:
    """The newest events first, filtered by actor, action and time."""
    events = audit.list_events(
        ctx,
        caller.tenant,
        actor=actor,
        action=action,
        since=since,
        until=until,
        limit=limit,
        newest_first=True,
    )
    return [
        AuditEvent(
            sequence=e.sequence,
            occurred_at=as_utc(e.occurred_at),
            actor=e.actor,
            action=e.action,
            outcome=e.outcome,
            context=e.context,
            hash=e.hash,
        )
        for e in events
    ]
