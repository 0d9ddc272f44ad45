"""What every request meets before any route: a request id, the security headers, and two
refusals made at the door: bodies over 1 MiB (413, read no further), NUL characters, which no
name, email or SQL of ours holds and PostgreSQL cannot store (400), and API calls that carry no
credentials at all (401, before a body is parsed)."""

import re
import uuid

from fastapi import Request, Response

from app.web import cookies
from app.web.problems import problem

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
API = "/api/v1/"
PUBLIC_API = frozenset(
    {"/api/v1/openapi.json", "/api/v1/auth/login", "/api/v1/auth/mfa", "/api/v1/auth/mfa/email"}
)
NUL = (b"\x00", b"\\u0000")
MAX_BODY = 1024 * 1024
"""The largest API request body accepted (a query of 100,000 characters fits many times)."""


async def edge(request: Request, call_next) -> Response:
    given = request.headers.get("X-Request-ID", "")
    request.state.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    response = await _refusal(request) or await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    response.headers["X-Request-ID"] = request.state.request_id
    if request.url.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _refusal(request: Request) -> Response | None:
    path = request.url.path
    if not path.startswith(API):
        return None
    body = await _body(request)
    if body is None:
        return problem(request, 413, f"the request body is larger than {MAX_BODY} bytes")
    if "\x00" in path or "%00" in request.url.query or any(nul in body for nul in NUL):
        return problem(request, 400, "the request holds a NUL character, which nothing may hold")
    if path not in PUBLIC_API and not _carries_credentials(request):
        return problem(request, 401, "sign in first: no valid session or API token")
    return None


async def _body(request: Request) -> bytes | None:
    """The body, read no further than ``MAX_BODY`` (None past it), and kept for the route."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    request._body = body = b"".join(chunks)  # what Request.body() caches: the route reads it
    return body


def _carries_credentials(request: Request) -> bool:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer" and bool(credential.strip())
    return bearer or bool(request.cookies.get(cookies.SESSION))
