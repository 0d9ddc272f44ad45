"""Rendering pages: Jinja2 templates given the signed-in caller and their CSRF token, and the
route class every page uses, which answers "sign in first" with a redirect to ``/login`` and any
other refusal with an error page of the same status the API would give."""

import json
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from app.web import cookies
from app.web.problems import status_of
from governance.audit import as_utc
from governance.auth import tokens
from governance.errors import AtsparkError, AuthenticationFailed

WEB = Path(__file__).resolve().parent.parent
STATIC = WEB / "static"
TEMPLATES = Jinja2Templates(directory=WEB / "templates")


def when(moment: datetime | str | None) -> str:
    """A moment (a datetime or its ISO text) as people read it, in UTC."""
    if not moment:
        return ""
    moment = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S} UTC"


def ago(moment: datetime | None) -> str:
    """How long ago ``moment`` was, roughly: freshness at a glance."""
    if moment is None:
        return "never"
    seconds = int((datetime.now(UTC) - as_utc(moment)).total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def shown(value: object) -> str:
    """A value of an audit event's context as people read it: lists joined, the rest JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(map(shown, value)) or "—"
    return json.dumps(value)


TEMPLATES.env.filters |= {"when": when, "ago": ago, "shown": shown}


def render(
    request: Request, template: str, title: str, status: int = 200, **context
) -> HTMLResponse:
    """``template`` as a page titled ``title``; the caller (set by ``current_caller``) drives
    the nav, and a session's CSRF token goes into the page for ``app.js`` to send."""
    caller = getattr(request.state, "caller", None)
    session = request.cookies.get(cookies.SESSION)
    csrf = tokens.csrf_token(session) if caller is not None and session else ""
    context |= {"title": title, "caller": caller, "csrf": csrf}
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


class PageRoute(APIRoute):
    """A page: no one signed in redirects to ``/login``; refusals render ``error.html``."""

    def get_route_handler(self):
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handle(request)
            except AuthenticationFailed:
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)
            except AtsparkError as error:
                status = status_of(error)
                phrase = HTTPStatus(status).phrase
                response = render(request, "error.html", phrase, status, message=str(error))
            response.headers["Cache-Control"] = "no-store"
            return response

        return page


def page_router(prefix: str = "") -> APIRouter:
    """A router of pages (kept out of the API's OpenAPI document)."""
    return APIRouter(prefix=prefix, route_class=PageRoute, include_in_schema=False)
