"""The HubSpot connector, built on HubSpot's official SDK (``hubspot-api-client``).

Contacts, companies, deals, tickets and line items are read incrementally through the CRM search
API; owners and deal and ticket pipelines whole. A connection authenticates with a private
app's access token, or with OAuth: the app's client id and secret and the refresh token of an
authorization, from which access tokens (30 minutes each) are renewed during the run.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import ConnectionSpec, Connector, ConnectorInfo
from connectors.config_schema import BASE_URL, START_DATE, object_schema, streams_field
from connectors.egress import check_base_url, check_http_values
from connectors.hubspot.streams import (
    OBJECT_STREAMS,
    RECORD_FIELDS,
    SCOPES,
    STREAM_NAMES,
    STREAMS,
)
from connectors.oauth import AUTHORIZED_SECRETS, OAuthApp, token_secret_fields
from governance.errors import AtsparkError

API_HOST = "api.hubapi.com"
DEFAULT_BASE_URL = f"https://{API_HOST}"
AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"
REVOKE_URL = "https://api.hubapi.com/oauth/v1/refresh-tokens/{token}"
TOKEN_URL = f"{DEFAULT_BASE_URL}/oauth/v1/token"
PROPERTY_NAME = r"^[a-z][a-z0-9_]{0,99}$"

_SECRETS = token_secret_fields("HubSpot")
_SECRETS["access_token"] = {
    **_SECRETS["access_token"],
    "description": "A private app's access token; or, with OAuth, the current access token",
}

INFO = ConnectorInfo(
    name="hubspot",
    title="HubSpot",
    category="crm",
    auth="oauth2_refresh_token",
    description="HubSpot CRM: contacts, companies, deals, tickets, line items, owners and "
    "pipelines.",
    docs_url="https://developers.hubspot.com/docs/api/crm/understanding-the-crm",
    streams=STREAMS,
    config_schema=object_schema(
        {
            "base_url": {**BASE_URL, "default": DEFAULT_BASE_URL},
            "streams": streams_field(STREAM_NAMES),
            "start_date": START_DATE,
            **{
                stream.config_field: {
                    "type": "array",
                    "items": {"type": "string", "pattern": PROPERTY_NAME},
                    "uniqueItems": True,
                    "description": f"More properties of {stream.name} to load, by internal "
                    "name (each a text column)",
                }
                for stream in OBJECT_STREAMS
            },
            **_SECRETS,
        }
    ),
)


class HubSpotConnector(Connector):
    def __init__(self) -> None:
        super().__init__(INFO)

    def base_url(self, config: Mapping[str, Any]) -> str:
        return str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")

    def validate(self, connection: ConnectionSpec) -> None:
        """The schema's rules, values fit for headers, one way to authenticate, properties
        that are not the records' own columns, and a base URL on HubSpot's API host (or one
        the operator allows)."""
        super().validate(connection)
        check_http_values(self.name, connection.config, connection.secrets)
        _check_credentials(connection.secrets)
        for stream in OBJECT_STREAMS:
            given = connection.config.get(stream.config_field) or []
            if clashing := sorted(set(given) & set(RECORD_FIELDS)):
                raise AtsparkError(
                    f"field {stream.config_field!r} of connector 'hubspot': {stream.name} have "
                    f"their own {', '.join(clashing)}"
                )
        allowed = (API_HOST, *connection.runtime.egress_hosts)
        check_base_url(self.base_url(connection.config), allowed, self.name)

    def oauth_app(self, config: Mapping[str, Any]) -> OAuthApp:
        """HubSpot's authorization-code app, asking for what reading every stream needs; at a
        simulator's origin when the base URL is not HubSpot's. A disconnection revokes the
        refresh token with ``DELETE /oauth/v1/refresh-tokens/{token}``."""
        app = OAuthApp(
            authorize_url=AUTHORIZE_URL,
            token_url=TOKEN_URL,
            scopes=SCOPES,
            allowed_hosts=(API_HOST,),
            revoke_url=REVOKE_URL,
        )
        base_url = self.base_url(config)
        return app if base_url == DEFAULT_BASE_URL else app.rebased(base_url)

    def simulator(
        self, seed: int, records: int | None, rate_limit_every: int, error_every: int
    ) -> Any:
        from connectors.sandbox.hubspot import Faults, create_app

        return create_app(seed, records, Faults(rate_limit_every, error_every))

    def source(self, connection: ConnectionSpec):
        from connectors.hubspot.api import HubSpotApi
        from connectors.hubspot.source import hubspot_source

        config = connection.config
        base_url = self.base_url(config)
        check_base_url(base_url, (API_HOST, *connection.runtime.egress_hosts), self.name)
        api = HubSpotApi(base_url, self._access_token(connection))
        return hubspot_source(
            api,
            config.get("streams") or STREAM_NAMES,
            {stream.name: config.get(stream.config_field) or [] for stream in OBJECT_STREAMS},
            _start(config.get("start_date")),
        )

    def _access_token(self, connection: ConnectionSpec) -> Callable[[], str]:
        """Where each request's access token comes from: the private app's, or an OAuth
        authorization's, renewed before it expires."""
        secrets = connection.secrets
        if not secrets.get("refresh_token"):
            token = secrets["access_token"]
            return lambda: token
        from connectors.oauth import OAuthTokens, token_session

        app = self.oauth_app(connection.config)
        session = token_session("HubSpot", app, connection.runtime.egress_hosts)
        return OAuthTokens(app, secrets, session, connection.runtime.save_secrets).access_token


def _check_credentials(secrets: Mapping[str, str]) -> None:
    """A private app's token, or an OAuth authorization's secrets, complete."""
    if secrets.get("refresh_token"):
        missing = [name for name in AUTHORIZED_SECRETS if not secrets.get(name)]
        if missing:
            raise AtsparkError(f"connector 'hubspot' needs secret {', '.join(missing)} for OAuth")
    elif not secrets.get("access_token"):
        raise AtsparkError(
            "connector 'hubspot' needs secret access_token (a private app's), or secrets "
            "client_id, client_secret and refresh_token (an OAuth authorization)"
        )


def _start(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


connector = HubSpotConnector()
