"""The dependencies routes declare: the platform, the request's service context, the signed-in
caller (session cookie or bearer token, CSRF checked), and ``Require(permission)``.

Who may do what is decided here and in ``services``, never in a route's body. Dependencies that
only compute are ``async`` (no thread hop); those that touch the control plane run in FastAPI's
thread pool.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app.web import cookies
from governance.auth import tokens
from governance.errors import AuthenticationFailed, PermissionDenied
from governance.permissions import PERMISSIONS
from governance.platform import Platform
from services import auth
from services.auth import Caller
from services.context import Anonymous, ServiceContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


async def get_platform(request: Request) -> Platform:
    return request.app.state.platform


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def request_context(
    request: Request, platform: Annotated[Platform, Depends(get_platform)]
) -> ServiceContext:
    """The service context of this request, before anyone is known to act."""
    details = (
        ("method", request.method),
        ("path", request.url.path),
        ("user_agent", request.headers.get("user-agent", "")[:200]),
    )
    return ServiceContext(
        platform, Anonymous(), client_ip(request), request.state.request_id, details
    )


RequestContext = Annotated[ServiceContext, Depends(request_context)]


BEARER = HTTPBearer(auto_error=False, description="A personal API token (atspark token create)")
SESSION_COOKIE = APIKeyCookie(
    name=cookies.SESSION,
    auto_error=False,
    description="The session cookie POST /auth/mfa sets; changes also need the X-CSRF-Token header",
)


def current_caller(
    request: Request,
    ctx: RequestContext,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    session_token: Annotated[str | None, Depends(SESSION_COOKIE)],
) -> Caller:
    """Who signed this request in: a bearer API token, or a session cookie (with its CSRF
    token on any state change). Nobody: 401."""
    if bearer is not None and bearer.credentials.strip():
        caller = auth.caller_of_token(ctx, bearer.credentials.strip())
    elif session_token:
        caller = auth.caller_of_session(ctx, session_token)
        if caller is not None and request.method not in SAFE_METHODS:
            _check_csrf(request, session_token)
    else:
        caller = None
    if caller is None:
        raise AuthenticationFailed("sign in first: no valid session or API token")
    request.state.caller = caller
    return caller


def _check_csrf(request: Request, session_token: str) -> None:
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not tokens.same(given, tokens.csrf_token(session_token)):
        raise PermissionDenied(f"missing or wrong CSRF token (send the {CSRF_HEADER} header)")


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def acting_context(ctx: RequestContext, caller: CurrentCaller) -> ServiceContext:
    """The service context acting as the signed-in caller."""
    return caller.context(ctx)


Acting = Annotated[ServiceContext, Depends(acting_context)]


def Require(permission: str):
    """A dependency that admits only callers holding ``permission``; a refusal is audited by
    the service (which checks again inside every operation)."""
    assert permission in PERMISSIONS, permission

    async def check(caller: CurrentCaller, ctx: Acting) -> Caller:
        if permission not in caller.permissions:
            await run_in_threadpool(auth.refuse, ctx, caller.tenant, permission)
        return caller

    return Depends(check)


def callback_url(request: Request) -> str:
    """Where vendors send people back after they authorize a connection: under
    ``ATSPARK_PUBLIC_URL`` when set, else the address this request came to."""
    base = request.app.state.platform.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/oauth/callback"
