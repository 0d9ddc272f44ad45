"""AI Assist over HTTP: the same service, governance and audit as ``atspark ask``."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.web.deps import Acting, Require
from app.web.problems import documented, problem
from services import assist
from services.auth import Caller

router = APIRouter(prefix="/assist", tags=["assist"], responses=documented(401, 403, 502, 503, 504))
Asker = Annotated[Caller, Require("assist.use")]

# An answer without rows: the status it is given, by what went wrong.
_STATUS = {"declined": 422, "refused": 400, "timeout": 504, "rate_limited": 503}
_PROVIDER_FAILURES = ("unavailable", "rejected", "no_sql")


class Question(BaseModel):
    question: str = Field(min_length=1, max_length=assist.MAX_QUESTION_LENGTH)


class AnswerDocument(BaseModel):
    question: str
    sql: str | None
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    provider: str
    model: str
    outcome: str
    explanation: str | None = None


@router.post("/ask", response_model=AnswerDocument, responses=documented(400, 422))
def ask(body: Question, request: Request, ctx: Acting, caller: Asker) -> Any:
    """Answer a plain-English question with governed SQL run as the signed-in user.

    A question that cannot be answered gets a problem with the reason and no rows."""
    answer = assist.ask(ctx, caller.tenant, body.question)
    document = answer.document()
    if answer.outcome == "ok":
        return JSONResponse(document)
    status = _STATUS.get(answer.kind or "", 502 if answer.kind in _PROVIDER_FAILURES else 400)
    document.pop("outcome")
    return problem(
        request, status, answer.reason or answer.outcome, outcome=answer.outcome, **document
    )


@router.get("/questions")
def recent_questions(ctx: Acting, caller: Asker) -> list[str]:
    """The signed-in user's latest questions, newest first."""
    return assist.recent_questions(ctx, caller.tenant)
