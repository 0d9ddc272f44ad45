"""The Connections page (connect by OAuth, re-authorize, disconnect) and the OAuth callback,
where vendors send people back after they authorize a connection."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.web.deps import Acting, Require
from app.web.pages.render import page_router, render
from services import catalog, connections, oauth
from services.auth import Caller

router = page_router()
ConnectionAdmin = Annotated[Caller, Require("connections.manage")]


@router.get("/admin/connections")
def connections_page(request: Request, ctx: Acting, caller: ConnectionAdmin) -> HTMLResponse:
    return render(
        request,
        "connections.html",
        "Connections",
        connections=connections.list_connections(ctx, caller.tenant),
        oauth_connectors=catalog.oauth_connectors(),
        connected=request.query_params.get("connected", ""),
    )


@router.get("/oauth/callback")
def oauth_callback(request: Request, ctx: Acting, caller: ConnectionAdmin) -> RedirectResponse:
    """Finish a flow this person started: the vendor's ``code`` (or ``error``) and ``state``."""
    params = dict(request.query_params)
    info = oauth.complete_authorization(ctx, caller.tenant, params.pop("state", ""), params)
    return RedirectResponse(
        f"/admin/connections?{urlencode({'connected': info.name})}", status_code=303
    )
