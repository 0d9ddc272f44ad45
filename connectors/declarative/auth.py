"""How a declarative connection authenticates: dlt's authenticators where dlt has one, and what
dlt lacks: vendor prefixes (``Token token=``, ``Zoho-oauthtoken``) and OAuth2 refresh tokens
that rotate, each new one handed to the platform to store encrypted (``connectors/oauth.py``)."""

from collections.abc import Mapping
from typing import Any

from requests.auth import AuthBase

from connectors.base import SecretsSaver
from connectors.declarative import spec as s
from connectors.oauth import OAuthApp, OAuthTokens


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
            app = OAuthApp(auth.authorize_url or "", token_url or auth.token_url, auth.scopes, ())
            return OAuthTokens(app, values, session, save_secrets).auth(auth.prefix)
    return None
