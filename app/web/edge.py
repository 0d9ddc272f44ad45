"""What every request meets before any route: a request id, the security headers, and two
refusals made at the door — API calls that carry no credentials at all (401, before a body is
even parsed), and NUL characters, which no name, email or SQL of ours holds and PostgreSQL
cannot store (400)."""

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
    body = await request.body()
    if "\x00" in path or "%00" in request.url.query or any(nul in body for nul in NUL):
        return problem(request, 400, "the request holds a NUL character, which nothing may hold")
    if path not in PUBLIC_API and not _carries_credentials(request):
        return problem(request, 401, "sign in first: no valid session or API token")
    return None


def _carries_credentials(request: Request) -> bool:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer" and bool(credential.strip())
    return bearer or bool(request.cookies.get(cookies.SESSION))
