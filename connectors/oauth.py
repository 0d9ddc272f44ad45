"""OAuth 2.0 for connectors: what a connector's app asks of its vendor, and the tokens of one
connection while it runs.

A connector whose connections are authorized by a person (HubSpot, QuickBooks, Zoho) returns an
:class:`OAuthApp` from ``Connector.oauth_app(config)``: the vendor's authorization and token
endpoints and the least-privilege scopes the connector needs to read its streams, nothing more.
The serving app runs the authorization-code flow with it (``services/oauth.py``); the
connection's secrets then hold the fields of :data:`TOKEN_SECRETS`. At run time
:class:`OAuthTokens` hands out an access token renewed before it expires, stores a rotated
refresh token (and the new access token) through ``Runtime.save_secrets`` the moment the vendor
issues it, and raises :class:`ReauthorizationNeeded` when the vendor refuses the refresh token.
"""

import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

from connectors.base import SecretsSaver
from governance.errors import AtsparkError

REFRESH_MARGIN_S = 300
"""An access token is renewed when it has less than this left."""
DEFAULT_LIFETIME_S = 3600
MAX_LIFETIME_S = 366 * 86_400
TOKEN_SECRETS = ("client_id", "client_secret", "access_token", "refresh_token", "expires_at")
"""The secrets of an OAuth connection: the app's credentials and the tokens it was given;
``expires_at`` is the access token's expiry in Unix seconds."""


AUTHORIZED_SECRETS = ("client_id", "client_secret", "refresh_token")
"""The secrets an authorized connection cannot run without; the access token may be renewed."""


def token_secret_fields(title: str) -> dict[str, dict[str, Any]]:
    """The JSON Schema fields of :data:`TOKEN_SECRETS`, all write-only."""
    from connectors.config_schema import secret

    return {name: secret(f"{title} OAuth {name.replace('_', ' ')}") for name in TOKEN_SECRETS}


class ReauthorizationNeeded(AtsparkError):
    """The vendor refused the connection's refresh token: a person must authorize it again."""


@dataclass(frozen=True)
class OAuthApp:
    """How a connector's connections are authorized at its vendor."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    """Only what reading the connector's streams needs (least privilege)."""
    allowed_hosts: tuple[str, ...]
    """Where the platform may send token requests (the token and revocation endpoints' hosts)."""
    scope_separator: str = " "
    client_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    """Fixed extra parameters of the authorize URL (Zoho's ``access_type=offline``)."""
    callback_config: Mapping[str, str] = field(default_factory=dict)
    """Parameters of the callback that become config fields (QuickBooks' ``realmId``)."""
    token_config: Mapping[str, str] = field(default_factory=dict)
    """Fields of the token response that become config fields (Zoho's ``api_domain``)."""
    revoke_url: str | None = None
    """RFC 7009's endpoint, or a URL with ``{token}`` in its path to DELETE (HubSpot)."""

    def rebased(self, base_url: str) -> "OAuthApp":
        """The same app at ``base_url``'s origin (a simulator): paths kept, hosts unchanged, so
        the origin must still be allowed by the operator's egress hosts."""
        return replace(
            self,
            authorize_url=_rebase(self.authorize_url, base_url),
            token_url=_rebase(self.token_url, base_url),
            revoke_url=self.revoke_url and _rebase(self.revoke_url, base_url),
        )

    def authorization_url(
        self, client_id: str, redirect_uri: str, state: str, code_verifier: str
    ) -> str:
        """Where to send the person: the app's scopes, ``state`` and a PKCE S256 challenge."""
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        return prepare_grant_uri(
            self.authorize_url,
            client_id=client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.scope_separator.join(self.scopes),
            state=state,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
            **self.authorize_params,
        )


def _rebase(url: str, base_url: str) -> str:
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


def token_session(title: str, app: OAuthApp, egress_hosts: Iterable[str], retry: Any = None) -> Any:
    """A session for the app's token requests: only to its token hosts and the operator's
    allowed ones; a few quick attempts unless ``retry`` says otherwise (a spec's ``Retry``);
    a refusal is read by :func:`request_tokens`, not raised by the session."""
    from connectors.declarative.spec import Retry
    from connectors.egress import Egress, guarded_session

    egress = Egress(title, (*app.allowed_hosts, *egress_hosts), None)
    quick = Retry(max_attempts=3, backoff_factor=0.5, max_delay=5, timeout=20)
    return guarded_session(egress, retry or quick, stop_on_client_errors=False)


def new_code_verifier() -> str:
    """A PKCE code verifier: 86 characters of URL-safe randomness (RFC 7636 allows 43-128)."""
    return secrets.token_urlsafe(64)


def request_tokens(
    session: Any, app: OAuthApp, client_id: str, client_secret: str, **form: str
) -> dict[str, Any]:
    """POST a grant (``grant_type=...`` in ``form``) to the app's token endpoint; the vendor's
    answer as a dict with an ``access_token``. A refused refresh token raises
    :class:`ReauthorizationNeeded`; any other refusal an :class:`AtsparkError`. Neither message
    carries a token or the vendor's text."""
    from authlib.oauth2.rfc6749.parameters import prepare_token_request

    grant = form.pop("grant_type")
    data = dict(_pairs(prepare_token_request(grant, **form)))
    auth = None
    if app.client_auth == "client_secret_basic":
        auth = (client_id, client_secret)
    else:
        data.update(client_id=client_id, client_secret=client_secret)
    headers = {"Accept": "application/json"}
    try:  # never redirected: a redirect would carry the code, verifier and secret elsewhere
        response = session.post(
            app.token_url, data=data, headers=headers, auth=auth, allow_redirects=False
        )
    except OSError as failure:  # requests' errors: refused, reset, timed out, unresolved
        raise AtsparkError(
            f"could not reach the vendor's token endpoint ({type(failure).__name__})"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
        return body  # Zoho answers 200 with an "error" field: no access token, refused below
    if 300 <= response.status_code < 400:
        raise AtsparkError(
            f"the vendor's token endpoint answered HTTP {response.status_code}, a redirect, "
            "which is not followed: check the connection's base_url"
        )
    error = body.get("error") if isinstance(body, dict) else None
    reason = f"HTTP {response.status_code}" + (f", {error}" if isinstance(error, str) else "")
    if grant == "refresh_token":
        raise ReauthorizationNeeded(
            f"the vendor refused the connection's refresh token ({reason[:80]}): "
            "the connection needs to be authorized again"
        )
    raise AtsparkError(f"the vendor's token endpoint refused the {grant} grant ({reason[:80]})")


def revoke_token(
    session: Any, app: OAuthApp, client_id: str, client_secret: str, token: str
) -> bool:
    """Ask the vendor to revoke ``token``: RFC 7009's form post, or a DELETE of the revocation
    URL with the token in its path where the URL holds ``{token}`` (HubSpot); whether the vendor
    said yes. One that cannot be reached or refuses does not stop a disconnection: the tokens
    are deleted here anyway."""
    if not app.revoke_url:
        return False
    auth = (client_id, client_secret) if app.client_auth == "client_secret_basic" else None
    try:
        if "{token}" in app.revoke_url:
            url = app.revoke_url.replace("{token}", quote(token, safe=""))
            response = session.delete(url, auth=auth, allow_redirects=False)
        else:
            data = {"token": token, "token_type_hint": "refresh_token"}
            if auth is None:
                data.update(client_id=client_id, client_secret=client_secret)
            response = session.post(app.revoke_url, data=data, auth=auth, allow_redirects=False)
    except (OSError, AtsparkError):
        return False
    return 200 <= response.status_code < 300


def _pairs(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body, keep_blank_values=True)


def token_secrets(body: Mapping[str, Any], previous_refresh_token: str = "") -> dict[str, str]:
    """The secrets a token response sets: the access token, its expiry, and the refresh token
    (the previous one when the vendor does not rotate)."""
    lifetime = _seconds(body.get("expires_in"))
    refresh = body.get("refresh_token") or previous_refresh_token
    return {
        "access_token": str(body["access_token"]),
        "refresh_token": str(refresh),
        "expires_at": str(int(time.time() + lifetime)),
    }


def _seconds(value: Any) -> float:
    """A token's lifetime as the vendor gave it, within a second and a year."""
    try:
        return min(max(float(value), 1.0), MAX_LIFETIME_S)
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S


def _moment(value: Any) -> float:
    """A stored expiry (Unix seconds); 0, long past, when it is not one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class OAuthTokens:
    """One connection's tokens during a run, shared by its threads.

    ``access_token()`` answers the stored token while it has more than ``margin`` seconds
    left, and otherwise renews it at the token endpoint first. Every renewal is handed to
    ``save_secrets`` at once: a vendor that rotates refresh tokens kills the old one, so the new
    one must outlive this run even if the run fails.
    """

    def __init__(
        self,
        app: OAuthApp,
        values: Mapping[str, str],
        session: Any,
        save_secrets: SecretsSaver | None,
        margin: float = REFRESH_MARGIN_S,
    ) -> None:
        self._app = app
        self._client = (values["client_id"], values["client_secret"])
        self._refresh_token = values["refresh_token"]
        self._access_token = values.get("access_token") or None
        self._expires_at = _moment(values.get("expires_at")) if self._access_token else 0.0
        self._session = session
        self._save_secrets = save_secrets
        self._margin = margin
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<OAuthTokens at {self._app.token_url}>"

    def __deepcopy__(self, memo: dict) -> "OAuthTokens":
        """One set of tokens per connection: copies (dlt makes some) share it."""
        return self

    def access_token(self) -> str:
        with self._lock:
            if self._access_token is None or time.time() >= self._expires_at - self._margin:
                self._renew()
            return self._access_token  # type: ignore[return-value]

    def renewed(self, refused: str) -> str:
        """An access token in place of ``refused``, which the vendor answered 401 to before its
        expiry (revoked, or the customer disconnected the app): renewed once, whichever thread
        asks; a refused refresh token raises :class:`ReauthorizationNeeded`."""
        with self._lock:
            if self._access_token == refused:
                self._renew()
            return self._access_token  # type: ignore[return-value]

    def _renew(self) -> None:
        client_id, client_secret = self._client
        body = request_tokens(
            self._session,
            self._app,
            client_id,
            client_secret,
            grant_type="refresh_token",
            refresh_token=self._refresh_token,
        )
        renewed = token_secrets(body, self._refresh_token)
        self._access_token = renewed["access_token"]
        self._refresh_token = renewed["refresh_token"]
        self._expires_at = float(renewed["expires_at"])
        if self._save_secrets is not None:
            self._save_secrets(renewed)

    def auth(self, prefix: str = "Bearer ") -> "_TokenAuth":
        """A requests authenticator sending ``Authorization: <prefix><access token>``."""
        return _TokenAuth(self, prefix)


class _TokenAuth:
    def __init__(self, tokens: OAuthTokens, prefix: str) -> None:
        self._tokens = tokens
        self._prefix = prefix

    def __deepcopy__(self, memo: dict) -> "_TokenAuth":
        return self

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"{self._prefix}{self._tokens.access_token()}"
        return request
