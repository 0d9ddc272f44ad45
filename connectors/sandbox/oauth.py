"""A vendor's OAuth 2.0 authorization server, for simulators: consent, codes, tokens, revocation.

The authorization-code grant as vendors run it, strictly: the authorize endpoint checks the
client, the registered redirect URI, the scopes (only those the app was granted) and a PKCE S256
challenge, then shows a consent page; "Allow" redirects to the callback with a one-time code and
the ``state``, plus whatever the vendor adds (``callback_params``: Intuit's ``realmId``). The
token endpoint redeems a code once, within its lifetime, for the same client, redirect URI and
PKCE verifier; refresh tokens buy access tokens and, where the vendor rotates them, work once.
Control routes (under ``/_sandbox/oauth/``) revoke every refresh token (the customer removed
the app) or expire every access token (time passed).
"""

import base64
import html
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CODE_LIFETIME_S = 300


@dataclass(frozen=True)
class OAuthPaths:
    """Where the vendor serves its endpoints (paths only: a simulator serves one origin)."""

    authorize: str
    token: str
    revoke: str | None = None
    """RFC 7009's POST, or a DELETE when the path holds ``{token}`` (HubSpot)."""


@dataclass
class AuthorizationServer:
    """One vendor's authorization server holding one registered app."""

    paths: OAuthPaths
    scopes: frozenset[str]
    """Every scope the vendor knows; an authorize request may ask only for these."""
    client_id: str | None = "sandbox-client-id"
    """The registered app; None admits any client (a lenient simulator, for kits that make up
    their credentials)."""
    client_secret: str = "sandbox-client-secret"
    scope_separator: str = " "
    rotate_refresh_tokens: bool = False
    access_token_lifetime: int = 3600
    client_auth: str = "client_secret_post"
    callback_params: Mapping[str, str] = field(default_factory=dict)
    token_fields: Mapping[str, Any] = field(default_factory=dict)
    """Extra fields of every token response (Zoho's ``api_domain``)."""
    refusal: Callable[[int, str], Response] | None = None
    """The vendor's error body for a refused grant: ``(status, error) -> Response``."""
    accept_unknown_refresh_tokens: bool = False
    """Take a refresh token never issued here as if issued earlier (once, when they rotate),
    until ``/_sandbox/oauth/revoke``: for kits that make up their credentials."""

    def __post_init__(self) -> None:
        self._codes: dict[str, dict[str, Any]] = {}
        self._refresh_tokens: dict[str, frozenset[str]] = {}
        self._access_tokens: dict[str, float] = {}
        self._spent: set[str] = set()
        self._revoked_all = False
        self.consents: list[dict[str, Any]] = []
        """What each consent page was asked: the scopes, for tests of least privilege."""

    # ---- what the API asks -----------------------------------------------------------------------

    def issue_access_token(self, lifetime: int | None = None) -> str:
        """A valid access token, as if an app had been authorized (a private-app token)."""
        token = "at_" + secrets.token_urlsafe(24)
        self._access_tokens[token] = time.time() + (lifetime or self.access_token_lifetime)
        return token

    def issue_refresh_token(self, token: str | None = None) -> str:
        """A valid refresh token, as if issued earlier (a vendor console's "self client")."""
        token = token or "rt_" + secrets.token_urlsafe(24)
        self._refresh_tokens[token] = frozenset()
        return token

    def access_token_valid(self, token: str) -> bool:
        return self._access_tokens.get(token, 0.0) > time.time()

    def routes(self) -> list[Route]:
        routes = [
            Route(self.paths.authorize, self.authorize, methods=["GET", "POST"]),
            Route(self.paths.token, self.token, methods=["POST"]),
            Route("/_sandbox/oauth/revoke", self.revoke_all, methods=["POST"]),
            Route("/_sandbox/oauth/expire", self.expire_all, methods=["POST"]),
        ]
        if self.paths.revoke:
            methods = ["DELETE"] if "{token}" in self.paths.revoke else ["POST"]
            routes.append(Route(self.paths.revoke, self.revoke, methods=methods))
        return routes

    # ---- authorize: consent page, then the redirect --------------------------------------------

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({key: str(value) for key, value in (await request.form()).items()})
        problem = self._authorize_problem(params)
        if problem:
            return HTMLResponse(f"<h1>Invalid request</h1><p>{html.escape(problem)}</p>", 400)
        redirect_uri = params["redirect_uri"]
        if request.method == "GET":
            self.consents.append({"scopes": self._scopes(params.get("scope", ""))})
            return HTMLResponse(_consent_page(params, self._scopes(params.get("scope", ""))))
        answer = {"state": params.get("state", "")}
        if params.get("decision") != "allow":
            answer["error"] = "access_denied"
        else:
            code = "code_" + secrets.token_urlsafe(24)
            self._codes[code] = {
                "client_id": params["client_id"],
                "redirect_uri": redirect_uri,
                "challenge": params["code_challenge"],
                "expires": time.time() + CODE_LIFETIME_S,
            }
            answer = {"code": code, **answer, **self.callback_params}
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(redirect_uri + joiner + urlencode(answer), 302)

    def _authorize_problem(self, params: Mapping[str, str]) -> str | None:
        if not params.get("client_id") or self.client_id not in (None, params["client_id"]):
            return "unknown client_id"
        if params.get("response_type") != "code":
            return "response_type must be code"
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri is missing"
        unknown = self._scopes(params.get("scope", "")) - self.scopes
        if unknown:
            return f"unknown scopes: {', '.join(sorted(unknown))}"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "a PKCE S256 code_challenge is required"
        return None

    def _scopes(self, text: str) -> frozenset[str]:
        return frozenset(scope for scope in text.split(self.scope_separator) if scope)

    # ---- token ----------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        if not self._client_authenticated(request, form):
            return self._refuse(401, "invalid_client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._redeem_code(form)
        if grant == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        return self._refuse(400, "unsupported_grant_type")

    def _client_authenticated(self, request: Request, form: Mapping[str, str]) -> bool:
        if self.client_id is None:
            return bool(form.get("client_id") or request.headers.get("authorization"))
        if self.client_auth == "client_secret_basic":
            header = request.headers.get("authorization", "")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return secrets.compare_digest(header, f"Basic {expected}")
        return form.get("client_id") == self.client_id and secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        )

    def _redeem_code(self, form: Mapping[str, str]) -> Response:
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once, right or wrong
        if (
            grant is None
            or grant["expires"] < time.time()
            or grant["redirect_uri"] != form.get("redirect_uri")
            or not compare_s256_code_challenge(form.get("code_verifier", ""), grant["challenge"])
        ):
            return self._refuse(400, "invalid_grant")
        refresh = "rt_" + secrets.token_urlsafe(24)
        self._refresh_tokens[refresh] = frozenset()
        return self._tokens(refresh)

    def _refresh(self, given: str) -> Response:
        if given not in self._refresh_tokens and not self._taken_as_issued(given):
            return self._refuse(400, "invalid_grant")
        if not self.rotate_refresh_tokens:
            self._refresh_tokens[given] = frozenset()
            return self._tokens(given)
        self._refresh_tokens.pop(given, None)
        self._spent.add(given)
        rotated = "rt_" + secrets.token_urlsafe(24)
        self._refresh_tokens[rotated] = frozenset()
        return self._tokens(rotated)

    def _taken_as_issued(self, given: str) -> bool:
        return (
            self.accept_unknown_refresh_tokens
            and bool(given)
            and not self._revoked_all
            and given not in self._spent
        )

    def _tokens(self, refresh: str) -> Response:
        return JSONResponse(
            {
                "access_token": self.issue_access_token(),
                "refresh_token": refresh,
                "token_type": "bearer",
                "expires_in": self.access_token_lifetime,
                **self.token_fields,
            },
            headers={"Cache-Control": "no-store"},
        )

    def _refuse(self, status: int, error: str) -> Response:
        if self.refusal is not None:
            return self.refusal(status, error)
        return JSONResponse({"error": error}, status)

    # ---- revocation -----------------------------------------------------------------------------

    async def revoke(self, request: Request) -> Response:
        """RFC 7009 (the token in a form or JSON body), or HubSpot's ``DELETE .../{token}``."""
        form = dict(await request.form()) if request.method == "POST" else {}
        try:
            body = await request.json() if request.method == "POST" and not form else {}
        except ValueError:
            body = {}
        token = str(request.path_params.get("token") or form.get("token") or body.get("token"))
        if token not in self._refresh_tokens:
            return (
                self._refuse(400, "invalid_token")
                if "{token}" in self.paths.revoke
                else (
                    Response(status_code=200)  # RFC 7009: an unknown token is no error
                )
            )
        self._refresh_tokens.pop(token, None)
        self._spent.add(token)
        self._access_tokens.pop(token, None)
        return Response(status_code=200)

    async def revoke_all(self, request: Request) -> Response:
        revoked = len(self._refresh_tokens)
        self._spent.update(self._refresh_tokens)
        self._refresh_tokens.clear()
        self._revoked_all = True
        self._access_tokens.clear()
        return JSONResponse({"revoked": revoked})

    async def expire_all(self, request: Request) -> Response:
        for token in self._access_tokens:
            self._access_tokens[token] = 0.0
        return JSONResponse({"expired": len(self._access_tokens)})


def _consent_page(params: Mapping[str, str], scopes: frozenset[str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
        for key, value in params.items()
    )
    listed = "".join(f"<li>{html.escape(scope)}</li>" for scope in sorted(scopes))
    return (
        "<!doctype html><title>Authorize access</title><h1>Allow access?</h1>"
        f"<p>An app asks to read:</p><ul id=scopes>{listed}</ul>"
        f'<form method="post">{hidden}'
        '<button name="decision" value="allow" id="allow">Allow</button> '
        '<button name="decision" value="deny" id="deny">Deny</button></form>'
    )
