"""Errors as RFC 9457 problem details (``application/problem+json``).

A user-facing error (``AtsparkError``) answers with its own message; anything else with a
generic 500 and the request id, its traceback only in the server's log.
"""

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from governance.errors import (
    AtsparkError,
    AuthenticationFailed,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    TooManyAttempts,
)

MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    errors: list[dict] | None = None


def documented(*statuses: int) -> dict[int | str, dict]:
    """The OpenAPI ``responses`` entries of error statuses a route may answer with."""
    schema = Problem.model_json_schema()
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }


log = logging.getLogger("atspark.web")

_STATUS: tuple[tuple[type[AtsparkError], int], ...] = (
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (TooManyAttempts, 429),
)


def status_of(error: AtsparkError) -> int:
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 400)


def problem(request: Request, status: int, detail: str, **extra) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem."""

    @app.exception_handler(AtsparkError)
    async def atspark_error(request: Request, error: AtsparkError) -> JSONResponse:
        response = problem(request, status_of(error), str(error))
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return problem(request, 422, "the request is not valid", errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        response = problem(request, error.status_code, str(error.detail))
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return problem(request, 500, "something went wrong on our side; it has been logged")
