"""The Zoho CRM connector (REST API v8): the modules of one CRM account, incrementally.

Plain HTTP through the platform's guarded session (egress allow-list, dlt's retries) with
:class:`connectors.oauth.OAuthTokens`, not Zoho's SDK (``zohocrmsdk8-0``): the SDK keeps tokens
in a plaintext file store and brings its own HTTP stack past the allow-list, while reading
records needs three calls the SDK would only wrap (fields metadata, records, token refresh).
Connections are authorized at the account's data centre (``data_centre``); the token response's
``api_domain`` becomes config and requests go there.
"""

from collections.abc import Mapping
from typing import Any

from connectors.base import ConnectionSpec, Connector, ConnectorInfo, StreamSpec
from connectors.egress import check_base_url, check_http_values
from connectors.oauth import OAuthApp
from connectors.zoho_crm import config as settings
from connectors.zoho_crm.vendor import API_PATH, CURSOR, MODULES, OAUTH_PATHS, scopes, stream_name
from governance.errors import AtsparkError

CORE_COLUMNS = {
    "id": "text",
    "Created_Time": "timestamp",
    "Modified_Time": "timestamp",
    "Created_By": "json",
    "Modified_By": "json",
}
"""The columns every module has; the rest come from the account's fields metadata."""

INFO = ConnectorInfo(
    name="zoho_crm",
    title="Zoho CRM",
    category="crm",
    auth="oauth2_refresh_token",
    description="Zoho CRM (API v8): leads, contacts, accounts, deals, activities, products, "
    "quotes, orders, invoices, campaigns, cases and more, with each account's own fields.",
    docs_url="https://www.zoho.com/crm/developer/docs/api/v8/",
    streams=tuple(
        StreamSpec(
            stream_name(module),
            primary_key="id",
            cursor=CURSOR,
            write_disposition="merge",
            columns=CORE_COLUMNS,
            endpoint=f"GET {API_PATH}/{module}",
        )
        for module in MODULES
    ),
    config_schema=settings.SCHEMA,
)


class ZohoCrmConnector(Connector):
    def __init__(self) -> None:
        super().__init__(INFO)

    def validate(self, connection: ConnectionSpec) -> None:
        """The schema's rules, credentials to run with, and URLs only to the data centre's API
        host or a host the operator allows."""
        super().validate(connection)
        check_http_values(self.name, connection.config, connection.secrets)
        self._check_credentials(connection.secrets)
        self._check_urls(connection)

    def _check_credentials(self, secrets: Mapping[str, str]) -> None:
        if secrets.get("refresh_token"):
            missing = [name for name in ("client_id", "client_secret") if not secrets.get(name)]
            if missing:
                raise AtsparkError(
                    f"connector {self.name!r} needs secret {', '.join(missing)} to renew its "
                    "access tokens with the refresh_token"
                )
        elif not secrets.get("access_token"):
            raise AtsparkError(
                f"connector {self.name!r} needs secrets client_id, client_secret and "
                "refresh_token (authorize the connection), or an access_token"
            )

    def _check_urls(self, connection: ConnectionSpec) -> None:
        centre = settings.data_centre(connection.config)
        allowed = (centre.api_host, *connection.runtime.egress_hosts)
        for field, url in settings.given_urls(connection.config).items():
            try:
                check_base_url(url, allowed, self.name)
            except AtsparkError as refused:
                raise AtsparkError(f"{refused} (config {field})") from None

    def oauth_app(self, config: Mapping[str, Any]) -> OAuthApp:
        """Zoho's accounts server of the data centre, asking for offline access (a refresh
        token) with consent, and only the selected modules' read scopes and the fields
        metadata's; at a sandbox's origin when ``base_url`` is one."""
        centre = settings.data_centre(config)
        app = OAuthApp(
            authorize_url=centre.accounts_url + OAUTH_PATHS["authorize"],
            token_url=centre.accounts_url + OAUTH_PATHS["token"],
            revoke_url=centre.accounts_url + OAUTH_PATHS["revoke"],
            scopes=scopes(settings.modules(config)),
            allowed_hosts=(centre.accounts_host,),
            scope_separator=",",
            authorize_params={"access_type": "offline", "prompt": "consent"},
            token_config={"api_domain": "api_domain"},
        )
        base_url = config.get("base_url")
        return app.rebased(base_url) if base_url and not settings.is_vendors(base_url) else app

    def source(self, connection: ConnectionSpec):
        """Checked again here, not only when the connection was added: a connection stored
        before a rule still never sends its token elsewhere."""
        from connectors.zoho_crm.source import zoho_source

        self._check_urls(connection)
        return zoho_source(connection, self.oauth_app(connection.config))

    def simulator(
        self, seed: int, records: int | None, rate_limit_every: int, error_every: int
    ) -> Any:
        from connectors.sandbox.generic import Faults
        from connectors.sandbox.zoho_crm import create_app

        faults = Faults(rate_limit_every=rate_limit_every, error_every=error_every)
        return create_app(seed, records, faults)


connector = ZohoCrmConnector()
