"""The QuickBooks Online connector, on Intuit's ``python-quickbooks`` SDK (a Python connector).

A connection reads one company (``realm_id``) of the ``production`` or ``sandbox`` environment,
authorized by a person through Intuit's OAuth 2.0 (scope ``com.intuit.quickbooks.accounting``
only). The first run reads each entity through the query endpoint; later runs read what changed
through change data capture, deletions included, while the last load is within Intuit's 30
days, and through the query endpoint otherwise (``connectors/quickbooks/pages.py``). A deleted
entity is removed from its table, so a table holds what the company holds.
"""

from collections.abc import Mapping
from typing import Any

from connectors.base import ConnectionSpec, Connector, ConnectorInfo
from connectors.config_schema import (
    BASE_URL,
    START_DATE,
    object_schema,
    streams_field,
    with_defaults,
)
from connectors.egress import check_base_url, check_http_values
from connectors.oauth import AUTHORIZED_SECRETS, OAuthApp, token_secret_fields
from connectors.quickbooks.streams import STREAM_NAMES, STREAMS

API_HOSTS = {
    "production": "quickbooks.api.intuit.com",
    "sandbox": "sandbox-quickbooks.api.intuit.com",
}
MINOR_VERSION = 75
"""The oldest minor version Intuit still serves (1 to 74 were retired in 2025)."""
OAUTH_APP = OAuthApp(
    authorize_url="https://appcenter.intuit.com/connect/oauth2",
    token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    scopes=("com.intuit.quickbooks.accounting",),
    allowed_hosts=("oauth.platform.intuit.com", "developer.api.intuit.com"),
    client_auth="client_secret_basic",
    callback_config={"realmId": "realm_id"},
)
"""Intuit's authorization server, the same for both environments."""

INFO = ConnectorInfo(
    name="quickbooks",
    title="QuickBooks Online",
    category="accounting",
    auth="oauth2_refresh_token",
    description="QuickBooks Online accounting: customers, vendors, accounts, items, invoices, "
    "bills, payments, journal entries and the rest of a company's entities; deletions followed "
    "through change data capture.",
    docs_url="https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account",
    streams=tuple(stream.spec for stream in STREAMS),
    config_schema=object_schema(
        {
            "base_url": {
                **BASE_URL,
                "default": f"https://{API_HOSTS['production']}",
                "description": "API base URL; by default the environment's Intuit host",
            },
            "realm_id": {
                "type": "string",
                "pattern": r"^[0-9]{1,32}$",
                "description": "The company's id (realmId), given by Intuit when it is authorized",
                "errorMessage": "needs a realm_id of digits (the company id Intuit gives)",
            },
            "environment": {
                "enum": list(API_HOSTS),
                "default": "production",
                "description": "Intuit's production companies or its developer sandbox companies",
            },
            "minor_version": {
                "type": "integer",
                "minimum": MINOR_VERSION,
                "default": MINOR_VERSION,
                "description": "Accounting API minor version (minorversion) asked for",
            },
            "streams": streams_field(STREAM_NAMES),
            "start_date": START_DATE,
            **token_secret_fields("QuickBooks"),
        },
        required=["realm_id", *AUTHORIZED_SECRETS],
    ),
)


class QuickBooksConnector(Connector):
    def __init__(self) -> None:
        super().__init__(INFO)

    def base_url(self, config: Mapping[str, Any]) -> str:
        """The connection's ``base_url``, else its environment's Intuit host."""
        given = config.get("base_url")
        if given:
            return str(given).rstrip("/")
        return f"https://{API_HOSTS[config.get('environment', 'production')]}"

    def validate(self, connection: ConnectionSpec) -> None:
        """The schema's rules, values fit for URLs and headers, and a base URL on Intuit's API
        hosts or one the operator allows."""
        super().validate(connection)
        check_http_values(self.name, connection.config, connection.secrets)
        allowed = (*API_HOSTS.values(), *connection.runtime.egress_hosts)
        check_base_url(self.base_url(connection.config), allowed, self.name)

    def oauth_app(self, config: Mapping[str, Any]) -> OAuthApp:
        """Intuit's app; at a base URL other than Intuit's (a simulator), the same paths there."""
        base_url = self.base_url(config)
        if base_url in {f"https://{host}" for host in API_HOSTS.values()}:
            return OAUTH_APP
        return OAUTH_APP.rebased(base_url)

    def simulator(
        self, seed: int, records: int | None, rate_limit_every: int, error_every: int
    ) -> Any:
        from connectors.sandbox.generic import Faults
        from connectors.sandbox.quickbooks import create_app

        return create_app(seed, records, Faults(rate_limit_every, error_every))

    def source(self, connection: ConnectionSpec):
        from connectors.quickbooks.source import quickbooks_source

        config = with_defaults(self.config_schema, connection.config)
        selected = config.get("streams") or STREAM_NAMES
        return quickbooks_source(
            connection,
            config,
            self.base_url(config),
            self.oauth_app(config),
            [stream for stream in STREAMS if stream.spec.name in selected],
        )


connector = QuickBooksConnector()
