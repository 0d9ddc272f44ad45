"""The sign-in page: tenant, email and password, then a second factor (``app.js`` drives both
steps through ``/api/v1/auth``)."""

import re
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from app.web.pages.render import page_router, render

router = page_router()


LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&+-]*")
"""A path on this site: one leading slash, then only URL characters that no browser strips or
reads as a scheme or another host (no whitespace, controls, backslashes or colons)."""


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirect)."""
    return target if LOCAL_PATH.fullmatch(target) else "/"


@router.get("/login")
def login(request: Request, after: Annotated[str, Query(alias="next")] = "/") -> HTMLResponse:
    return render(request, "login.html", "Sign in", next=local_path(after))
