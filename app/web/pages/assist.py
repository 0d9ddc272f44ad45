"""The Ask page: a plain-English question to AI Assist, answered through the JSON API by
``app.js``; the page itself lists the user's recent questions."""

from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.deps import Acting, Require
from app.web.pages.render import page_router, render
from services import assist
from services.auth import Caller

router = page_router()


@router.get("/ask")
def ask(
    request: Request, ctx: Acting, caller: Annotated[Caller, Require("assist.use")]
) -> HTMLResponse:
    questions = assist.recent_questions(ctx, caller.tenant)
    return render(request, "ask.html", "Ask", questions=questions)
