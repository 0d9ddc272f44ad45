"""How a declarative connection authenticates: dlt's authenticators where dlt has one, and what
dlt lacks: vendor prefixes (``Token token=``, ``Zoho-oauthtoken``) and OAuth2 refresh tokens
that rotate, each new one handed to the platform to store encrypted."""

import threading
import time
from collections.abc import Mapping
from typing import Any

from requests.auth import AuthBase

from connectors.base import SecretsSaver
from connectors.declarative import spec as s
from governance.errors import AtsparkError

REFRESH_MARGIN_S = 60
"""Access tokens are renewed this long before they expire."""


def authenticator(
    auth: s.Auth,
    values: Mapping[str, Any],
    token_url: str | None,
    session: Any,
    save_secrets: SecretsSaver | None,
) -> AuthBase | None:
    """The requests authenticator of ``auth`` over the connection's ``values``."""
    from dlt.sources.helpers.rest_client.auth import (
        APIKeyAuth,
        BearerTokenAuth,
        HttpBasicAuth,
        OAuth2ClientCredentials,
    )

    match auth:
        case s.BearerAuth(prefix="Bearer "):
            return BearerTokenAuth(token=values[auth.secret])
        case s.BearerAuth():
            return APIKeyAuth(name="Authorization", api_key=auth.prefix + values[auth.secret])
        case s.ApiKeyAuth():
            return APIKeyAuth(
                name=auth.name, api_key=auth.prefix + values[auth.secret], location=auth.location
            )
        case s.BasicAuth():
            return HttpBasicAuth(
                username=auth.username.format_map(values), password=auth.password.format_map(values)
            )
        case s.OAuth2ClientCredentials():
            extra = {"scope": " ".join(auth.scopes)} if auth.scopes else {}
            return OAuth2ClientCredentials(
                access_token_url=token_url,
                client_id=values["client_id"],
                client_secret=values["client_secret"],
                access_token_request_data=extra,
                session=session,
            )
        case s.OAuth2RefreshToken():
            return RotatingRefreshToken(
                token_url or auth.token_url,
                values["client_id"],
                values["client_secret"],
                values["refresh_token"],
                auth.prefix,
                session,
                save_secrets,
            )
    return None


class RotatingRefreshToken(AuthBase):
    """OAuth2 with a refresh token: an access token bought at ``token_url`` and renewed before
    it expires. When the vendor answers with a new refresh token (rotation), the old one is dead:
    the new one is kept for the next renewal and handed to ``save_secrets`` at once."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        prefix: str,
        session: Any,
        save_secrets: SecretsSaver | None,
    ) -> None:
        self._token_url = token_url
        self._client = (client_id, client_secret)
        self._refresh_token = refresh_token
        self._prefix = prefix
        self._session = session
        self._save_secrets = save_secrets
        self._access_token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RotatingRefreshToken at {self._token_url}>"

    def __deepcopy__(self, memo: dict) -> "RotatingRefreshToken":
        """One token per connection: copies of the session (dlt makes some) share it."""
        return self

    def __call__(self, request: Any) -> Any:
        with self._lock:
            if self._access_token is None or time.monotonic() >= self._expires_at:
                self._renew()
            request.headers["Authorization"] = f"{self._prefix}{self._access_token}"
        return request

    def _renew(self) -> None:
        client_id, client_secret = self._client
        response = self._session.post(
            self._token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise AtsparkError(
                f"the token endpoint refused the refresh token (HTTP {response.status_code}): "
                "the connection needs to be authorized again"
            )
        body = response.json()
        if not isinstance(body, dict) or not body.get("access_token"):
            raise AtsparkError("the token endpoint answered without an access token")
        self._access_token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 3600)
        self._expires_at = time.monotonic() + max(lifetime - REFRESH_MARGIN_S, lifetime / 2)
        rotated = body.get("refresh_token")
        if rotated and rotated != self._refresh_token:
            self._refresh_token = str(rotated)
            if self._save_secrets is not None:
                self._save_secrets({"refresh_token": self._refresh_token})
