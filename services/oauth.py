"""OAuth connections: a tenant's admin authorizes a connection at its vendor from the serving app.

``start_authorization`` (or ``start_reauthorization`` for an existing connection) remembers the
flow, found later by the SHA-256 of its ``state`` with its PKCE verifier and the app's
credentials sealed under the tenant's key, and answers the vendor's authorize URL, which asks
only for the scopes the connector declares. The vendor sends the person back to
``/oauth/callback``; ``complete_authorization`` takes the flow (once, by the same person, within
ten minutes), redeems the code with the verifier and stores the tokens envelope-encrypted. At run
time the connector renews tokens before they expire (``connectors/oauth.py``); when the vendor
refuses the refresh token, ``ingestion`` marks the connection ``needs_reauthorization``.
Starting, connecting, re-authorizing, disconnecting and refresh failures are audit events.
"""

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select

from connectors import config_schema
from connectors.base import Connector
from connectors.declarative.spec import Retry
from connectors.egress import Egress, host_allowed, hosts_of
from connectors.oauth import (
    OAuthApp,
    new_code_verifier,
    request_tokens,
    revoke_token,
    token_secrets,
    token_session,
)
from connectors.registry import get_connector
from governance import tenancy
from governance.audit import as_utc
from governance.crypto.purposes import PURPOSE_SECRETS
from governance.errors import AtsparkError, PermissionDenied
from governance.store.models import Connection, OAuthAuthorization, utcnow
from governance.tenancy import ConnectionInfo
from pipelines.connection_spec import connection_spec
from services.context import ServiceContext
from services.operations import Operation, Work, operation

PERMISSION = "connections.manage"
FLOW_LIFETIME = timedelta(minutes=10)
ACTIVE = "active"
NEEDS_REAUTHORIZATION = "needs_reauthorization"
CODE_RETRY = Retry(max_attempts=1, timeout=20)
"""An authorization code is sent once: vendors may revoke a grant whose code comes twice."""
MAX_PENDING_FLOWS = 20
MAX_CONFIG_BYTES = 16_000


class AuthorizationRefused(PermissionDenied):
    """A callback that does not finish a flow this person started (wrong or spent ``state``)."""


@dataclass(frozen=True)
class AuthorizationStarted:
    """Where to send the person, and until when the flow waits for them."""

    connection: str
    authorize_url: str
    expires_at: datetime


def start_authorization(
    ctx: ServiceContext,
    tenant: str,
    connector: str,
    config: Mapping[str, Any],
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    name: str | None = None,
) -> AuthorizationStarted:
    """Begin connecting a new connection: the vendor's authorize URL for this person."""
    with operation(ctx, "connection.authorize", tenant) as op, op.unit(PERMISSION) as work:
        tenancy.check_connection_values(
            dict(config), {"client_id": client_id, "client_secret": client_secret}
        )
        plugin = get_connector(connector)
        name = name or plugin.name
        tenancy.check_connection_name(work.session, work.tenant_row, name)
        parsed = plugin.parse_config(config)
        op.note(connection=name, connector=plugin.name, reauthorize=False)
        return _begin(
            ctx, op, work, plugin, name, parsed, client_id, client_secret, redirect_uri, None
        )


def start_reauthorization(
    ctx: ServiceContext, tenant: str, name: str, redirect_uri: str
) -> AuthorizationStarted:
    """Begin authorizing an existing connection again (its vendor refused its tokens, or its
    scopes changed), with the app credentials it holds."""
    with operation(ctx, "connection.authorize", tenant) as op, op.unit(PERMISSION) as work:
        connection = tenancy.find_connection(work.session, work.tenant_row, name)
        held = tenancy.connection_secrets(ctx.platform, work.tenant_row, connection)
        if not held.get("client_id") or not held.get("client_secret"):
            raise AtsparkError(f"connection {name!r} holds no OAuth app credentials to reuse")
        plugin = get_connector(connection.connector)
        op.note(connection=name, connector=plugin.name, reauthorize=True)
        return _begin(
            ctx, op, work, plugin, name, dict(connection.config),
            held["client_id"], held["client_secret"], redirect_uri, connection.id,
        )  # fmt: skip


def _begin(
    ctx: ServiceContext,
    op: Operation,
    work: Work,
    plugin: Connector,
    name: str,
    config: dict[str, Any],
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    connection_id: str | None,
) -> AuthorizationStarted:
    app = _app(plugin, config)
    _check_before_consent(ctx, plugin, app, config)
    if work.user is None:
        raise PermissionDenied("only a tenant's signed-in user may authorize a connection")
    _forget_expired_flows(work)
    pending = work.session.scalar(
        select(func.count()).where(OAuthAuthorization.user_id == work.user.id)
    )
    if pending >= MAX_PENDING_FLOWS:
        raise AtsparkError(
            f"{pending} authorizations of yours are waiting for the vendor: finish them, or "
            f"try again in {FLOW_LIFETIME.seconds // 60} minutes"
        )
    state, verifier = secrets.token_urlsafe(32), new_code_verifier()
    flow = OAuthAuthorization(
        tenant_id=work.tenant_row.id,
        user_id=work.user.id,
        state_hash=_digest(state),
        connector=plugin.name,
        connection=name,
        connection_id=connection_id,
        config=config,
        redirect_uri=redirect_uri,
        expires_at=utcnow() + FLOW_LIFETIME,
        sealed=b"",
    )
    work.session.add(flow)
    work.session.flush()
    held = {"code_verifier": verifier, "client_id": client_id, "client_secret": client_secret}
    flow.sealed = ctx.platform.keys.encrypt(
        work.tenant_row.id, PURPOSE_SECRETS, json.dumps(held).encode(), _aad(flow)
    )
    op.note(scopes=list(app.scopes))
    url = app.authorization_url(client_id, redirect_uri, state, verifier)
    return AuthorizationStarted(name, url, flow.expires_at)


def complete_authorization(
    ctx: ServiceContext, tenant: str, state: str, callback: Mapping[str, str]
) -> ConnectionInfo:
    """Finish the flow ``state`` names with the vendor's callback parameters: redeem the code
    with the PKCE verifier and store the tokens; refused unless this person started it, and
    unless the connection is still as it was (free name, or the same connection)."""
    with operation(ctx, "connection.connect", tenant) as op:
        with op.unit(PERMISSION, records=False) as work:
            flow, held, problem = _take_flow(ctx, work, state)
        if flow.connection_id:
            op.action = "connection.reauthorize"
        op.note(connection=flow.connection, connector=flow.connector)
        if problem:
            raise AuthorizationRefused(problem)
        if callback.get("error"):
            raise AuthorizationRefused(
                f"the vendor did not grant access ({str(callback['error'])[:60]})"
            )
        if not callback.get("code"):
            raise AuthorizationRefused("the vendor's callback carried no authorization code")
        plugin = get_connector(flow.connector)
        app = _app(plugin, flow.config)
        with _token_session(ctx, plugin, app, CODE_RETRY) as session:
            body = request_tokens(
                session, app, held["client_id"], held["client_secret"],
                grant_type="authorization_code", code=callback["code"],
                redirect_uri=flow.redirect_uri, code_verifier=held["code_verifier"],
            )  # fmt: skip
        stored = {
            "client_id": held["client_id"],
            "client_secret": held["client_secret"],
            **token_secrets(body),
        }
        if isinstance(body.get("scope"), str):
            op.note(granted_scopes=body["scope"][:500])
        try:
            config = plugin.parse_config(_arrived_config(app, flow.config, callback, body))
            with op.unit(PERMISSION) as work:
                slug = work.tenant_row.slug
                settings = ctx.platform.settings
                plugin.validate(connection_spec(settings, slug, flow.connection, config, stored))
                info = _store(ctx, work, flow, plugin, config, stored)
                op.note(scopes=list(app.scopes))
                return info
        except AtsparkError:  # tokens issued for nothing: hand them back
            _revoke(ctx, plugin, app, held, stored["refresh_token"])
            raise


def _arrived_config(
    app: OAuthApp, config: Mapping[str, Any], callback: Mapping[str, str], body: Mapping
) -> dict[str, Any]:
    """The flow's config with what the vendor's callback and token answer add to it."""
    return {
        **config,
        **{field: callback[key] for key, field in app.callback_config.items() if key in callback},
        **{field: body[key] for key, field in app.token_config.items() if key in body},
    }


def _take_flow(
    ctx: ServiceContext, work: Work, state: str
) -> tuple[OAuthAuthorization, dict[str, str], str | None]:
    """The flow ``state`` names, deleted as it is taken (a state works once), what it sealed,
    and why it cannot finish (expired; the connection gone or changed, or its name taken)."""
    flow = work.session.scalar(
        select(OAuthAuthorization).where(
            OAuthAuthorization.state_hash == _digest(state),
            OAuthAuthorization.tenant_id == work.tenant_row.id,
        )
    )
    if flow is None or work.user is None or flow.user_id != work.user.id:
        raise AuthorizationRefused(
            "this authorization is unknown, already used or someone else's: start connecting again"
        )
    work.session.delete(flow)
    plaintext = ctx.platform.keys.decrypt(
        work.tenant_row.id, PURPOSE_SECRETS, flow.sealed, _aad(flow)
    )
    return flow, json.loads(plaintext), _why_not(work, flow)


def _why_not(work: Work, flow: OAuthAuthorization) -> str | None:
    if as_utc(flow.expires_at) < utcnow():
        return "this authorization expired: start connecting again"
    found = work.session.scalar(
        select(Connection).where(
            Connection.tenant_id == work.tenant_row.id, Connection.name == flow.connection
        )
    )
    if flow.connection_id is None:
        return f"connection {flow.connection!r} was added meanwhile: start again" if found else None
    if found is None or found.id != flow.connection_id or found.connector != flow.connector:
        return f"connection {flow.connection!r} was removed or replaced since re-authorizing began"
    return None


def _store(
    ctx: ServiceContext,
    work: Work,
    flow: OAuthAuthorization,
    plugin: Connector,
    config: dict[str, Any],
    stored: dict[str, str],
) -> ConnectionInfo:
    tenant = work.tenant_row
    if flow.connection_id:
        connection = tenancy.find_connection(work.session, tenant, flow.connection)
        connection.config = config
        tenancy.replace_connection_secrets(ctx.platform, tenant, connection, stored)
    else:
        tenancy.add_connection(
            ctx.platform, work.session, tenant, flow.connection, plugin.name, config, stored
        )
        connection = tenancy.find_connection(work.session, tenant, flow.connection)
    connection.status = ACTIVE
    connection.authorized_at = utcnow()
    work.session.flush()
    return tenancy.connection_info(tenant, connection)


def disconnect(ctx: ServiceContext, tenant: str, name: str) -> None:
    """Revoke the connection's tokens at its vendor (where it offers that) and remove it."""
    with operation(ctx, "connection.disconnect", tenant) as op:
        op.note(connection=name)
        with op.unit(PERMISSION, records=False) as work:
            connection = tenancy.find_connection(work.session, work.tenant_row, name)
            held = tenancy.connection_secrets(ctx.platform, work.tenant_row, connection)
            plugin = get_connector(connection.connector)
            app = plugin.oauth_app(dict(connection.config))
        refresh_token = held.get("refresh_token")
        revoked = bool(app and refresh_token and _revoke(ctx, plugin, app, held, refresh_token))
        with op.unit(PERMISSION) as work:
            found = tenancy.find_connection(work.session, work.tenant_row, name)
            work.session.delete(found)
            op.note(revoked=revoked)


def mark_needs_reauthorization(ctx: ServiceContext, tenant: str, name: str, reason: str) -> None:
    """Record that the vendor refused the connection's refresh token: it runs no more until a
    person authorizes it again."""
    with operation(ctx, "connection.refresh_failed", tenant) as op:
        op.note(connection=name, reason=reason)
        with op.unit(PERMISSION, records=False) as work:
            connection = tenancy.find_connection(work.session, work.tenant_row, name)
            connection.status = NEEDS_REAUTHORIZATION
            op.record(work.session, "failed")


def check_runnable(connection: Connection) -> None:
    """Refuse to run a connection waiting to be authorized again."""
    if connection.status == NEEDS_REAUTHORIZATION:
        raise AtsparkError(
            f"connection {connection.name!r} needs to be authorized again: its vendor refused "
            "its refresh token (re-authorize it from the serving app's Connections page)"
        )


def _app(plugin: Connector, config: Mapping[str, Any]) -> OAuthApp:
    app = plugin.oauth_app(config)
    if app is None:
        raise AtsparkError(
            f"connector {plugin.name!r} does not connect by OAuth: add the connection with its "
            "secrets instead"
        )
    return app


def _revoke(
    ctx: ServiceContext, plugin: Connector, app: OAuthApp, client: Mapping[str, str], token: str
) -> bool:
    """Revoke a refresh token at the vendor, where it allows that; whether it did."""
    if not app.revoke_url:
        return False
    with _token_session(ctx, plugin, app) as session:
        client_id, client_secret = client.get("client_id", ""), client.get("client_secret", "")
        return revoke_token(session, app, client_id, client_secret, token)


def _token_session(
    ctx: ServiceContext, plugin: Connector, app: OAuthApp, retry: Retry | None = None
) -> Any:
    """A session that reaches only the app's token hosts and the operator's allowed hosts."""
    return token_session(plugin.name, app, ctx.platform.settings.egress_allowed_hosts, retry)


def _check_before_consent(
    ctx: ServiceContext, plugin: Connector, app: OAuthApp, config: Mapping[str, Any]
) -> None:
    """Refuse, before anyone is sent to the vendor, a config the connector would refuse (bar
    the fields the vendor's answer brings and the secrets to come), and endpoints outside what
    the platform may reach or a browser should be sent to."""
    if len(json.dumps(config, default=str)) > MAX_CONFIG_BYTES:
        raise AtsparkError(f"the config is too large (at most {MAX_CONFIG_BYTES} bytes)")
    arriving = {*app.callback_config.values(), *app.token_config.values()}
    schema = dict(plugin.config_schema)
    secret_names = config_schema.secret_fields(schema)
    schema["required"] = [
        field for field in schema.get("required", ()) if field not in arriving | secret_names
    ]
    config_schema.check(schema, config, {}, plugin.name)
    hosts = (*app.allowed_hosts, *ctx.platform.settings.egress_allowed_hosts)
    egress = Egress(plugin.name, hosts, None)
    for url in (app.token_url, app.revoke_url):
        if url:
            egress.check(url.replace("{token}", "token"))
    _check_browser_url(app.authorize_url, ctx.platform.settings.egress_allowed_hosts, plugin.name)


def _check_browser_url(url: str, local_hosts: tuple[str, ...], connector: str) -> None:
    """Where a person's browser may be sent: https, or http to a host the operator allows
    (a simulator on this machine)."""
    try:
        scheme, hosts = urlsplit(url).scheme, hosts_of(url)
    except ValueError:
        scheme, hosts = "", {""}
    local = scheme == "http" and all(host_allowed(host, local_hosts) for host in hosts)
    if "" in hosts or not (scheme == "https" or local):
        raise AtsparkError(
            f"connector {connector!r} cannot send anyone to its authorization page: it needs a "
            "base_url like https://host[:port]"
        )


def _forget_expired_flows(work: Work) -> None:
    work.session.execute(
        delete(OAuthAuthorization).where(
            OAuthAuthorization.tenant_id == work.tenant_row.id,
            OAuthAuthorization.expires_at < utcnow(),
        )
    )


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _aad(flow: OAuthAuthorization) -> dict[str, str]:
    return {"oauth_authorization": flow.id}
