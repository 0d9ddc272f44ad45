"""The audit log viewer: the tenant's events, filtered by actor, action and time."""

from datetime import datetime
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.deps import Acting, Require
from app.web.pages.render import page_router, render
from governance.errors import AtsparkError
from services import audit
from services.auth import Caller

router = page_router()
LIMIT = 200


def moment(text: str, field: str) -> datetime | None:
    """A filter's date and time (``datetime-local`` sends no zone: the log reads it as UTC)."""
    try:
        return datetime.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise AtsparkError(f"{field}: give a date and time like 2025-01-31T09:00") from None


@router.get("/audit")
def audit_log(
    request: Request,
    ctx: Acting,
    caller: Annotated[Caller, Require("audit.read")],
    actor: str = "",
    action: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    filters = {"actor": actor.strip(), "action": action.strip(), "since": since, "until": until}
    events = audit.list_events(
        ctx,
        caller.tenant,
        actor=filters["actor"] or None,
        action=filters["action"] or None,
        since=moment(since, "since"),
        until=moment(until, "until"),
        limit=LIMIT,
        newest_first=True,
    )
    return render(request, "audit.html", "Audit log", events=events, filters=filters, limit=LIMIT)
