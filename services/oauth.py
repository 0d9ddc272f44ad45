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

from sqlalchemy import delete, select

from connectors.base import Connector
from connectors.declarative.spec import Retry
from connectors.egress import Egress, guarded_session
from connectors.oauth import (
    OAuthApp,
    new_code_verifier,
    request_tokens,
    revoke_token,
    token_secrets,
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
from services.operations import Work, operation

PERMISSION = "connections.manage"
FLOW_LIFETIME = timedelta(minutes=10)
ACTIVE = "active"
NEEDS_REAUTHORIZATION = "needs_reauthorization"
TOKEN_RETRY = Retry(max_attempts=3, backoff_factor=0.5, max_delay=5, timeout=20)


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
        return _begin(ctx, op, work, plugin, name, parsed, client_id, client_secret, redirect_uri)


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
            held["client_id"], held["client_secret"], redirect_uri, reauthorize=True,
        )  # fmt: skip


def _begin(
    ctx: ServiceContext,
    op: Any,
    work: Work,
    plugin: Connector,
    name: str,
    config: dict[str, Any],
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    reauthorize: bool = False,
) -> AuthorizationStarted:
    app = _app(plugin, config)
    if work.user is None:
        raise PermissionDenied("only a tenant's signed-in user may authorize a connection")
    state, verifier = secrets.token_urlsafe(32), new_code_verifier()
    now = utcnow()
    work.session.execute(
        delete(OAuthAuthorization).where(
            OAuthAuthorization.tenant_id == work.tenant_row.id,
            OAuthAuthorization.expires_at < now,
        )
    )
    flow = OAuthAuthorization(
        tenant_id=work.tenant_row.id,
        user_id=work.user.id,
        state_hash=_digest(state),
        connector=plugin.name,
        connection=name,
        config=config,
        redirect_uri=redirect_uri,
        reauthorize=reauthorize,
        expires_at=now + FLOW_LIFETIME,
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
    with the PKCE verifier and store the tokens; refused unless this person started it."""
    with operation(ctx, "connection.connect", tenant) as op:
        with op.unit(PERMISSION, records=False) as work:
            flow, held = _take_flow(ctx, work, state)
        if flow.reauthorize:
            op.action = "connection.reauthorize"
        op.note(connection=flow.connection, connector=flow.connector)
        if held is None:
            raise AuthorizationRefused("this authorization expired: start connecting again")
        if callback.get("error"):
            raise AuthorizationRefused(
                f"the vendor did not grant access ({str(callback['error'])[:60]})"
            )
        if not callback.get("code"):
            raise AuthorizationRefused("the vendor's callback carried no authorization code")
        plugin = get_connector(flow.connector)
        app = _app(plugin, flow.config)
        body = request_tokens(
            _token_session(ctx, plugin, app),
            app,
            held["client_id"],
            held["client_secret"],
            grant_type="authorization_code",
            code=callback["code"],
            redirect_uri=flow.redirect_uri,
            code_verifier=held["code_verifier"],
        )
        config = {
            **flow.config,
            **{
                field: callback[key]
                for key, field in app.callback_config.items()
                if key in callback
            },
            **{field: body[key] for key, field in app.token_config.items() if key in body},
        }
        config = plugin.parse_config(config)
        stored = {
            "client_id": held["client_id"],
            "client_secret": held["client_secret"],
            **token_secrets(body),
        }
        settings = ctx.platform.settings
        with op.unit(PERMISSION) as work:
            plugin.validate(
                connection_spec(settings, work.tenant_row.slug, flow.connection, config, stored)
            )
            info = _store(ctx, work, flow, plugin, config, stored)
            op.note(scopes=list(app.scopes))
            return info


def _take_flow(
    ctx: ServiceContext, work: Work, state: str
) -> tuple[OAuthAuthorization, dict[str, str] | None]:
    """The flow ``state`` names, deleted as it is taken (a state works once), with what it
    sealed, or None for that when it expired."""
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
    if as_utc(flow.expires_at) < utcnow():
        return flow, None
    plaintext = ctx.platform.keys.decrypt(
        work.tenant_row.id, PURPOSE_SECRETS, flow.sealed, _aad(flow)
    )
    return flow, json.loads(plaintext)


def _store(
    ctx: ServiceContext,
    work: Work,
    flow: OAuthAuthorization,
    plugin: Connector,
    config: dict[str, Any],
    stored: dict[str, str],
) -> ConnectionInfo:
    tenant = work.tenant_row
    if flow.reauthorize:
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
        revoked = False
        if app is not None and app.revoke_url and held.get("refresh_token"):
            revoked = revoke_token(
                _token_session(ctx, plugin, app),
                app,
                held.get("client_id", ""),
                held.get("client_secret", ""),
                held["refresh_token"],
            )
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


def _token_session(ctx: ServiceContext, plugin: Connector, app: OAuthApp) -> Any:
    """A session that reaches only the app's token hosts and the operator's allowed hosts."""
    hosts = (*app.allowed_hosts, *ctx.platform.settings.egress_allowed_hosts)
    return guarded_session(
        Egress(plugin.name, hosts, None), TOKEN_RETRY, stop_on_client_errors=False
    )


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _aad(flow: OAuthAuthorization) -> dict[str, str]:
    return {"oauth_authorization": flow.id}
