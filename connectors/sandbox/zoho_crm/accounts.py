"""Zoho's accounts server, for the simulator: OAuth at ``/oauth/v2/*``, as Zoho runs it.

The sandbox authorization server (``connectors/sandbox/oauth.py``) with Zoho's ways: scopes
separated by commas, refresh tokens that do not rotate (one works until revoked), access tokens
for an hour, every token response naming the account's ``api_domain`` (here: the simulator's own
origin), and refusals as HTTP 200 with an ``error`` field (``invalid_code`` for a refresh token
or code it does not know).
"""

import json
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.sandbox.oauth import AuthorizationServer, OAuthPaths
from connectors.zoho_crm.vendor import FIELDS_SCOPE, MODULES, OAUTH_PATHS

SANDBOX_REFRESH_TOKEN = "1000.sandbox0refresh0token.zohocrm"
"""A refresh token the simulator has issued already (as if from Zoho's Self Client console)."""
ZOHO_ERRORS = {"invalid_grant": "invalid_code"}


def known_scopes() -> frozenset[str]:
    """Zoho CRM's read and full scopes of the modules and the fields metadata."""
    per_module: Iterable[str] = (
        f"ZohoCRM.modules.{scope}.{operation}"
        for scope in MODULES.values()
        for operation in ("READ", "ALL")
    )
    return frozenset(
        (
            *per_module,
            "ZohoCRM.modules.READ",
            "ZohoCRM.modules.ALL",
            FIELDS_SCOPE,
            "ZohoCRM.settings.ALL",
        )
    )


def _refusal(status: int, error: str) -> Response:
    return JSONResponse({"error": ZOHO_ERRORS.get(error, error)})


class ZohoAccounts(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(
            OAuthPaths(OAUTH_PATHS["authorize"], OAUTH_PATHS["token"], OAUTH_PATHS["revoke"]),
            known_scopes(),
            scope_separator=",",
            refusal=_refusal,
        )
        self.issue_refresh_token(SANDBOX_REFRESH_TOKEN)

    async def token(self, request: Request) -> Response:
        """The token endpoint's answer, with the ``api_domain`` Zoho adds to every token."""
        answer = await super().token(request)
        body = json.loads(answer.body)
        if "access_token" not in body:
            return answer
        body["api_domain"] = str(request.base_url).rstrip("/")
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
